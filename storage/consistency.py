"""`surveybot db verify`: every kept aggregate against a recount from the rows."""

from __future__ import annotations

from sqlmodel import Session

from flows.model import Flow
from storage import aggregates, choice_masks, segment_counters, session_counters
from storage.answer_recount import recount


def verify(*, session: Session, flow: Flow) -> list[str]:
    """Differences of the survey's live counters, of its peer-segment counters (as
    `flow` declares them: the survey's newest version) and of its session counters from
    the rows, and (PostgreSQL) of its sessions' choice masks (empty: all exact)."""
    return (
        _counter_differences(session=session, flow_id=flow.id)
        + segment_counters.verify(session=session, flow_id=flow.id, declared=flow.segments)
        + session_counters.verify(session=session, flow_id=flow.id)
        + choice_masks.verify(session=session, flow_id=flow.id)
    )


def _counter_differences(*, session: Session, flow_id: str) -> list[str]:
    """Differences between the counters and a recount (empty: consistent)."""
    stored = aggregates.counters(session=session, flow_id=flow_id)
    actual = recount(session=session, flow_id=flow_id)
    problems = []
    for question_id, option_id in sorted(stored.keys() | actual.keys()):
        have = stored.get((question_id, option_id), 0)
        want = actual.get((question_id, option_id), 0)
        if have != want:
            label = f"{question_id}:{option_id or '(respondents)'}"
            problems.append(f"{flow_id} {label}: counter {have}, answers {want}")
    return problems
