"""Declared peer segments from the command line: publishing a changed declaration
rebuilds the survey's segment counters, `surveys rebuild-segments` does it by hand, and
`db verify` checks every published survey's counters against its answers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli.main import app
from flows.events import AnswerRecorded
from flows.model import Segment
from storage.db import make_engine
from storage.segment_counters import recount
from storage.transactions import transaction
from tests.flows.versions import V1, v1
from tests.storage.sample import apply, new_respondent

runner = CliRunner()
# Version 2 of the small survey: the same questions, compared by role.
V2_BY_ROLE = V1.replace("\nversion: 1", "\nversion: 2\nsegments: [{by: role}]")
BY_ROLE = (Segment(by="role"),)


def _run(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database-url", db_url])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def _answer(db_url: str, user: str, role: str, *tools: str) -> None:
    engine = make_engine(db_url)
    try:
        _, session_id = new_respondent(engine, user, flow=v1())
        apply(engine, session_id, AnswerRecorded("role", (role,)), AnswerRecorded("tools", tools))
    finally:
        engine.dispose()


def _segment_counters(db_url: str) -> dict[tuple[str, str, str], int]:
    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            rows = session.connection().execute(
                text("SELECT segment, question_id, option_id, count FROM segment_counter")
            )
            return {(s, q, o): n for s, q, o, n in rows if n}
    finally:
        engine.dispose()


def test_publishing_a_new_declaration_rebuilds_and_verify_checks_it(
    db_url: str, tmp_path: Path
) -> None:
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(V1, encoding="utf-8")
    v2.write_text(V2_BY_ROLE, encoding="utf-8")
    assert _run(db_url, "surveys", "publish", str(v1))[0] == 0
    _answer(db_url, "a", "supplier", "excel", "lca")
    _answer(db_url, "b", "supplier", "excel")
    _answer(db_url, "c", "oem", "none")
    assert _segment_counters(db_url) == {}  # version 1 declares no segment

    code, out = _run(db_url, "surveys", "publish", str(v2))
    assert code == 0, out
    assert "peer segments changed: 11 segment counters rebuilt" in out
    counters = _segment_counters(db_url)
    assert counters[("role:supplier", "", "")] == 2
    assert counters[("role:supplier", "tools", "excel")] == 2
    assert counters[("role:oem", "tools", "none")] == 1
    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            assert recount(session=session, flow_id="mini", declared=BY_ROLE) == counters
            session.connection().execute(
                text("UPDATE segment_counter SET count = 7 WHERE segment = 'role:oem'")
            )
    finally:
        engine.dispose()

    code, out = _run(db_url, "db", "verify")
    assert code == 1
    assert "mini segment role:oem (size):(respondents): counter 7, answers 1" in out

    code, out = _run(db_url, "surveys", "rebuild-segments", "mini")
    assert code == 0, out
    assert "mini version 2 segments (role): 11 counters" in out
    code, out = _run(db_url, "db", "verify")
    assert code == 0, out
    assert _segment_counters(db_url) == counters


def test_rebuilding_an_unknown_survey_says_so(db_url: str) -> None:
    code, out = _run(db_url, "surveys", "rebuild-segments", "nope")
    assert code == 1 and "nope is not published" in out
