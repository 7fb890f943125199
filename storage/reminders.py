"""One reminder to those who stop mid-survey: who is due, claiming it once, who came back.

Several workers (and hosts) may look at once: `claim` inserts the `reminder` row keyed
by the session, so exactly one of them wins and queues the message in the same
transaction; the others insert nothing and send nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Column, Table, bindparam, delete, func, literal_column, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from flows.state import Status
from storage import precompiled
from storage.models import Reminder, ReminderOptOut, Respondent, SurveySession
from storage.schema_conventions import UTCDateTime
from storage.transactions import connection_of

# WeChat: customer-service messages only within 48 h of the user's last message. A
# margin so a reminder queued now is still inside the window when the outbox sends it.
WINDOW = timedelta(hours=47)
CHANNELS = ("wechat", "telegram")


@dataclass(frozen=True)
class Due:
    survey_session_id: int
    respondent_id: int
    channel: str
    channel_user_id: str
    flow_id: str
    flow_version: int
    state_json: str


def due_reminders(
    *, session: Session, flow_id: str, after_hours: float, now: datetime, limit: int = 200
) -> list[Due]:
    """Sessions of `flow_id` stopped mid-survey for `after_hours` whose respondent was
    never reminded (one reminder per person, ever), is real (not test data), still
    inside WeChat's 48-hour window (Telegram has none) and has not opted out. Erased
    respondents have no session left, so they are never due."""
    reminded = select(Reminder.respondent_id)
    opted_out = select(ReminderOptOut.respondent_id)
    rows = session.exec(
        select(SurveySession, Respondent)
        .join(Respondent, col(Respondent.id) == col(SurveySession.respondent_id))
        .where(SurveySession.flow_id == flow_id)
        .where(SurveySession.status == Status.ACTIVE.value)
        .where(col(SurveySession.updated_at) <= now - timedelta(hours=after_hours))
        .where(
            or_(
                col(Respondent.channel) != "wechat",
                col(Respondent.last_inbound_at) >= now - WINDOW,
            )
        )
        .where(col(Respondent.active).is_(True))
        .where(col(Respondent.is_test).is_(False))
        .where(col(Respondent.channel).in_(CHANNELS))
        .where(col(Respondent.id).not_in(reminded))
        .where(col(Respondent.id).not_in(opted_out))
        .order_by(col(SurveySession.id))
        .limit(limit)
    ).all()
    return [
        Due(
            s.id or 0,
            r.id or 0,
            r.channel,
            r.channel_user_id,
            s.flow_id,
            s.flow_version,
            s.state_json,
        )  # fmt: skip
        for s, r in rows
    ]


def claim(*, session: Session, due: Due, now: datetime) -> bool:
    """Record the reminder; False when another worker already did (then send nothing)."""
    values = {
        "survey_session_id": due.survey_session_id,
        "respondent_id": due.respondent_id,
        "flow_id": due.flow_id,
        "sent_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Reminder).values(**values).on_conflict_do_nothing()
    return bool(session.connection().execute(statement).rowcount)


_REMINDER: Table = Reminder.__table__  # type: ignore[attr-defined]
# Run on every inbound message: built and compiled once (building the UPDATE per message
# was ~13 % of a push's CPU under `surveybot bench compare`). Bind names differ from
# column names, as an UPDATE needs.
_NOTE_RETURN = (
    update(_REMINDER)
    .where(_REMINDER.c.respondent_id == bindparam("match_respondent"))
    .where(_REMINDER.c.returned_at.is_(None))
    .values(returned_at=bindparam("now", type_=UTCDateTime))
)


def return_awaited(*, respondent_id: Column[int]) -> ColumnElement[bool]:
    """Whether a reminder to this respondent still awaits their return, for the RETURNING
    clause of the statement that locks them: `note_return` then runs only for the few
    reminded, not on every message. (SQL as text, as `storage.broadcasts.held_waiting`.)"""
    return literal_column(
        f"EXISTS (SELECT 1 FROM {_REMINDER.name} AS awaited"
        f" WHERE awaited.respondent_id = {respondent_id.table.name}.{respondent_id.name}"
        " AND awaited.returned_at IS NULL)",
        Boolean,
    )


def note_return(*, session: Session, respondent_id: int, now: datetime) -> None:
    """A message after a reminder: that respondent came back (call it when
    `return_awaited` said so, as the respondent was locked)."""
    params = {"match_respondent": respondent_id, "now": now}
    precompiled.later(connection_of(session), _NOTE_RETURN, params)


def opt_out(*, session: Session, respondent_id: int, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ReminderOptOut).values(respondent_id=respondent_id, created_at=now)
    session.connection().execute(statement.on_conflict_do_nothing())


def forget(*, session: Session, respondent_id: int) -> None:
    """Before the respondent's sessions are deleted ("delete my data")."""
    session.connection().execute(
        delete(Reminder).where(col(Reminder.respondent_id) == respondent_id)
    )


def reminder_counts(*, session: Session, flow_ids: Sequence[str]) -> tuple[int, int]:
    """(reminded, came back) for a survey's flows."""
    row = session.exec(
        select(func.count(), func.count(col(Reminder.returned_at))).where(
            col(Reminder.flow_id).in_(list(flow_ids))
        )
    ).one()
    return int(row[0]), int(row[1])
