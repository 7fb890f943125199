"""`.env.example` lists every setting, and loads as it stands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / ".env.example"
# `NAME=value`, or `# NAME=value` for a setting left unset on purpose.
_ASSIGNMENT = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def setting_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices), "every setting is read through _env(NAME)"
        first = alias.choices[0]
        assert isinstance(first, str)
        names.add(first)
    return names


def test_every_setting_is_listed() -> None:
    listed = set(_ASSIGNMENT.findall(EXAMPLE.read_text(encoding="utf-8")))
    missing = setting_names() - listed
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_the_example_loads_with_the_built_in_survey(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.flow_path is None  # an empty SURVEYBOT_FLOW= would mean Path(".")
    assert settings.wechat_encoding_aes_key is None
    assert settings.staff == ()


def test_the_example_holds_no_real_secret() -> None:
    values = dict(
        line.split("=", 1)
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    for name in ("WECHAT_APP_SECRET", "WECHAT_TOKEN", "TELEGRAM_BOT_TOKEN", "SURVEYBOT_SECRET_KEY"):
        assert values.get(name, "") == "", name
