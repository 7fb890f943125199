"""`surveybot db verify`: every kept aggregate against a recount from the answer rows."""

from __future__ import annotations

from sqlmodel import Session

from storage import aggregates, segment_counters


def verify(*, session: Session, flow_id: str) -> list[str]:
    """Differences of the survey's live counters and of its peer-segment counters from
    the answer rows (empty: both exact)."""
    return aggregates.verify(session=session, flow_id=flow_id) + segment_counters.verify(
        session=session, flow_id=flow_id
    )
