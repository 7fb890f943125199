"""Read-only queries behind the staff dashboard: progress per channel and per day.

Both count survey sessions (one per respondent and flow) from the session counters
(`storage.session_counts`: a few thousand rows however many respondents there are), or
from the rows where a filter asks what the counters do not hold. Days are calendar days
at a fixed offset from UTC (the dashboard uses China's, UTC+8), the same on both
databases.
(Cross-tabs: `storage.crosstab`; overall progress: `storage.progress`.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Interval, func, literal
from sqlmodel import Session, col, select

from storage import session_counts
from storage.aggregates import percent
from storage.filters import NO_FILTER, ReportFilter, session_conditions
from storage.models import Respondent, SurveySession

T = TypeVar("T", date, datetime)


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
    from_counters: bool = True,
) -> list[HourProgress]:
    """As `progress_by_day`, per clock hour (a campaign's first days)."""
    started: Mapping[datetime, int]
    completed: Mapping[datetime, int]
    if from_counters and session_counts.answerable(report_filter, utc_offset):
        rows = session_counts.counted(session=session, flow_id=flow_id, report_filter=report_filter)
        started, completed = session_counts.by_hour(rows, utc_offset)
    else:
        where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter, flow_id)]
        started = _per_hour(session, where, col(SurveySession.started_at), utc_offset)
        completed = _per_hour(session, where, col(SurveySession.completed_at), utc_offset)
    return [HourProgress(*figures) for figures in _running(started, completed)]


def _running(started: Mapping[T, int], completed: Mapping[T, int]) -> list[tuple[T, int, int, int]]:
    """(period, started, completed, completed to date), oldest first, periods without
    either left out."""
    out = []
    running = 0
    for period in sorted(started.keys() | completed.keys()):
        running += completed.get(period, 0)
        out.append((period, started.get(period, 0), completed.get(period, 0), running))
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
    *,
    session: Session,
    flow_id: str,
    report_filter: ReportFilter = NO_FILTER,
    from_counters: bool = True,
) -> list[ChannelProgress]:
    """Sessions started and completed, per channel (sorted by channel name)."""
    if from_counters and session_counts.answerable(report_filter):
        channels = session_counts.by_channel(
            session=session, flow_id=flow_id, report_filter=report_filter
        )
        return [ChannelProgress(c, *channels[c]) for c in sorted(channels)]
    where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter, flow_id)]
    found = session.exec(
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
    return [ChannelProgress(str(c), int(s), int(d)) for c, s, d in found]


def progress_by_day(
    *,
    session: Session,
    flow_id: str,
    utc_offset: timedelta = timedelta(0),
    report_filter: ReportFilter = NO_FILTER,
    from_counters: bool = True,
) -> list[DayProgress]:
    """Sessions started and completed per day (calendar days at `utc_offset`), oldest
    first, days without either left out; `completed_to_date` is the running total.
    `from_counters=False` counts the rows (what the counters are checked against)."""
    started: Mapping[date, int]
    completed: Mapping[date, int]
    if from_counters and session_counts.answerable(report_filter, utc_offset):
        rows = session_counts.counted(session=session, flow_id=flow_id, report_filter=report_filter)
        hourly = session_counts.by_hour(rows, utc_offset)
        started, completed = (_days(per_hour) for per_hour in hourly)
    else:
        where = [col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter, flow_id)]
        started = _per_day(session, where, col(SurveySession.started_at), utc_offset)
        completed = _per_day(session, where, col(SurveySession.completed_at), utc_offset)
    return [DayProgress(*figures) for figures in _running(started, completed)]


def _days(per_hour: Mapping[datetime, int]) -> Counter[date]:
    out: Counter[date] = Counter()
    for hour, n in per_hour.items():
        out[hour.date()] += n
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
