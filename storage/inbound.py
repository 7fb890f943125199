"""Inbound dedupe: a platform retry of a message being (or already) processed.

The dedupe row is inserted first, inside the message's own transaction. On PostgreSQL a
concurrent duplicate's INSERT waits for that transaction and then fails on the unique
constraint, so a WeChat retry that arrives mid-processing never runs the message twice;
on SQLite, BEGIN IMMEDIATE already queues the second transaction behind the first.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import ProcessedMessage


def claim_inbound(
    *, session: Session, channel: str, dedupe_key: str, now: datetime
) -> ProcessedMessage | None:
    """The new dedupe row, or None when this message was already claimed (a retry)."""
    row = ProcessedMessage(channel=channel, dedupe_key=dedupe_key, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def stored_reply(*, session: Session, channel: str, dedupe_key: str) -> list[str] | None:
    """The reply rendered for an earlier copy of this message (None: none stored)."""
    raw = session.exec(
        select(ProcessedMessage.reply_json).where(
            ProcessedMessage.channel == channel, ProcessedMessage.dedupe_key == dedupe_key
        )
    ).first()
    if raw is None:
        return None
    messages = json.loads(raw)
    return [str(m) for m in messages]


def save_reply(
    *,
    session: Session,
    processed: ProcessedMessage,
    messages: list[str],
    respondent_id: int | None = None,
) -> None:
    """Keep the rendered reply so a retry gets exactly the same answer."""
    processed.reply_json = json.dumps(list(messages), ensure_ascii=False)
    if respondent_id is not None:
        processed.respondent_id = respondent_id
    session.add(processed)


def forget_replies(*, session: Session, respondent_id: int) -> None:
    """Drop stored replies (they may quote answers) when a respondent deletes their data."""
    session.exec(
        update(ProcessedMessage)
        .where(col(ProcessedMessage.respondent_id) == respondent_id)
        .values(reply_json=None)
    )


def prune_processed(*, session: Session, before: datetime) -> int:
    """Delete dedupe rows older than `before` (platform retries stop within minutes)."""
    result = session.exec(delete(ProcessedMessage).where(col(ProcessedMessage.created_at) < before))
    return int(result.rowcount or 0)
