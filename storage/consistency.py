"""`surveybot db verify`: every kept aggregate against a recount from the rows."""

from __future__ import annotations

from sqlmodel import Session

from flows.model import Flow
from storage import aggregates, choice_masks, segment_counters, session_counters


def verify(*, session: Session, flow: Flow) -> list[str]:
    """Differences of the survey's live counters, of its peer-segment counters (as
    `flow` declares them: the survey's newest version) and of its session counters from
    the rows, and (PostgreSQL) of its sessions' choice masks (empty: all exact)."""
    return (
        aggregates.verify(session=session, flow_id=flow.id)
        + segment_counters.verify(session=session, flow_id=flow.id, declared=flow.segments)
        + session_counters.verify(session=session, flow_id=flow.id)
        + choice_masks.verify(session=session, flow_id=flow.id)
    )
