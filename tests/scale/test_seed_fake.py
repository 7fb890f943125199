"""`surveybot db seed-fake N`: synthetic respondents whose counters stay exact."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.staff.broadcast import audience
from flows.definition import load_flow
from flows.state import SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import RESPONDENTS, counters
from storage.consistency import verify
from storage.models import Answer, Respondent, SurveySession
from storage.respondents import lock_respondent
from storage.seed_fake import seed_fake
from storage.transactions import transaction


def test_seeded_respondents_are_complete_and_counted_exactly(engine: Engine) -> None:
    flow = load_flow(DEFAULT_FLOW)

    answers = seed_fake(engine, flow, 250, seed=7, batch_size=100)
    seed_fake(engine, flow, 50, seed=8)  # a second run continues above the first

    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
        assert session.exec(select(func.count()).select_from(Respondent)).one() == 300
        assert session.exec(select(func.count()).select_from(Answer)).one() > answers
        counts = counters(session=session, flow_id=flow.id)
        assert counts[(flow.questions[0].id, RESPONDENTS)] == 300
        rows = session.exec(select(SurveySession)).all()
        states = [SessionState.from_json(r.state_json) for r in rows]
        assert {s.status for s in states} == {Status.COMPLETED}
        assert all(s.answers for s in states)
        # The sequences moved past the seeded ids: a real respondent still fits.
        real = lock_respondent(
            session=session, channel="wechat", channel_user_id="o_real", now=datetime.now(UTC)
        )
        assert real.id == 301


def test_the_command_seeds_and_verify_agrees(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    runner = CliRunner()

    seeded = runner.invoke(app, ["db", "seed-fake", "120", "--database-url", url, "--batch", "50"])
    verified = runner.invoke(app, ["db", "verify", "--database-url", url])

    assert seeded.exit_code == 0, seeded.output
    assert "added 120 fake respondents" in seeded.output
    assert verified.exit_code == 0 and "aggregates match" in verified.output


def test_postgresql_gets_fresh_planner_statistics(engine: Engine) -> None:
    """Right after a bulk load the planner must not plan for empty tables."""
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            seed_fake(engine, load_flow(DEFAULT_FLOW), 5)
            tables = conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert "sqlite_stat1" not in tables  # SQLite's plans stay those the app runs with
        return
    seed_fake(engine, load_flow(DEFAULT_FLOW), 40)
    with engine.connect() as conn:
        analyzed = conn.exec_driver_sql(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        )
        assert {"respondent", "survey_session", "answer"} <= set(analyzed.scalars())


def test_followers_follow_on_wechat_asked_for_updates_and_wrote_within_the_hour(
    engine: Engine,
) -> None:
    flow = load_flow(DEFAULT_FLOW)
    now = datetime.now(UTC)

    seed_fake(engine, flow, 40, seed=3, now=now, followers=True)

    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
        who = audience(session=session, now=now)
        assert (len(who.now), len(who.later)) == (40, 0)  # a /broadcast reaches them all now
        assert {r.channel for r in who.now} == {"wechat"}  # through the Official Account
