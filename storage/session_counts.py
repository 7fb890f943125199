"""Sessions started and completed, read from the session counters (storage.session_counters).

One small GROUP BY over `session_counter` gives, for the sessions a `ReportFilter` keeps,
how many started in each UTC hour and how many of them completed how many hours later;
totals, channels, days and hours are added up from those rows here. The counters answer
a filter on channel, language, test data and start dates on whole UTC hours (the
dashboard's China calendar days are); a filter on answers, or dates inside an hour, is
answered from the rows instead (`answerable`). A count "since a moment" adds the
moment's partial hour from the rows, through the `(flow_id, started_at)` and
`(flow_id, completed_at)` indexes (at most an hour of sessions).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, case, func, select
from sqlmodel import Session

from storage import counter_ledger
from storage.counter_models import SessionCounter
from storage.filters import ReportFilter
from storage.models import Respondent, SurveySession
from storage.session_counters import HOUR, NOT_COMPLETED, hour_of
from storage.transactions import connection_of

_COUNTER: Table = SessionCounter.__table__  # type: ignore[attr-defined]
_SESSION: Table = SurveySession.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Counted:
    """Sessions that started in one UTC hour and completed `completed_after` whole hours
    later (`NOT_COMPLETED`: not yet)."""

    started_hour: datetime
    completed_after: int
    sessions: int

    @property
    def completed_hour(self) -> datetime | None:
        if self.completed_after == NOT_COMPLETED:
            return None
        return self.started_hour + self.completed_after * HOUR


def answerable(report_filter: ReportFilter, utc_offset: timedelta = timedelta(0)) -> bool:
    """Whether the counters hold the answer: no answer conditions, start dates and the
    offset of the days or hours asked for on whole hours, every session counting (not
    per organisation or plant: storage.unit_sessions)."""
    moments = [m for m in (report_filter.since, report_filter.until) if m is not None]
    return (
        not report_filter.answers
        and not report_filter.per_unit
        and all(hour_of(m) == m for m in moments)
        and utc_offset % HOUR == timedelta(0)
    )


def counted(*, session: Session, flow_id: str, report_filter: ReportFilter) -> list[Counted]:
    """The counter rows the filter keeps (`answerable` must hold), summed over versions,
    channels and languages."""
    n = func.sum(_COUNTER.c.count)
    hour, after = _COUNTER.c.started_hour, _COUNTER.c.completed_after
    counter_ledger.write_now(connection_of(session))  # this transaction's own changes too
    rows = connection_of(session).execute(
        select(hour, after, n)
        .where(*_kept(flow_id, report_filter))
        .group_by(hour, after)
        .having(n != 0)
    )
    return [Counted(h, int(a), int(k)) for h, a, k in rows]


def by_channel(
    *, session: Session, flow_id: str, report_filter: ReportFilter
) -> dict[str, tuple[int, int]]:
    """channel → (started, completed), for the sessions the filter keeps (`answerable`)."""
    c = _COUNTER.c
    done = case((c.completed_after != NOT_COMPLETED, c.count), else_=0)
    counter_ledger.write_now(connection_of(session))  # this transaction's own changes too
    rows = connection_of(session).execute(
        select(c.channel, func.sum(c.count), func.sum(done))
        .where(*_kept(flow_id, report_filter))
        .group_by(c.channel)
        .having(func.sum(c.count) != 0)
    )
    return {str(ch): (int(started), int(ended)) for ch, started, ended in rows}


def _kept(flow_id: str, report_filter: ReportFilter) -> list[ColumnElement[bool]]:
    c = _COUNTER.c
    who = _who_and_when(report_filter, c.channel, c.lang, c.is_test, c.started_hour)
    return [c.flow_id == flow_id, *who]


def _who_and_when(
    f: ReportFilter,
    channel: ColumnElement[str],
    lang: ColumnElement[str],
    is_test: ColumnElement[bool],
    started: ColumnElement[datetime],
) -> list[ColumnElement[bool]]:
    """The filter's channel, language, test data and start dates as conditions on the
    counters' columns or on the session and respondent rows' (only `answerable` filters
    come here: no answers, no counting per unit)."""
    where: list[ColumnElement[bool]] = []
    if f.channel is not None:
        where.append(channel == f.channel)
    if f.lang is not None:
        where.append(lang == f.lang)
    if not f.include_test:
        where.append(is_test.is_(False))
    if f.since is not None:
        where.append(started >= f.since)
    if f.until is not None:
        where.append(started < f.until)
    return where


@dataclass(frozen=True)
class Totals:
    started: int
    completed: int
    started_since: int
    completed_since: int


def totals(
    *, session: Session, flow_id: str, report_filter: ReportFilter, since: datetime
) -> Totals:
    """Started and completed, in all and since `since` (any moment)."""
    rows = counted(session=session, flow_id=flow_id, report_filter=report_filter)
    whole = hour_of(since) if hour_of(since) == since else hour_of(since) + HOUR
    started = completed = started_since = completed_since = 0
    for row in rows:
        started += row.sessions
        if row.started_hour >= whole:
            started_since += row.sessions
        done = row.completed_hour
        if done is not None:
            completed += row.sessions
            if done >= whole:
                completed_since += row.sessions
    if whole != since:  # the partial hour [since, whole), from the rows
        s = _SESSION.c
        started_since += _edge(session, flow_id, report_filter, s.started_at, since, whole)
        completed_since += _edge(session, flow_id, report_filter, s.completed_at, since, whole)
    return Totals(started, completed, started_since, completed_since)


def _edge(
    session: Session,
    flow_id: str,
    report_filter: ReportFilter,
    column: ColumnElement[datetime],
    since: datetime,
    until: datetime,
) -> int:
    """Sessions the filter keeps whose `column` falls in [since, until): an index range
    of at most an hour, joined to their respondents row by row."""
    s, r = _SESSION.c, _RESPONDENT.c
    who = _who_and_when(report_filter, r.channel, r.lang, r.is_test, s.started_at)
    query = (
        select(func.count())
        .select_from(_SESSION.join(_RESPONDENT, r.id == s.respondent_id))
        .where(s.flow_id == flow_id, column >= since, column < until, *who)
    )
    return int(connection_of(session).execute(query).scalar_one())


def by_hour(
    rows: list[Counted], utc_offset: timedelta
) -> tuple[Counter[datetime], Counter[datetime]]:
    """(started, completed) per clock hour at `utc_offset` (naive wall times)."""
    started: Counter[datetime] = Counter()
    completed: Counter[datetime] = Counter()
    for row in rows:
        started[_wall(row.started_hour, utc_offset)] += row.sessions
        done = row.completed_hour
        if done is not None:
            completed[_wall(done, utc_offset)] += row.sessions
    return started, completed


def _wall(hour: datetime, utc_offset: timedelta) -> datetime:
    return (hour + utc_offset).replace(tzinfo=None)
