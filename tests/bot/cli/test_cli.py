"""The `surveybot` CLI: help everywhere, flow checks, the console survey, report, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyreadstat
import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()

# Each ends by declining the optional organisation step after question 14.
SUPPLIER_ZH = ["1", "2", "1,4", "6", "是", "否", "1、3", "3", "是", "否", "是", "GRI", "是", "否",
               "1 3", "3", "否"]  # fmt: skip
OEM_EN = ["2", "1", "7", "no", "no", "6", "4", "no", "2", "no", "no", "2", "4", "no"]
SUPPLIER_BOTH = ["3", "2", "10", "6", "y", "y", "1", "1", "y", "y", "n", "y", "y", "2", "2", "n"]


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, command in getattr(group, "commands", {}).items():
        out.append((*prefix, name))
        out.extend(_commands(command, (*prefix, name)))
    return out


def test_every_command_has_help() -> None:
    group = typer.main.get_command(app)
    commands = _commands(group)
    assert {
        ("serve",),
        ("chat",),
        ("check",),
        ("report",),
        ("export",),
        ("simulate",),
        ("db", "upgrade"),
        ("db", "verify"),
        ("wechat", "menu"),
    } <= set(commands)
    for command in [(), *commands]:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output


def test_check_passes_the_shipped_flows_and_names_problems(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["check"])
    assert ok.exit_code == 0 and "aiag_carbon.yaml: OK" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "spec_version: 1\nid: x\nversion: 1\ntitle: {zh: 标题, en: Title}\n"
        "preface: {zh: 前言, en: Preface}\nclosing: {zh: 谢谢, en: ''}\n"
        "questions:\n  - id: q1\n    type: single_choice\n    text: {zh: 问题, en: Q}\n"
        "    options:\n      - {id: a, text: {zh: 甲, en: A}, exclusive: true}\n"
        "      - {id: a, text: {zh: 乙, en: B}}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "closing.en" in result.output
    assert "questions[0] (q1)" in result.output


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SURVEYBOT_DATABASE_URL", url)
    monkeypatch.setenv("SURVEYBOT_SNAPSHOT_MIN_RESPONDENTS", "1")
    monkeypatch.chdir(tmp_path)
    return url


def chat(name: str, lines: list[str]) -> str:
    result = runner.invoke(app, ["chat", "--as", name], input="\n".join(lines) + "\n/quit\n")
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_walks_the_whole_survey_in_three_languages(db: str) -> None:
    zh = chat("supplier-zh", SUPPLIER_ZH)
    assert "您是OEM厂商还是供应商？" in zh and "Are you an OEM" not in zh.split("请选择语言")[-1]
    assert "如果您是供应商，请列出贵厂生产的主要产品/零件" in zh
    assert "感谢您参与" in zh
    en = chat("oem-en", OEM_EN)
    after_choice = en.split("OK, questions will be in English.")[-1]
    assert "Are you an OEM or a Supplier?" in after_choice and "您是" not in after_choice
    assert "] If you are a supplier, please list" not in after_choice  # suppliers only
    # An OEM skips question 2: the survey's own numbers, not renumbered (issue 17).
    assert "[3/14] What is your current function" in after_choice
    assert "Thank you for taking part" in after_choice
    both = chat("supplier-both", SUPPLIER_BOTH)
    assert "【2/" in both and "装配组件 Assy Components" in both
    assert "感谢您参与" in both and "Thank you for taking part" in both

    report = runner.invoke(app, ["report"])
    assert report.exit_code == 0, report.output
    assert "您是OEM厂商还是供应商？" in report.output and "选项 百分比" in report.output
    assert "主机厂 (OEM) 33.33%" in report.output
    assert "供应商 (Supplier) 66.67%" in report.output
    assert report.output.splitlines()[2] == "问卷版本 3 Version 3"  # the versions it covers

    followup = runner.invoke(app, ["report", "--survey", "aiag_pcf_followup"])
    assert followup.exit_code == 0, followup.output
    assert "AIAG 产品碳足迹（PCF）后续调查" in followup.output
    assert "Versions: no answers yet" in followup.output
    ghost = runner.invoke(app, ["report", "--survey", "ghost"])
    assert ghost.exit_code == 2 and "no survey 'ghost' is published" in ghost.output

    out = runner.invoke(app, ["export", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert len(rows) == 4  # header + 3 respondents
    assert [row[rows[0].index("version")] for row in rows[1:]] == ["3", "3", "3"]
    xlsx = Path("answers.xlsx")
    assert runner.invoke(app, ["export", "--format", "xlsx", "-o", str(xlsx)]).exit_code == 0
    workbook = load_workbook(xlsx, read_only=True)
    assert len(list(workbook.active.iter_rows(values_only=True))) == 4
    assert workbook.sheetnames == ["answers", "summary", "codebook"]
    workbook.close()
    sav = Path("answers.sav")
    assert runner.invoke(app, ["export", "--format", "sav", "-o", str(sav)]).exit_code == 0
    frame, _ = pyreadstat.read_sav(str(sav))
    assert len(frame) == 3 and list(frame["version"]) == [3.0, 3.0, 3.0]
    no_file = runner.invoke(app, ["export", "--format", "sav"])
    assert no_file.exit_code == 2 and "sav needs --output FILE" in no_file.output

    verify = runner.invoke(app, ["db", "verify"])
    assert verify.exit_code == 0 and "aggregates match" in verify.output


def test_a_missing_or_invalid_flow_file_stops_with_a_clear_line(db: str, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["report", "--flow", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec_version: 1\nid: Bad\n", encoding="utf-8")
    invalid = runner.invoke(app, ["export", "--flow", str(bad)])
    assert invalid.exit_code == 1 and "the flow file is invalid" in invalid.output


def test_a_bad_setting_stops_with_one_clear_line(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "too-short")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "WECHAT_ENCODING_AES_KEY" in lines[0]
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "")
    monkeypatch.setenv("SURVEYBOT_STAFF", "fax:123")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "unknown channel 'fax'" in result.output
