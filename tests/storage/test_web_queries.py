"""Dashboard progress per day: calendar days at a fixed offset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from flows.state import SessionState, Status
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from storage.web_queries import DayProgress, HourProgress, progress_by_day, progress_by_hour

# 23:00 and 01:00 in Beijing: one day apart there, the same day in UTC.
LATE = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)


def _session(engine: Engine, user: str, started: datetime, *, completed: bool) -> None:
    status = Status.COMPLETED if completed else Status.ACTIVE
    state = SessionState(
        flow_id="f",
        flow_version=1,
        status=status,
        started_at=started.isoformat(),
        completed_at=started.isoformat() if completed else None,
    )
    with transaction(engine) as session:
        row = lock_respondent(session=session, channel="wechat", channel_user_id=user, now=started)
        assert row.id is not None
        save_session_row(session=session, respondent_id=row.id, state=state, now=started)


def test_days_follow_the_offset(engine: Engine) -> None:
    _session(engine, "a", LATE, completed=True)
    _session(engine, "b", AFTER_MIDNIGHT, completed=False)
    with transaction(engine, readonly=True) as session:
        utc = progress_by_day(session=session, flow_id="f")
        china = progress_by_day(session=session, flow_id="f", utc_offset=timedelta(hours=8))
        west = progress_by_day(session=session, flow_id="f", utc_offset=timedelta(hours=-16))
    assert utc == [DayProgress(date(2026, 3, 1), 2, 1, 1)]
    assert china == [
        DayProgress(date(2026, 3, 1), 1, 1, 1),
        DayProgress(date(2026, 3, 2), 1, 0, 1),
    ]
    assert west == [
        DayProgress(date(2026, 2, 28), 1, 1, 1),
        DayProgress(date(2026, 3, 1), 1, 0, 1),
    ]


def test_hours_follow_the_offset(engine: Engine) -> None:
    _session(engine, "a", LATE, completed=True)
    _session(engine, "b", LATE + timedelta(minutes=59), completed=True)
    _session(engine, "c", AFTER_MIDNIGHT + timedelta(minutes=30), completed=False)
    with transaction(engine, readonly=True) as session:
        china = progress_by_hour(session=session, flow_id="f", utc_offset=timedelta(hours=8))
    assert china == [
        HourProgress(datetime(2026, 3, 1, 23), 2, 2, 2),
        HourProgress(datetime(2026, 3, 2, 1), 1, 0, 2),
    ]
