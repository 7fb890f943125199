"""How the survey is going: started, completed, and where unfinished respondents stopped.

Started and completed come from the session counters (`storage.session_counts`) where
the filter allows. A survey session's current question lives in its JSON state
(`current`), so the unfinished sessions are read and grouped here rather than in SQL:
there is one row per respondent who stopped, a few thousand at most, and no column has
to mirror the state.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import Session, col, select

from storage import session_counts
from storage.filters import NO_FILTER, ReportFilter, session_conditions
from storage.models import SurveySession


@dataclass(frozen=True)
class Waiting:
    """Unfinished sessions stopped at one question (None: before the first question)."""

    question_id: str | None
    sessions: int
    idle: int  # of which nothing was heard for longer than the idle limit


@dataclass(frozen=True)
class Progress:
    started: int
    completed: int
    started_since: int  # since the `since` given (e.g. today's midnight)
    completed_since: int
    waiting: tuple[Waiting, ...]  # biggest first

    @property
    def unfinished(self) -> int:
        return self.started - self.completed


def survey_progress(
    *,
    session: Session,
    flow_id: str,
    since: datetime,
    idle_before: datetime,
    report_filter: ReportFilter = NO_FILTER,
    from_counters: bool = True,
) -> Progress:
    """Counts for `flow_id`'s sessions the filter keeps; sessions untouched since
    `idle_before` count as idle. `from_counters=False` counts every figure from the rows
    (what the counters are checked against)."""
    in_flow = and_(
        col(SurveySession.flow_id) == flow_id, *session_conditions(report_filter, flow_id)
    )
    if from_counters and session_counts.answerable(report_filter):
        counted = session_counts.totals(
            session=session, flow_id=flow_id, report_filter=report_filter, since=since
        )
        started, completed = counted.started, counted.completed
        started_since, completed_since = counted.started_since, counted.completed_since
    else:
        started = _count(session, in_flow)
        completed = _count(session, in_flow, col(SurveySession.completed_at).is_not(None))
        started_since = _count(session, in_flow, col(SurveySession.started_at) >= since)
        completed_since = _count(session, in_flow, col(SurveySession.completed_at) >= since)
    # Read through the partial index ix_survey_session_unfinished: as many rows as
    # respondents who stopped, whatever the total.
    rows = session.exec(
        select(SurveySession.state_json, SurveySession.updated_at).where(
            in_flow, col(SurveySession.completed_at).is_(None)
        )
    ).all()
    sessions: Counter[str | None] = Counter()
    idle: Counter[str | None] = Counter()
    for state_json, updated_at in rows:
        current = _current(state_json)
        sessions[current] += 1
        if updated_at < idle_before:
            idle[current] += 1
    waiting = tuple(
        Waiting(question_id, n, idle[question_id])
        for question_id, n in sorted(sessions.items(), key=lambda item: (-item[1], item[0] or ""))
    )
    return Progress(started, completed, started_since, completed_since, waiting)


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.exec(select(func.count()).select_from(SurveySession).where(*where)).one())


def _current(state_json: str) -> str | None:
    try:
        current = json.loads(state_json).get("current")
    except (ValueError, AttributeError):
        return None
    return current if isinstance(current, str) else None
