"""Broadcast messages held back until their recipient next writes.

WeChat lets an Official Account message a user only within 48 hours of the user's last
message (PLATFORM_NOTES), and a terminal user cannot be reached at all. A broadcast to
such a respondent is kept as an outbox row with status "held": the delivery worker
never claims it (it claims "pending" rows only), and the dispatcher takes the held texts
into the reply to that respondent's next message, in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Table,
    bindparam,
    delete,
    literal_column,
    select,
    update,
)
from sqlmodel import Session

from storage.models import Outbox, OutboxStatus
from storage.outbox import BROADCAST_KIND, enqueue
from storage.transactions import connection_of

if TYPE_CHECKING:
    from storage.respondents import RespondentRow

HELD = "held"  # an Outbox.status beside storage.models.OutboxStatus
KIND = BROADCAST_KIND
# A broadcast nobody could read for a month is news no more.
MAX_HOLD = timedelta(days=30)


def hold(*, session: Session, channel: str, recipient: str, text: str, now: datetime) -> int:
    return enqueue(
        session=session,
        channel=channel,
        recipient=recipient,
        kind=KIND,
        payload={"text": text},
        now=now,
        status=HELD,
    )


_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
# Runs on every inbound message and almost always finds nothing: a Core statement built
# once, served by the (status, next_attempt_at) index since few rows are ever held.
_HELD = (
    select(_OUTBOX.c.id, _OUTBOX.c.payload_json, _OUTBOX.c.created_at)
    .where(
        _OUTBOX.c.status == HELD,
        _OUTBOX.c.channel == bindparam("match_channel"),
        _OUTBOX.c.recipient == bindparam("match_recipient"),
    )
    .order_by(_OUTBOX.c.created_at, _OUTBOX.c.id)
    .with_for_update()
)


def held_waiting(*, channel: Column[str], recipient: Column[str]) -> ColumnElement[bool]:
    """Whether anything is held for (channel, recipient), for the RETURNING clause of the
    statement that locks a respondent: `take_held` then costs no query for the many with
    nothing held.

    Written out as SQL because SQLite's RETURNING renders every column unqualified,
    which makes `channel` ambiguous inside a subquery on the outbox.
    """
    return literal_column(
        f"EXISTS (SELECT 1 FROM {_OUTBOX.name} AS held"
        f" WHERE held.status = '{HELD}'"
        f" AND held.channel = {channel.table.name}.{channel.name}"
        f" AND held.recipient = {recipient.table.name}.{recipient.name})",
        Boolean,
    )


@dataclass(frozen=True)
class HeldItem:
    id: int
    text: str
    created_at: datetime


def held_for(*, session: Session, channel: str, recipient: str) -> list[HeldItem]:
    """The texts held for a recipient, oldest first, locked until the transaction ends."""
    rows = connection_of(session).execute(
        _HELD, {"match_channel": channel, "match_recipient": recipient}
    )
    return [HeldItem(i, str(json.loads(payload)["text"]), at) for i, payload, at in rows]


def take_held(*, session: Session, respondent: RespondentRow, now: datetime) -> list[str]:
    """The texts held for `respondent`, oldest first, marked sent (they go out with the
    reply being built). Dropped instead when they stopped asking for updates since, or
    when a text is older than MAX_HOLD."""
    if not respondent.has_held_broadcasts:
        return []
    items = held_for(
        session=session, channel=respondent.channel, recipient=respondent.channel_user_id
    )
    if not items:
        return []
    keep: list[HeldItem] = []
    dropped: list[int] = []
    for item in items:
        if respondent.subscribed_updates and item.created_at >= now - MAX_HOLD:
            keep.append(item)
        else:
            dropped.append(item.id)
    conn = connection_of(session)
    if dropped:
        conn.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(dropped)))
    if keep:
        conn.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_([i.id for i in keep]))
            .values(status=OutboxStatus.SENT.value, sent_at=now)
        )
    return [i.text for i in keep]
