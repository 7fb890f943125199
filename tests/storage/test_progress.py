"""Started / completed counts and where unfinished respondents stopped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from flows.state import SessionState, Status
from storage.progress import Waiting, survey_progress
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.storage.sample import NOW, small_flow


def session_for(engine: Engine, user: str, state: SessionState, *, hours_ago: float) -> None:
    at = NOW - timedelta(hours=hours_ago)
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=at
        )
        assert respondent.id is not None
        save_session_row(session=session, respondent_id=respondent.id, state=state, now=at)


def test_counts_today_and_where_people_stopped(engine: Engine) -> None:
    flow = small_flow()
    base = SessionState(flow.id, flow.version)

    def started(hours_ago: float) -> str:
        return (NOW - timedelta(hours=hours_ago)).isoformat()

    done = base.evolve(status=Status.COMPLETED, started_at=started(30), completed_at=started(29))
    session_for(engine, "done-yesterday", done, hours_ago=29)
    done_today = base.evolve(
        status=Status.COMPLETED, started_at=started(2), completed_at=started(1)
    )
    session_for(engine, "done-today", done_today, hours_ago=1)
    at_tools = base.evolve(status=Status.ACTIVE, current="tools", started_at=started(50))
    session_for(engine, "left-at-tools", at_tools, hours_ago=48)
    session_for(engine, "at-tools", at_tools.evolve(started_at=started(1)), hours_ago=0.5)
    choosing = base.evolve(status=Status.LANGUAGE, started_at=started(3))
    session_for(engine, "choosing-language", choosing, hours_ago=3)

    with transaction(engine) as session:
        progress = survey_progress(
            session=session,
            flow_id=flow.id,
            since=NOW - timedelta(hours=8),
            idle_before=NOW - timedelta(hours=24),
        )
        other = survey_progress(session=session, flow_id="other", since=NOW, idle_before=NOW)
    assert (progress.started, progress.completed, progress.unfinished) == (5, 2, 3)
    assert (progress.started_since, progress.completed_since) == (3, 1)
    assert progress.waiting == (Waiting("tools", 2, 1), Waiting(None, 1, 0))
    assert (other.started, other.waiting) == (0, ())
