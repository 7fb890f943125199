"""Export downloads: a signed link (or the dashboard cookie) → the file, audited."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pyreadstat
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from openpyxl import load_workbook

from bot.dispatch.envelope import Channel
from bot.reports.export import export_columns
from bot.reports.local_time import CHINA
from bot.settings import StaffMember
from bot.staff.signing import EXPORT_TTL_S
from bot.staff.web_links import ExportFormat, export_url
from tests.bot.web.conftest import PUBLIC_URL, SECRET, SeededSite, staff_settings


def export_path(
    site: SeededSite,
    fmt: ExportFormat,
    member: StaffMember | None = None,
    *,
    survey_id: str | None = None,
) -> str:
    url = export_url(
        staff_settings(site.url), site.signer, member or site.member, fmt,
        survey_id=survey_id or site.flow.id,
    )  # fmt: skip
    return url.removeprefix(PUBLIC_URL)


_FORM = re.compile(
    r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="token" value="([^"]+)">'
)


async def download(client: httpx.AsyncClient, path: str) -> httpx.Response:
    """As staff do: open the link (a page with a button), then press the button."""
    opened = await client.get(path)
    if opened.status_code != 200:
        return opened
    match = _FORM.search(opened.text)
    assert match is not None, opened.text
    action, token = (html.unescape(g) for g in match.groups())
    return await client.post(action.removeprefix(PUBLIC_URL), data={"token": token})


def _filename(response: httpx.Response) -> str:
    found = re.search(r'filename="([^"]+)"', response.headers["content-disposition"])
    assert found is not None, response.headers
    return found.group(1)


def leftover_exports() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("surveybot-export-*"))


def exports_audited(site: SeededSite) -> list[dict[str, object]]:
    return [json.loads(r.detail) for r in site.audit_rows() if r.action == "export"]


async def test_a_signed_csv_link_downloads_every_respondent(sqlite_site: SeededSite) -> None:
    before = leftover_exports()
    audited = len(exports_audited(sqlite_site))
    async with sqlite_site.client() as client:
        response = await download(client, export_path(sqlite_site, ExportFormat.CSV))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="aiag_carbon-' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == export_columns(sqlite_site.flow)
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(table) == sqlite_site.seed.started
    assert sum(r["role"] == "oem" for r in table) == 4
    assert sum(r["status"] == "completed" for r in table) == 316
    assert exports_audited(sqlite_site)[audited:] == [
        {"format": "csv", "rows": 320, "via": "link", "survey": "aiag_carbon"}
    ]
    assert leftover_exports() <= before  # the temporary file is gone once sent


async def test_a_signed_xlsx_link_downloads_a_workbook(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as client:
        response = await download(client, export_path(sqlite_site, ExportFormat.XLSX))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [list(r) for r in workbook["answers"].iter_rows(values_only=True)]
    assert workbook.sheetnames == ["answers", "summary", "codebook"]
    workbook.close()
    assert rows[0][:2] == ["编号 Respondent ID", "渠道 Channel"]
    assert rows[0][7] == "1. 您是OEM厂商还是供应商？ / Are you an OEM or a Supplier?"
    consent = [h for h in rows[0] if "AIAG" in str(h) and "同意" in str(h)]
    assert len(consent) == 1 and consent[0].startswith("您是否同意 AIAG")  # no number, no id
    assert not any(str(h).startswith("contact_") for h in rows[0])
    assert len(rows[0]) == len(export_columns(sqlite_site.flow))
    assert len(rows) == 1 + sqlite_site.seed.started
    assert all(isinstance(r[0], int) for r in rows[1:])
    audited = {"format": "xlsx", "rows": 320, "via": "link", "survey": "aiag_carbon"}
    assert exports_audited(sqlite_site)[-1] == audited


async def test_a_signed_sav_link_downloads_an_spss_file(
    sqlite_site: SeededSite, tmp_path: Path
) -> None:
    async with sqlite_site.client() as client:
        response = await download(client, export_path(sqlite_site, ExportFormat.SAV))
        await client.get(sqlite_site.login_path())
        html = (await client.get("/dashboard")).text
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-spss-sav"
    assert 'filename="aiag_carbon-' in response.headers["content-disposition"]
    path = tmp_path / "answers.sav"
    path.write_bytes(response.content)
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == sqlite_site.seed.started
    assert meta.variable_value_labels["Q1"] == {1.0: "主机厂 (OEM)", 2.0: "供应商 (Supplier)"}
    assert int((frame["Q1"] == 1.0).sum()) == 4  # the seed's four OEMs
    assert 'href="/export/sav"' in html  # the dashboard offers it too
    audited = {"format": "sav", "rows": 320, "via": "link", "survey": "aiag_carbon"}
    assert exports_audited(sqlite_site)[-1] == audited


async def test_the_xlsx_link_offers_codes_or_labels(sqlite_site: SeededSite) -> None:
    path = export_path(sqlite_site, ExportFormat.XLSX)
    async with sqlite_site.client() as client:
        opened = await client.get(path)
        assert "按序号" in opened.text and "按选项文本" in opened.text
        forms = re.findall(r'<form method="post" action="([^"]+)">', opened.text)
        labels_action = html.unescape(forms[1]).removeprefix(PUBLIC_URL)
        token = path.split("token=", 1)[1]
        response = await client.post(labels_action, data={"token": token})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    header, *rows = [list(r) for r in workbook["answers"].iter_rows(values_only=True)]
    workbook.close()
    column = header.index("1. 您是OEM厂商还是供应商？ / Are you an OEM or a Supplier?")
    assert sum(r[column] == "主机厂 (OEM)" for r in rows) == 4
    assert exports_audited(sqlite_site)[-1]["values"] == "labels"


async def test_the_dashboard_cookie_downloads_too(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as client:
        await client.get(sqlite_site.login_path())
        response = await client.get("/export/csv")
        assert response.status_code == 200
        assert (await client.get("/export/pdf")).status_code == 404
    audited = {"format": "csv", "rows": 320, "via": "dashboard", "survey": "aiag_carbon"}
    assert exports_audited(sqlite_site)[-1] == audited


async def test_bad_export_links_are_forbidden(sqlite_site: SeededSite) -> None:
    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - EXPORT_TTL_S - 5

    expired = URLSafeTimedSerializer(SECRET, salt="surveybot:export", signer=Past).dumps(
        str(sqlite_site.member)
    )
    login_token = sqlite_site.login_path().split("token=", 1)[1]
    outsider = export_path(sqlite_site, ExportFormat.CSV, StaffMember(Channel.TELEGRAM, "1"))
    audited = len(exports_audited(sqlite_site))
    async with sqlite_site.client() as client:
        for token in (expired, login_token, "forged"):
            response = await client.get("/export/csv", params={"token": token})
            assert response.status_code == 403 and "respondent_id" not in response.text
        assert (await download(client, outsider)).status_code == 403
        # A bad token is refused even alongside a valid session cookie.
        await client.get(sqlite_site.login_path())
        assert (await client.get("/export/csv", params={"token": "forged"})).status_code == 403
    assert len(exports_audited(sqlite_site)) == audited


# --- issue 14: export links are bound to their survey, short-lived and single use ----


async def test_an_export_link_downloads_once(sqlite_site: SeededSite) -> None:
    path = export_path(sqlite_site, ExportFormat.CSV)
    audited = len(exports_audited(sqlite_site))
    async with sqlite_site.client() as client:
        assert (await download(client, path)).status_code == 200
        again = await download(client, path)
        assert again.status_code == 403 and "respondent_id" not in again.text
        # Replaying the button's POST itself is refused too.
        token = path.split("token=", 1)[1]
        replay = await client.post(
            f"/export/csv?survey={sqlite_site.flow.id}", data={"token": token}
        )
        assert replay.status_code == 403
    assert len(exports_audited(sqlite_site)) == audited + 1


async def test_an_xlsx_link_downloads_by_codes_and_by_labels_once_each(
    sqlite_site: SeededSite,
) -> None:
    # The page offers both files: the second button works after the first, and each
    # button is gone from the page (and refused) once used.
    path = export_path(sqlite_site, ExportFormat.XLSX)
    async with sqlite_site.client() as client:
        page = (await client.get(path)).text
        assert "Download (codes)" in page and "Download (labels)" in page
        assert "downloads each file once" in page
        actions = [html.unescape(a) for a, _ in _FORM.findall(page)]
        token = _FORM.findall(page)[0][1]
        codes, labels = (a.removeprefix(PUBLIC_URL) for a in actions)
        assert labels.endswith("&values=labels")
        first = await client.post(codes, data={"token": token})
        assert first.status_code == 200
        page = (await client.get(path)).text
        assert "Download (codes)" not in page and "Download (labels)" in page
        assert (await client.post(codes, data={"token": token})).status_code == 403
        second = await client.post(labels, data={"token": token})
        assert second.status_code == 200
        # Named apart in one's downloads, stamped in China time like the file's own times.
        names = [_filename(r) for r in (first, second)]
        assert [n.split("-")[1] for n in names] == ["codes", "labels"]
        assert all(re.fullmatch(r"aiag_carbon-\w+-\d{8}-\d{4}\.xlsx", n) for n in names)
        stamp = datetime.strptime(names[1][-18:-5], "%Y%m%d-%H%M").replace(tzinfo=CHINA)
        assert abs(datetime.now(CHINA) - stamp) < timedelta(minutes=3)
        sheet = load_workbook(io.BytesIO(second.content)).active
        assert sheet is not None
        assert "主机厂 (OEM)" in {c.value for row in sheet.iter_rows() for c in row}
        assert (await client.post(labels, data={"token": token})).status_code == 403
        spent = await client.get(path)
        assert spent.status_code == 403 and "/export" in spent.text
    assert [a.get("values") for a in exports_audited(sqlite_site)[-2:]] == [None, "labels"]


async def test_opening_an_export_link_does_not_spend_it(sqlite_site: SeededSite) -> None:
    # Chat apps fetch a link for its preview: only the button's POST downloads.
    path = export_path(sqlite_site, ExportFormat.CSV)
    async with sqlite_site.client() as client:
        for _ in range(3):
            page = await client.get(path)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert "respondent_id" not in page.text
        assert (await download(client, path)).status_code == 200


async def test_an_export_link_is_bound_to_its_survey(sqlite_site: SeededSite) -> None:
    path = export_path(sqlite_site, ExportFormat.CSV, survey_id="aiag_pcf_followup")
    retargeted = path.replace("survey=aiag_pcf_followup", f"survey={sqlite_site.flow.id}")
    assert retargeted != path
    async with sqlite_site.client() as client:
        response = await download(client, retargeted)
    assert response.status_code == 403 and "respondent_id" not in response.text


async def test_an_export_link_expires_within_minutes(sqlite_site: SeededSite) -> None:
    assert EXPORT_TTL_S <= 15 * 60

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - EXPORT_TTL_S - 5

    grant = json.dumps({"id": "x1", "member": str(sqlite_site.member), "survey": "aiag_carbon"})
    expired = URLSafeTimedSerializer(SECRET, salt="surveybot:export", signer=Past).dumps(grant)
    async with sqlite_site.client() as client:
        response = await download(client, f"/export/csv?survey=aiag_carbon&token={expired}")
    assert response.status_code == 403


async def test_answers_as_labels_instead_of_codes(sqlite_site: SeededSite) -> None:
    async with sqlite_site.client() as client:
        await client.get(sqlite_site.login_path())
        html = (await client.get("/dashboard")).text
        assert 'href="/export/xlsx?values=labels"' in html
        response = await client.get("/export/csv?values=labels")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert sum(r["role"] == "主机厂 (OEM)" for r in table) == 4
    assert exports_audited(sqlite_site)[-1]["values"] == "labels"
