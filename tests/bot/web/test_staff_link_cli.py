"""`surveybot staff-link`: signed links for staff members only, and they work."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from typer.testing import CliRunner

from bot.cli.main import app
from bot.staff.signing import DASHBOARD_TTL_S, EXPORT_TTL_S, Signer, load_signer
from storage.db import make_engine
from tests.bot.web.conftest import PUBLIC_URL, SECRET, SeededSite

STAFF = "wechat:o_staff, telegram:42"


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["staff-link", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SURVEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SURVEYBOT_PUBLIC_URL": "https://survey.example.org/",
        "SURVEYBOT_STAFF": STAFF,
        "SURVEYBOT_SECRET_KEY": SECRET,
        **extra,
    }


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_the_default_link_is_the_first_staff_member_s_dashboard(tmp_path: Path) -> None:
    code, out, err = invoke(env_for(tmp_path))
    assert code == 0, err
    url = out.strip()
    assert url.startswith("https://survey.example.org/dashboard/login?token=")
    subject = Signer(SECRET).verify("dashboard", token_of(url), max_age=DASHBOARD_TTL_S)
    assert subject == "wechat:o_staff"
    assert "valid for 12 h" in err


def test_an_export_link_for_a_named_member(tmp_path: Path) -> None:
    code, out, err = invoke(env_for(tmp_path), "--for", "telegram:42", "--export", "xlsx")
    assert code == 0
    url = out.strip()
    assert urlsplit(url).path == "/export/xlsx"
    grant = json.loads(Signer(SECRET).verify("export", token_of(url), max_age=EXPORT_TTL_S))
    assert grant["member"] == "telegram:42" and grant["survey"] == "aiag_carbon"
    assert "10 min, one download" in err


def test_without_a_configured_key_the_database_s_key_signs(tmp_path: Path) -> None:
    env = env_for(tmp_path, SURVEYBOT_SECRET_KEY="")
    code, out, _ = invoke(env)
    assert code == 0
    engine = make_engine(env["SURVEYBOT_DATABASE_URL"])
    try:
        signer = load_signer(engine, None)
    finally:
        engine.dispose()
    assert signer.verify("dashboard", token_of(out.strip()), max_age=60) == "wechat:o_staff"


def test_only_staff_get_a_link(tmp_path: Path) -> None:
    code, out, err = invoke(env_for(tmp_path), "--for", "wechat:someone")
    assert code == 2 and out == ""
    assert "not in SURVEYBOT_STAFF" in err
    code, out, err = invoke(env_for(tmp_path), "--for", "nonsense")
    assert code == 2 and "CHANNEL:ID" in err
    code, out, err = invoke(env_for(tmp_path, SURVEYBOT_STAFF=""))
    assert code == 2 and out == ""
    assert "no staff configured" in err


async def test_the_printed_link_signs_in(sqlite_site: SeededSite) -> None:
    env = {
        "SURVEYBOT_DATABASE_URL": sqlite_site.url,
        "SURVEYBOT_PUBLIC_URL": PUBLIC_URL,
        "SURVEYBOT_STAFF": str(sqlite_site.member),
        "SURVEYBOT_SECRET_KEY": SECRET,
    }
    code, out, _ = invoke(env)
    assert code == 0
    async with sqlite_site.client() as client:
        login = await client.get(out.strip().removeprefix(PUBLIC_URL))
        assert login.status_code == 200
        assert (await client.get("/dashboard")).status_code == 200
