"""Respondents (their survey-session rows: storage.session_rows, re-exported here).

`lock_respondent` runs on every inbound message: a Core statement built once (compiled
once per engine) that hands back a plain frozen `RespondentRow`, not an ORM object, so
there is no unit of work to flush and it is one statement in the common case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy.sql.dml import Insert, ReturningUpdate, Update
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from storage import precompiled
from storage.broadcasts import held_waiting
from storage.db import PerDialect, dialect_insert
from storage.models import Respondent
from storage.reminders import return_awaited
from storage.schema_conventions import UTCDateTime
from storage.session_rows import (  # re-exported: callers know them from here
    SessionRow,
    latest_session_row,
    load_session_row,
    load_state,
    save_session_row,
)
from storage.transactions import connection_of

_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]
# Bind names must differ from column names in INSERT/UPDATE statements.
_NOW = bindparam("now", type_=UTCDateTime)


@dataclass(frozen=True)
class RespondentRow:
    """A respondent as read (and locked) for one message; change it with the functions
    here or through `storage.answers.apply_effects`, never by assignment."""

    id: int
    channel: str
    channel_user_id: str
    lang: str
    source: str | None
    active: bool
    subscribed_updates: bool
    created_at: datetime
    last_inbound_at: datetime | None
    is_test: bool
    # Pages or undelivered texts wait in the key-value table (bot.dispatch.reply_delivery):
    # read from the locked row, so a push reads that table only when this is set.
    pages_waiting: bool
    # Broadcasts wait for them (storage.broadcasts), read with the lock: no extra query.
    has_held_broadcasts: bool = False
    # A reminder awaits their return (storage.reminders), read with the lock too.
    return_awaited: bool = False


_RESPONDENT_COLUMNS = (
    *(_RESPONDENT.c[f.name] for f in fields(RespondentRow) if f.name in _RESPONDENT.c),
    held_waiting(channel=_RESPONDENT.c.channel, recipient=_RESPONDENT.c.channel_user_id).label(
        "has_held_broadcasts"  # a name for storage.claim_and_lock's CTE
    ),
    return_awaited(respondent_id=_RESPONDENT.c.id).label("return_awaited"),
)


def _touch(*, with_source: bool) -> ReturningUpdate[tuple[object, ...]]:
    """Mark the respondent seen; on PostgreSQL the UPDATE holds the row lock (as SELECT …
    FOR UPDATE did) until the transaction ends."""
    values: dict[str, object] = {"last_inbound_at": _NOW, "active": True}
    if with_source:
        # The first scene a respondent came from is kept.
        values["source"] = func.coalesce(
            func.nullif(_RESPONDENT.c.source, ""), bindparam("new_source")
        )
    return (
        update(_RESPONDENT)
        .where(
            _RESPONDENT.c.channel == bindparam("match_channel"),
            _RESPONDENT.c.channel_user_id == bindparam("match_user"),
        )
        .values(**values)
        .returning(*_RESPONDENT_COLUMNS)
    )


_TOUCH = _touch(with_source=False)
_TOUCH_WITH_SOURCE = _touch(with_source=True)


@PerDialect
def _create_respondent(dialect: str) -> Insert:
    return (
        dialect_insert(dialect, _RESPONDENT)
        .values(
            channel=bindparam("match_channel"),
            channel_user_id=bindparam("match_user"),
            lang="both",
            source=bindparam("new_source"),
            active=True,
            subscribed_updates=False,
            created_at=_NOW,
            last_inbound_at=_NOW,
            is_test=False,
        )
        .on_conflict_do_nothing(index_elements=["channel", "channel_user_id"])
        .returning(*_RESPONDENT_COLUMNS)
    )


def lock_respondent(
    *,
    session: Session,
    channel: str,
    channel_user_id: str,
    now: datetime,
    source: str | None = None,
) -> RespondentRow:
    """Get or create the respondent and hold its row lock until the transaction ends.

    Two messages of one respondent are thus processed one after the other, across
    processes (PostgreSQL: the row lock of the UPDATE; SQLite: BEGIN IMMEDIATE
    serializes all writers already). Load the session state only *after* this call.
    """
    conn = connection_of(session)
    match = {"match_channel": channel, "match_user": channel_user_id, "now": now}
    touch, touch_params = _TOUCH, match
    if source:
        touch, touch_params = _TOUCH_WITH_SOURCE, {**match, "new_source": source}
    row = precompiled.first(conn, touch, touch_params)
    if row is None:
        # Updated first, inserted only when missing: an INSERT … ON CONFLICT per message
        # would burn a sequence value each time, and respondent numbers (shown in
        # reports) would have gaps.
        row = precompiled.first(conn, _create_respondent(conn), {**match, "new_source": source})
        if row is None:  # a concurrent first message created it: wait for its lock
            row = precompiled.first(conn, touch, touch_params)
    assert row is not None
    return _respondent_row(row)


def _respondent_update(columns: tuple[str, ...]) -> Update:
    # Bind names must differ from column names in UPDATE statements.
    values = {c: bindparam(f"new_{c}", type_=_RESPONDENT.c[c].type) for c in columns}
    return update(_RESPONDENT).where(_RESPONDENT.c.id == bindparam("match_id")).values(values)


# Built once, compiled once per dialect (storage.precompiled): the language is chosen
# on a survey step.
_RESPONDENT_UPDATES = {
    columns: _respondent_update(columns)
    for columns in [("lang",), ("subscribed_updates",), ("lang", "subscribed_updates")]
}


def update_respondent(
    *,
    session: Session,
    respondent_id: int,
    lang: str | None = None,
    subscribed_updates: bool | None = None,
) -> None:
    """Change a respondent's language and/or update subscription (None: unchanged)."""
    values: dict[str, object] = {}
    if lang is not None:
        values["lang"] = lang
    if subscribed_updates is not None:
        values["subscribed_updates"] = subscribed_updates
    if values:
        statement = _RESPONDENT_UPDATES[tuple(values)]
        params = {"match_id": respondent_id, **{f"new_{k}": v for k, v in values.items()}}
        precompiled.later(connection_of(session), statement, params)


_SET_PAGES_WAITING = (
    update(_RESPONDENT)
    .where(
        _RESPONDENT.c.channel == bindparam("match_channel"),
        _RESPONDENT.c.channel_user_id == bindparam("match_user"),
    )
    .values(pages_waiting=bindparam("new_pages_waiting", type_=_RESPONDENT.c.pages_waiting.type))
)


def set_pages_waiting(
    *, session: Session, channel: str, channel_user_id: str, waiting: bool
) -> None:
    """Whether pages wait for the respondent in the key-value table: set in the
    transaction that stores or deletes them. Also takes the respondent's row lock on
    PostgreSQL, which a push holds before it touches the key-value row: a writer outside a
    push (the delivery worker) calls this first, so the two never wait on each other in
    opposite orders. Queued (`precompiled.later`): nobody reads it back in the transaction."""
    params = {"match_channel": channel, "match_user": channel_user_id, "new_pages_waiting": waiting}
    precompiled.later(connection_of(session), _SET_PAGES_WAITING, params)


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
    query = orm_select(Respondent).where(
        col(Respondent.active).is_(True), col(Respondent.subscribed_updates).is_(True)
    )
    if channel is not None:
        query = query.where(Respondent.channel == channel)
    return session.exec(query.order_by(col(Respondent.id))).all()


def _respondent_row(row: Any) -> RespondentRow:
    return RespondentRow(*row)  # the columns of _RESPONDENT_COLUMNS, in field order


__all__ = [
    "RespondentRow",
    "SessionRow",
    "latest_session_row",
    "load_session_row",
    "load_state",
    "lock_respondent",
    "save_session_row",
    "set_pages_waiting",
    "set_respondent_active",
    "subscribed_respondents",
    "update_respondent",
]
