"""Read-only queries behind the staff dashboard: progress per channel and per day.

Both count survey sessions (one per respondent and flow) in SQL, so the dashboard costs
a few small queries however many respondents there are. Days are calendar days at a
fixed offset from UTC (the dashboard uses China's, UTC+8), the same on both databases.
(Cross-tabs: `storage.crosstab`; overall progress: `storage.progress`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Interval, func, literal
from sqlmodel import Session, col, select

from storage.aggregates import percent
from storage.filters import NO_FILTER, ReportFilter, session_conditions
from storage.models import Respondent, SurveySession


@dataclass(frozen=True)
class ChannelProgress:
    channel: str
    started: int
    completed: int

    @property
    def completion_rate(self) -> Decimal:
        return percent(self.completed, self.started)


@dataclass(frozen=True)
class DayProgress:
    day: date
    started: int
    completed: int
    completed_to_date: int


@dataclass(frozen=True)
class HourProgress:
    hour: datetime  # the hour's start, wall time at the offset asked for (naive)
    started: int
    completed: int
    completed_to_date: int


def progress_by_hour(
    *,
    session: Session,
    flow_id: str,
    utc_offset: timedelta = timedelta(0),
    report_filter: ReportFilter = NO_FILTER,
) -> list[HourProgress]:
    """As `progress_by_day`, per clock hour (a campaign's first days)."""
    where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter)]
    started = _per_hour(session, where, col(SurveySession.started_at), utc_offset)
    completed = _per_hour(session, where, col(SurveySession.completed_at), utc_offset)
    out: list[HourProgress] = []
    running = 0
    for hour in sorted(started.keys() | completed.keys()):
        running += completed.get(hour, 0)
        out.append(HourProgress(hour, started.get(hour, 0), completed.get(hour, 0), running))
    return out


def _per_hour(
    session: Session, where: list[Any], column: Any, offset: timedelta
) -> dict[datetime, int]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        shifted = func.timezone("UTC", column) + literal(offset, Interval())
        hour = func.to_char(func.date_trunc("hour", shifted), "YYYY-MM-DD HH24:00:00")
    else:
        hour = func.strftime(
            "%Y-%m-%d %H:00:00", column, f"{int(offset.total_seconds()):+d} seconds"
        )
    rows = session.exec(
        select(hour, func.count()).where(*where, column.is_not(None)).group_by(hour)
    ).all()
    return {datetime.fromisoformat(str(h)): int(n) for h, n in rows}


def progress_by_channel(
    *, session: Session, flow_id: str, report_filter: ReportFilter = NO_FILTER
) -> list[ChannelProgress]:
    """Sessions started and completed, per channel (sorted by channel name)."""
    where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter)]
    rows = session.exec(
        select(
            Respondent.channel,
            func.count(),
            func.count(col(SurveySession.completed_at)),
        )
        .join(Respondent, col(Respondent.id) == col(SurveySession.respondent_id))
        .where(*where)
        .group_by(col(Respondent.channel))
        .order_by(col(Respondent.channel))
    ).all()
    return [ChannelProgress(str(c), int(s), int(d)) for c, s, d in rows]


def progress_by_day(
    *,
    session: Session,
    flow_id: str,
    utc_offset: timedelta = timedelta(0),
    report_filter: ReportFilter = NO_FILTER,
) -> list[DayProgress]:
    """Sessions started and completed per day (calendar days at `utc_offset`), oldest
    first, days without either left out; `completed_to_date` is the running total."""
    where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter)]
    started = _per_day(session, where, col(SurveySession.started_at), utc_offset)
    completed = _per_day(session, where, col(SurveySession.completed_at), utc_offset)
    out: list[DayProgress] = []
    running = 0
    for day in sorted(started.keys() | completed.keys()):
        running += completed.get(day, 0)
        out.append(DayProgress(day, started.get(day, 0), completed.get(day, 0), running))
    return out


def _per_day(session: Session, where: list[Any], column: Any, offset: timedelta) -> dict[date, int]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # date() of a timestamptz uses the session time zone: pin it to UTC, then shift.
        day = func.date(func.timezone("UTC", column) + literal(offset, Interval()))
    else:  # SQLite keeps UTC wall time; its date() takes the shift as a modifier
        day = func.date(column, f"{int(offset.total_seconds()):+d} seconds")
    rows = session.exec(
        select(day, func.count()).where(*where, column.is_not(None)).group_by(day)
    ).all()
    return {_as_date(d): int(n) for d, n in rows}


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
