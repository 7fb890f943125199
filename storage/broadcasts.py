"""Broadcast messages held back until their recipient next writes.

WeChat lets an Official Account message a user only within 48 hours of the user's last
message (PLATFORM_NOTES), and a terminal user cannot be reached at all. A broadcast to
such a respondent is kept as an outbox row with status "held": the delivery worker
never claims it (it claims "pending" rows only), and the dispatcher takes the held texts
into the reply to that respondent's next message, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Outbox, OutboxStatus, Respondent
from storage.outbox import enqueue

HELD = "held"  # an Outbox.status beside storage.models.OutboxStatus
KIND = "broadcast"
# A broadcast nobody could read for a month is news no more.
MAX_HOLD = timedelta(days=30)


def hold(*, session: Session, channel: str, recipient: str, text: str, now: datetime) -> Outbox:
    return enqueue(
        session=session,
        channel=channel,
        recipient=recipient,
        kind=KIND,
        payload={"text": text},
        now=now,
        status=HELD,
    )


def held_for(*, session: Session, channel: str, recipient: str) -> Sequence[Outbox]:
    return session.exec(
        select(Outbox)
        .where(Outbox.status == HELD, Outbox.channel == channel, Outbox.recipient == recipient)
        .order_by(col(Outbox.created_at), col(Outbox.id))
        .with_for_update()
    ).all()


def take_held(*, session: Session, respondent: Respondent, now: datetime) -> list[str]:
    """The texts held for `respondent`, oldest first, marked sent (they go out with the
    reply being built). Dropped instead when they stopped asking for updates since, or
    when a text is older than MAX_HOLD."""
    items = held_for(
        session=session, channel=respondent.channel, recipient=respondent.channel_user_id
    )
    texts: list[str] = []
    for item in items:
        if not respondent.subscribed_updates or item.created_at < now - MAX_HOLD:
            session.delete(item)
            continue
        texts.append(str(json.loads(item.payload_json)["text"]))
        item.status = OutboxStatus.SENT.value
        item.sent_at = now
        session.add(item)
    if items:
        session.flush()
    return texts
