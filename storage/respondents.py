"""Respondents and their survey-session rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from flows.state import SessionState, Status
from storage.db import upsert
from storage.models import Respondent, SurveySession


def lock_respondent(
    *,
    session: Session,
    channel: str,
    channel_user_id: str,
    now: datetime,
    source: str | None = None,
) -> Respondent:
    """Get or create the respondent and hold its row lock until the transaction ends.

    Two messages of one respondent are thus processed one after the other, across
    processes (PostgreSQL: SELECT … FOR UPDATE; SQLite: BEGIN IMMEDIATE serializes all
    writers already). Load the session state only *after* this call.
    """
    respondent = _select_for_update(session, channel, channel_user_id)
    if respondent is None:
        # Looked up first: an INSERT … ON CONFLICT per message would burn a sequence
        # value each time, and respondent numbers (shown in reports) would have gaps.
        session.exec(
            upsert(session, Respondent)
            .values(
                channel=channel,
                channel_user_id=channel_user_id,
                lang="both",
                source=source,
                active=True,
                subscribed_updates=False,
                created_at=now,
                last_inbound_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "channel_user_id"])
        )
        respondent = _select_for_update(session, channel, channel_user_id)
        assert respondent is not None
    respondent.last_inbound_at = now
    respondent.active = True
    if source and not respondent.source:
        respondent.source = source
    session.add(respondent)
    return respondent


def _select_for_update(session: Session, channel: str, channel_user_id: str) -> Respondent | None:
    return session.exec(
        select(Respondent)
        .where(Respondent.channel == channel, Respondent.channel_user_id == channel_user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def set_respondent_active(
    *, session: Session, channel: str, channel_user_id: str, active: bool, now: datetime
) -> None:
    """WeChat unsubscribe / Telegram block (active=False): answers are kept."""
    values: dict[str, object] = {"active": active}
    if active:
        values["last_inbound_at"] = now
    session.exec(
        update(Respondent)
        .where(
            col(Respondent.channel) == channel,
            col(Respondent.channel_user_id) == channel_user_id,
        )
        .values(**values)
    )


def subscribed_respondents(*, session: Session, channel: str | None = None) -> Sequence[Respondent]:
    """Active respondents who asked for updates (the /broadcast audience)."""
    query = select(Respondent).where(
        col(Respondent.active).is_(True), col(Respondent.subscribed_updates).is_(True)
    )
    if channel is not None:
        query = query.where(Respondent.channel == channel)
    return session.exec(query.order_by(col(Respondent.id))).all()


def load_session_row(*, session: Session, respondent_id: int, flow_id: str) -> SurveySession | None:
    return session.exec(
        select(SurveySession).where(
            SurveySession.respondent_id == respondent_id, SurveySession.flow_id == flow_id
        )
    ).first()


def load_state(*, session: Session, respondent_id: int, flow_id: str) -> SessionState | None:
    row = load_session_row(session=session, respondent_id=respondent_id, flow_id=flow_id)
    return SessionState.from_json(row.state_json) if row is not None else None


def save_session_row(
    *, session: Session, respondent_id: int, state: SessionState, now: datetime
) -> SurveySession:
    """Insert or update the respondent's row for `state.flow_id` (status/times mirrored)."""
    row = load_session_row(session=session, respondent_id=respondent_id, flow_id=state.flow_id)
    if row is None:
        row = SurveySession(
            respondent_id=respondent_id,
            flow_id=state.flow_id,
            flow_version=state.flow_version,
            status=state.status.value,
            state_json="",
            started_at=_parse(state.started_at) or now,
            updated_at=now,
        )
    row.flow_version = state.flow_version
    row.status = state.status.value
    row.state_json = state.to_json()
    row.updated_at = now
    if state.started_at:
        row.started_at = _parse(state.started_at) or row.started_at
    if state.status is Status.COMPLETED or state.completed_at:
        row.completed_at = _parse(state.completed_at) or row.completed_at or now
    else:
        row.completed_at = None
    session.add(row)
    session.flush()
    return row


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
