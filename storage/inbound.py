"""Inbound dedupe: a platform retry of a message being (or already) processed.

The dedupe row is inserted first, inside the message's own transaction, with
INSERT … ON CONFLICT DO NOTHING. On PostgreSQL a concurrent duplicate's INSERT waits for
that transaction and then inserts nothing, so a WeChat retry that arrives mid-processing
never runs the message twice; on SQLite, BEGIN IMMEDIATE already queues the second
transaction behind the first.

These run on every message: Core statements built once (see `storage.db.PerDialect`),
no ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.sql.dml import Insert, Update
from sqlmodel import Session, col

from storage import precompiled
from storage.db import PerDialect, dialect_insert
from storage.models import ProcessedMessage
from storage.schema_conventions import UTCDateTime
from storage.transactions import connection_of

_TABLE: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ClaimedMessage:
    """The dedupe row of a message this transaction processes."""

    id: int
    channel: str
    dedupe_key: str


def claim_statement(dialect: str) -> Insert:
    """INSERT the dedupe row unless it exists, RETURNING its id (params: channel,
    dedupe_key, now); `storage.claim_and_lock` runs it as a CTE on PostgreSQL."""
    return (
        dialect_insert(dialect, _TABLE)
        .values(
            channel=bindparam("channel"),
            dedupe_key=bindparam("dedupe_key"),
            created_at=bindparam("now", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        .returning(_TABLE.c.id)
    )


_claim = PerDialect(claim_statement)


_STORED_REPLY = select(_TABLE.c.reply_json).where(
    _TABLE.c.channel == bindparam("channel"), _TABLE.c.dedupe_key == bindparam("dedupe_key")
)


def _reply_update(*, with_respondent: bool) -> Update:
    values: dict[str, object] = {"reply_json": bindparam("reply_json")}
    if with_respondent:
        values["respondent_id"] = bindparam("respondent_id")
    return update(_TABLE).where(_TABLE.c.id == bindparam("claimed_id")).values(**values)


_SAVE_REPLY = _reply_update(with_respondent=False)
_SAVE_REPLY_AND_RESPONDENT = _reply_update(with_respondent=True)


def claim_inbound(
    *, session: Session, channel: str, dedupe_key: str, now: datetime
) -> ClaimedMessage | None:
    """The new dedupe row, or None when this message was already claimed (a retry)."""
    conn = connection_of(session)
    params = {"channel": channel, "dedupe_key": dedupe_key, "now": now}
    claimed = precompiled.scalar(conn, _claim(conn), params)
    if claimed is None:
        return None
    return ClaimedMessage(id=int(claimed), channel=channel, dedupe_key=dedupe_key)


def stored_reply(*, session: Session, channel: str, dedupe_key: str) -> list[str] | None:
    """The reply rendered for an earlier copy of this message (None: none stored)."""
    raw = (
        connection_of(session)
        .execute(_STORED_REPLY, {"channel": channel, "dedupe_key": dedupe_key})
        .scalar()
    )
    if raw is None:
        return None
    messages = orjson.loads(raw)
    return [str(m) for m in messages]


def save_reply(
    *,
    session: Session,
    processed: ClaimedMessage,
    messages: list[str],
    respondent_id: int | None = None,
) -> None:
    """Keep the rendered reply so a retry gets exactly the same answer."""
    params: dict[str, object] = {
        "claimed_id": processed.id,
        "reply_json": orjson.dumps(list(messages)).decode(),
    }
    statement = _SAVE_REPLY
    if respondent_id is not None:
        statement = _SAVE_REPLY_AND_RESPONDENT
        params["respondent_id"] = respondent_id
    precompiled.later(connection_of(session), statement, params)


def forget_replies(*, session: Session, respondent_id: int) -> None:
    """Drop stored replies (they may quote answers) when a respondent deletes their data."""
    session.exec(
        update(ProcessedMessage)
        .where(col(ProcessedMessage.respondent_id) == respondent_id)
        .values(reply_json=None)
    )
