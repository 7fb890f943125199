"""Who gets in: signed login links, the session cookie, staff checked at use time."""

from __future__ import annotations

import time

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot.dispatch.envelope import Channel
from bot.settings import StaffMember
from bot.staff.signing import DASHBOARD_TTL_S, Signer
from bot.staff.web_links import ExportFormat, export_url
from bot.web.auth import SESSION_COOKIE, SESSION_PURPOSE, SESSION_TTL_S, StaffGate
from tests.bot.web.conftest import SECRET, SeededSite, staff_settings

SEED_FIGURES = ("1.27%", "98.73%", "36.75%", "59.38%", "39.94%", "55.06%")


def signed_in_the_past(purpose: str, subject: str, age_s: int) -> str:
    """A genuine token, signed `age_s` seconds ago."""

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_s

    serializer = URLSafeTimedSerializer(SECRET, salt=f"surveybot:{purpose}", signer=Past)
    return serializer.dumps(subject)


def assert_forbidden_without_data(response: httpx.Response) -> None:
    assert response.status_code == 403
    body = response.text
    assert not any(figure in body for figure in SEED_FIGURES)
    assert "C-000001" not in body


async def test_without_a_cookie_the_dashboard_is_forbidden(sqlite_site: SeededSite) -> None:
    paths = ("/dashboard", "/dashboard/chart/role.png", "/dashboard/crosstab", "/export/csv")
    async with sqlite_site.client() as client:
        for path in paths:
            assert_forbidden_without_data(await client.get(path))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        Signer("another-secret").sign("dashboard", "wechat:staff-openid"),
        Signer(SECRET).sign("export", "wechat:staff-openid"),  # wrong purpose
        Signer(SECRET).sign("dashboard", "wechat:staff-openid")[:-2] + "xx",  # altered
    ],
    ids=["empty", "garbage", "other-key", "export-token", "altered"],
)
async def test_a_forged_token_is_forbidden(sqlite_site: SeededSite, token: str) -> None:
    async with sqlite_site.client() as client:
        response = await client.get("/dashboard/login", params={"token": token})
    assert_forbidden_without_data(response)
    assert SESSION_COOKIE not in response.cookies


async def test_an_expired_login_link_is_forbidden(sqlite_site: SeededSite) -> None:
    token = signed_in_the_past("dashboard", "wechat:staff-openid", DASHBOARD_TTL_S + 5)
    async with sqlite_site.client() as client:
        response = await client.get("/dashboard/login", params={"token": token})
    assert_forbidden_without_data(response)


async def test_a_non_staff_subject_is_forbidden_and_audited(sqlite_site: SeededSite) -> None:
    outsider = StaffMember(Channel.WECHAT, "not-staff")
    async with sqlite_site.client() as client:
        response = await client.get(sqlite_site.login_path(outsider))
    assert_forbidden_without_data(response)
    denied = [r for r in sqlite_site.audit_rows() if r.actor == "wechat:not-staff"]
    assert [r.action for r in denied] == ["staff_web_denied"]
    assert '"reason": "not a staff member"' in denied[0].detail


async def test_a_valid_link_signs_in_and_shows_the_seed_figures(site: SeededSite) -> None:
    async with site.client() as client:
        response = await client.get(site.login_path())
        # A page that moves on to /dashboard (a redirect would lose the SameSite=Strict
        # cookie after a cross-site click: see the browser test).
        assert response.status_code == 200
        assert '<meta http-equiv="refresh" content="0; url=/dashboard">' in response.text
        assert not any(figure in response.text for figure in SEED_FIGURES)
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert f"max-age={SESSION_TTL_S}" in cookie
        page = await client.get("/dashboard")

    assert page.status_code == 200
    for figure in SEED_FIGURES:
        assert figure in page.text
    assert "TCFD &amp; SASB" in page.text  # the seed's free-text answers, escaped
    assert "C-000001" in page.text and "王伟" in page.text  # contact requests
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all
    logins = [r for r in site.audit_rows() if r.action == "dashboard_login"]
    assert [r.actor for r in logins] == ["wechat:staff-openid"]


async def test_the_session_cookie_expires(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as client:
        await client.get(sqlite_site.login_path())
        fresh = client.cookies[SESSION_COOKIE]
    sid = Signer(SECRET).verify(SESSION_PURPOSE, fresh, max_age=60).rsplit(" ", 1)[1]
    old = signed_in_the_past(SESSION_PURPOSE, f"wechat:staff-openid {sid}", SESSION_TTL_S + 5)
    async with sqlite_site.client() as client:
        client.cookies.set(SESSION_COOKIE, old)
        assert_forbidden_without_data(await client.get("/dashboard"))
        client.cookies.set(SESSION_COOKIE, fresh)
        assert (await client.get("/dashboard")).status_code == 200


async def test_a_cookie_signed_with_the_key_but_no_session_is_refused(
    sqlite_site: SeededSite,
) -> None:
    # The old cookie format (member only), and a made-up session id: both need a login.
    for subject in ("wechat:staff-openid", "wechat:staff-openid made-up-session-id"):
        async with sqlite_site.client() as client:
            client.cookies.set(SESSION_COOKIE, Signer(SECRET).sign(SESSION_PURPOSE, subject))
            assert_forbidden_without_data(await client.get("/dashboard"))


async def test_staff_removed_from_the_settings_lose_access_at_once(
    sqlite_site: SeededSite,
) -> None:
    async with sqlite_site.client() as client:
        await client.get(sqlite_site.login_path())
        assert (await client.get("/dashboard")).status_code == 200
        cookie = client.cookies[SESSION_COOKIE]
    # The same cookie, presented to an app whose staff list no longer names them.
    async with sqlite_site.client(staff="telegram:999") as later:
        later.cookies.set(SESSION_COOKIE, cookie)
        assert_forbidden_without_data(await later.get("/dashboard"))
        assert_forbidden_without_data(await later.get(sqlite_site.login_path()))


async def test_signing_out_drops_the_cookie(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as client:
        await client.get(sqlite_site.login_path())
        response = await client.get("/dashboard/logout")
        assert response.status_code == 200
        assert SESSION_COOKIE not in client.cookies
        assert (await client.get("/dashboard")).status_code == 403


async def test_signing_out_ends_the_session_for_a_copied_cookie(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as browser:
        await browser.get(sqlite_site.login_path())
        copied = browser.cookies[SESSION_COOKIE]
        async with sqlite_site.client() as thief:
            thief.cookies.set(SESSION_COOKIE, copied)
            assert (await thief.get("/dashboard")).status_code == 200
            await browser.get("/dashboard/logout")
            assert_forbidden_without_data(await thief.get("/dashboard"))
            assert_forbidden_without_data(await thief.get("/export/csv"))


async def test_an_export_link_is_not_a_login(sqlite_site: SeededSite) -> None:
    url = export_url(
        staff_settings(sqlite_site.url), sqlite_site.signer, sqlite_site.member, ExportFormat.CSV,
        survey_id=sqlite_site.flow.id,
    )  # fmt: skip
    token = url.split("token=", 1)[1]
    async with sqlite_site.client() as client:
        response = await client.get("/dashboard/login", params={"token": token})
    assert_forbidden_without_data(response)


def test_the_cookie_is_secure_behind_https() -> None:
    behind_tls = staff_settings("sqlite://", public_url="https://survey.example.org")
    https = StaffGate(behind_tls, Signer(SECRET))
    plain = StaffGate(staff_settings("sqlite://"), Signer(SECRET))
    assert https.secure_cookie and not plain.secure_cookie
