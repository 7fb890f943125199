"""Survey-session rows: one per respondent and survey, the engine's state as JSON.

Read and written on every inbound message: Core statements built once (compiled once
per engine) that hand back a plain frozen `SessionRow`, not an ORM object.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, null, select, update
from sqlalchemy.sql.dml import Update
from sqlmodel import Session

from flows.state import SessionState, Status, remember
from storage import counter_read_ahead, precompiled, session_counters
from storage.counter_read_ahead import QuestionCounts
from storage.models import Respondent, SurveySession
from storage.schema_conventions import UTCDateTime
from storage.transactions import connection_of

_SESSION: Table = SurveySession.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]
# Bind names must differ from column names in INSERT/UPDATE statements.
_NOW = bindparam("now", type_=UTCDateTime)


@dataclass(frozen=True)
class SessionRow:
    """A respondent's survey-session row (the state as JSON, status and times mirrored)."""

    id: int
    respondent_id: int
    flow_id: str
    flow_version: int
    status: str
    state_json: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None


_SESSION_COLUMNS = tuple(_SESSION.c[f.name] for f in fields(SessionRow))


_LOAD_SESSION = select(*_SESSION_COLUMNS).where(
    _SESSION.c.respondent_id == bindparam("match_respondent"),
    _SESSION.c.flow_id == bindparam("match_flow"),
)


def load_session_row(*, session: Session, respondent_id: int, flow_id: str) -> SessionRow | None:
    params = {"match_respondent": respondent_id, "match_flow": flow_id}
    return _session_row(precompiled.first(connection_of(session), _LOAD_SESSION, params))


_LATEST_SESSION = (
    select(*_SESSION_COLUMNS)
    .where(_SESSION.c.respondent_id == bindparam("match_respondent"))
    .order_by(_SESSION.c.updated_at.desc(), _SESSION.c.id.desc())
    .limit(1)
)


def latest_session_row(*, session: Session, respondent_id: int) -> SessionRow | None:
    """The respondent's most recently updated session row, of any survey (newest wins ties).

    The per-message read for choosing a respondent's current survey: one statement built
    once, a plain row (an ORM query here cost ~0.1 ms more per message).
    """
    params = {"match_respondent": respondent_id}
    return _session_row(precompiled.first(connection_of(session), _LATEST_SESSION, params))


@dataclass(frozen=True)
class LatestSession:
    """`latest_session_row`, read before it was asked for: with the statement that locked
    the respondent (storage.claim_and_lock), as the next statement of its round trip;
    with the counters of the question that row is at, for the snapshot
    (storage.counter_read_ahead)."""

    row: SessionRow | None
    counts: QuestionCounts | None = None


# The same read, the respondent found by their channel and user id (no id known yet),
# and the counters of the question the row is at (PostgreSQL only).
LATEST_SESSION_OF_SENDER = (
    select(*_SESSION_COLUMNS, *counter_read_ahead.columns(_SESSION))
    .where(
        _SESSION.c.respondent_id
        == select(_RESPONDENT.c.id)
        .where(
            _RESPONDENT.c.channel == bindparam("sender_channel"),
            _RESPONDENT.c.channel_user_id == bindparam("sender_user"),
        )
        .scalar_subquery()
    )
    .order_by(_SESSION.c.updated_at.desc(), _SESSION.c.id.desc())
    .limit(1)
)


def latest_of_sender(conn: Connection, found: list[tuple[Any, ...]]) -> LatestSession:
    """`LATEST_SESSION_OF_SENDER`'s rows, as read ahead."""
    if not found:
        return LatestSession(None)
    *columns, current, packed = found[0]
    row = _session_row(tuple(columns))
    assert row is not None
    return LatestSession(row, counter_read_ahead.read(conn, row.flow_id, current, packed))


def load_state(*, session: Session, respondent_id: int, flow_id: str) -> SessionState | None:
    row = load_session_row(session=session, respondent_id=respondent_id, flow_id=flow_id)
    return SessionState.from_json(row.state_json) if row is not None else None


# What a save cannot know without the row (the state it wrote is not read back).
_SAVED_COLUMNS = (_SESSION.c.id, _SESSION.c.started_at, _SESSION.c.completed_at)
_STATE_VALUES = {
    "flow_version": bindparam("new_version"),
    "status": bindparam("new_status"),
    "state_json": bindparam("new_state"),
    "updated_at": _NOW,
}


def _save_update(*, completing: bool, returning: bool = True) -> Update:
    started = bindparam("new_started", type_=UTCDateTime)
    completed = bindparam("new_completed", type_=UTCDateTime)
    statement = (
        update(_SESSION)
        .where(
            _SESSION.c.respondent_id == bindparam("match_respondent"),
            _SESSION.c.flow_id == bindparam("match_flow"),
        )
        .values(
            **_STATE_VALUES,
            started_at=func.coalesce(started, _SESSION.c.started_at),
            completed_at=(
                func.coalesce(completed, _SESSION.c.completed_at, _NOW) if completing else null()
            ),
        )
    )
    return statement.returning(*_SAVED_COLUMNS) if returning else statement


_UPDATE_OPEN = _save_update(completing=False)
_UPDATE_COMPLETING = _save_update(completing=True)
# The row as read earlier in this transaction: what RETURNING would say is known.
_QUEUED_UPDATE = {c: _save_update(completing=c, returning=False) for c in (False, True)}
_INSERT_SESSION = (
    _SESSION.insert()
    .values(
        respondent_id=bindparam("match_respondent"),
        flow_id=bindparam("match_flow"),
        **_STATE_VALUES,
        started_at=bindparam("new_started", type_=UTCDateTime),
        completed_at=bindparam("new_completed", type_=UTCDateTime),
    )
    .returning(*_SAVED_COLUMNS)
)


def save_session_row(
    *,
    session: Session,
    respondent_id: int,
    state: SessionState,
    now: datetime,
    before: session_counters.BeforeSave | None = None,
    read: SessionRow | None = None,
) -> SessionRow:
    """Insert or update the respondent's row for `state.flow_id` (status/times mirrored);
    the session counters follow (storage.session_counters). `before`: where the row
    counts now, when the caller knows it (`session_counters.known_before`); else read.

    `read`: this row as read in this transaction under the respondent's lock (the
    dispatcher's route; every writer of session rows takes that lock first). Its id and
    times are then known, so the UPDATE's RETURNING is not needed: it is queued with the
    step's other writes (on PostgreSQL, one wait fewer a push)."""
    conn = connection_of(session)
    if before is None:
        before = session_counters.before_save(
            conn, respondent_id=respondent_id, flow_id=state.flow_id
        )
    completing = state.status is Status.COMPLETED or bool(state.completed_at)
    started, completed = _parse(state.started_at), _parse(state.completed_at)
    state_json = state.to_json()
    remember(state_json, state)  # the respondent's next message reads this text back
    params: dict[str, object] = {
        "match_respondent": respondent_id,
        "match_flow": state.flow_id,
        "new_version": state.flow_version,
        "new_status": state.status.value,
        "new_state": state_json,
        "now": now,
        "new_started": started,
    }
    if completing:
        params["new_completed"] = completed
    if read is not None and (read.respondent_id, read.flow_id) == (respondent_id, state.flow_id):
        precompiled.later(conn, _QUEUED_UPDATE[completing], params)
        # What the UPDATE writes, from what it would have read (its COALESCEs).
        saved_started = (started or read.started_at).astimezone(UTC)
        saved_completed = None
        if completing:
            saved_completed = (completed or read.completed_at or now).astimezone(UTC)
        row: Any = (read.id, saved_started, saved_completed)
    else:
        row = precompiled.first(conn, _UPDATE_COMPLETING if completing else _UPDATE_OPEN, params)
    if row is None:
        params["new_started"] = started or now
        params["new_completed"] = (completed or now) if completing else None
        row = precompiled.first(conn, _INSERT_SESSION, params)
    assert row is not None
    session_id, started_at, completed_at = row
    session_counters.after_save(
        conn,
        before,
        flow_id=state.flow_id,
        flow_version=state.flow_version,
        started_at=started_at,
        completed_at=completed_at,
    )
    return SessionRow(
        id=session_id,
        respondent_id=respondent_id,
        flow_id=state.flow_id,
        flow_version=state.flow_version,
        status=state.status.value,
        state_json=state_json,
        started_at=started_at,
        updated_at=now.astimezone(UTC),
        completed_at=completed_at,
    )


def _session_row(row: Any) -> SessionRow | None:
    return SessionRow(*row) if row is not None else None  # _SESSION_COLUMNS, in field order


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
