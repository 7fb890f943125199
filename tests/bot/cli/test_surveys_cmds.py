"""`surveybot surveys list | publish | close` against SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from flows.definition import load_flow_text
from flows.xlsform import export_xlsform
from tests.flows.versions import MAPPING, V1, V2

runner = CliRunner()


def _run(db_url: str, *args: str) -> tuple[int, str]:
    """Exit code and what was printed: stdout (the table), or stderr on failure.

    (stderr alone may also hold logging noise from handlers earlier CLI tests left.)"""
    result = runner.invoke(app, ["surveys", *args, "--database-url", db_url])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_publish_list_close(db_url: str, tmp_path: Path) -> None:
    code, out = _run(db_url, "list")
    assert code == 0 and "no survey is published yet" in out
    v1 = _file(tmp_path, "mini.yaml", V1)
    code, out = _run(db_url, "publish", v1)
    assert code == 0, out
    assert "published mini version 1 (4 questions)" in out
    assert "respondents in progress finish on their version" in out
    code, out = _run(db_url, "publish", v1)
    assert code == 0 and "mini version 1 is already published (unchanged)" in out
    code, out = _run(db_url, "publish", _file(tmp_path, "edit.yaml", V1.replace("Thanks", "Ta")))
    assert code == 1 and "give the changed survey a higher `version`" in out
    code, out = _run(db_url, "list")
    assert code == 0
    assert [line.split()[:3] for line in out.splitlines()[1:]] == [["mini", "1", "open"]]
    code, out = _run(db_url, "close", "mini")
    assert code == 0 and "closed mini" in out
    code, out = _run(db_url, "close", "mini")
    assert code == 0 and "mini was already closed" in out
    code, out = _run(db_url, "close", "ghost")
    assert code == 1 and "no survey 'ghost' is published" in out
    code, out = _run(db_url, "list")
    assert out.splitlines()[1].split()[:3] == ["mini", "1", "closed"]


def test_publish_an_xlsform_with_a_mapping(db_url: str, tmp_path: Path) -> None:
    _run(db_url, "publish", _file(tmp_path, "mini.yaml", V1))
    workbook = tmp_path / "mini_v2.xlsx"
    export_xlsform(load_flow_text(V2), workbook)
    gaps = _file(tmp_path, "gaps.yaml", "from_version: 1\n")
    code, out = _run(db_url, "publish", str(workbook), "--map", gaps)
    assert code == 1
    assert "question 'tools' of version 1 is not in version 2" in out
    mapping = _file(tmp_path, "map.yaml", yaml.safe_dump(MAPPING))
    code, out = _run(db_url, "publish", str(workbook), "--map", mapping)
    assert code == 0, out
    assert "published mini version 2" in out and "version 1 move to it" in out
    code, out = _run(db_url, "list")
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [
        ("mini", "1", "older", "-"),
        ("mini", "2", "open", "yes"),
    ]


def test_bad_files_are_named_and_change_nothing(db_url: str, tmp_path: Path) -> None:
    code, out = _run(db_url, "publish", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read" in out
    bad = _file(tmp_path, "bad.yaml", V1.replace("type: integer", "type: number"))
    code, out = _run(db_url, "publish", bad)
    assert code == 1 and "problem" in out and "number" in out
    _run(db_url, "publish", _file(tmp_path, "mini.yaml", V1))
    v2 = _file(tmp_path, "v2.yaml", V2)
    malformed = _file(tmp_path, "m.yaml", "from_version: one\n")
    code, out = _run(db_url, "publish", v2, "--map", malformed)
    assert code == 1 and "from_version must be a positive whole number" in out
    never = _file(tmp_path, "never.yaml", "from_version: 7\n")
    code, out = _run(db_url, "publish", v2, "--map", never)
    assert code == 1 and "must be older than version 2" in out
    code, out = _run(db_url, "list")
    assert len(out.splitlines()) == 2  # header + version 1 only
