"""Messages to send later (WeChat customer-service parts, staff notifications).

They are committed in the same transaction as the answer that caused them, then
delivered by a worker: claim (a short transaction that leases the rows), send outside
any transaction, then mark_sent / mark_failed. A worker that dies mid-send loses
nothing: the lease runs out and the row is sent again (at least once).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlmodel import Session, col, select

from storage import precompiled
from storage.models import Outbox, OutboxStatus
from storage.transactions import connection_of

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 5
BACKOFF_CAP_S = 3600
MAX_ATTEMPTS = 8
LEASE_S = 60
# storage.broadcasts.KIND (that module imports this one).
BROADCAST_KIND = "broadcast"


_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
# One INSERT built once and run on the cursor (storage.precompiled): a completion step
# queues its chart here, and the ORM's unit of work for this one row cost more than the
# rest of the row's share of the step (docs/benchmarks.md).
_ENQUEUE = (
    insert(_OUTBOX)
    .values(
        channel=bindparam("channel"),
        recipient=bindparam("recipient"),
        kind=bindparam("kind"),
        payload_json=bindparam("payload_json"),
        status=bindparam("status"),
        attempts=0,
        next_attempt_at=bindparam("now"),
        created_at=bindparam("now"),
    )
    .returning(_OUTBOX.c.id)
)


def enqueue(
    *,
    session: Session,
    channel: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    status: str = OutboxStatus.PENDING.value,
) -> int:
    """A row to deliver (pending), or one parked until its moment (e.g. held, render).

    Returns the new row's id; the row is written in the session's transaction."""
    params = {
        "channel": channel,
        "recipient": recipient,
        "kind": kind,
        "payload_json": json.dumps(payload, ensure_ascii=False),
        "status": status,
        "now": now,
    }
    return int(precompiled.scalar(connection_of(session), _ENQUEUE, params))


def enqueue_many(
    *,
    session: Session,
    kind: str,
    rows: Sequence[tuple[str, str, dict[str, Any]]],
    now: datetime,
) -> None:
    """Pending rows of one kind, (channel, recipient, payload) each, in one statement
    (executemany): a broadcast's copies."""
    if not rows:
        return
    params = [
        {
            "channel": channel,
            "recipient": recipient,
            "kind": kind,
            "payload_json": json.dumps(data, ensure_ascii=False),
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel, recipient, data in rows
    ]
    session.connection().execute(insert(_OUTBOX), params)


def payload(item: Outbox) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(item.payload_json)
    return data


def update_payload(*, session: Session, item: Outbox, payload: dict[str, Any]) -> None:
    """Replace the payload (e.g. only the parts not sent yet, before a retry)."""
    row = _current(session, item)
    row.payload_json = json.dumps(payload, ensure_ascii=False)
    session.add(row)


def claim_due(
    *,
    session: Session,
    now: datetime,
    limit: int,
    lease_seconds: float = LEASE_S,
    channels: Collection[str] | None = None,
) -> list[Outbox]:
    """Pending items due at `now`, oldest first, leased for `lease_seconds`.

    Leasing moves next_attempt_at forward, so once this transaction commits no other
    worker takes the same rows while they are being sent. On PostgreSQL, SKIP LOCKED
    lets concurrent workers claim different rows without waiting on each other.
    `channels` limits the claim to the channels this worker can deliver to.
    Broadcast copies come after everything else that is due (the tail of a
    respondent's reply, a chart, a staff alert): a broadcast to thousands must not
    keep the people answering waiting.
    """
    items = _due(session, now, limit, channels, broadcasts=False)
    if len(items) < limit:
        items += _due(session, now, limit - len(items), channels, broadcasts=True)
    lease_until = now + timedelta(seconds=lease_seconds)
    for item in items:
        item.next_attempt_at = lease_until
        session.add(item)
    session.flush()
    return items


def _due(
    session: Session,
    now: datetime,
    limit: int,
    channels: Collection[str] | None,
    *,
    broadcasts: bool,
) -> list[Outbox]:
    query = select(Outbox).where(
        Outbox.status == OutboxStatus.PENDING.value,
        col(Outbox.next_attempt_at) <= now,
        (Outbox.kind == BROADCAST_KIND) if broadcasts else (Outbox.kind != BROADCAST_KIND),
    )
    if channels is not None:
        query = query.where(col(Outbox.channel).in_(list(channels)))
    return list(
        session.exec(
            query.order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
    )


def mark_sent(*, session: Session, item: Outbox, now: datetime) -> None:
    # One statement (no read first): at a broadcast's pace this runs a hundred times a
    # second beside the answers.
    session.connection().execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == item.id)
        .values(status=OutboxStatus.SENT.value, sent_at=now, last_error=None)
    )


def backoff(attempts: int) -> timedelta:
    """Delay before retry number `attempts` (1 → 5 s, 2 → 10 s, … capped at an hour)."""
    return timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


def mark_failed(
    *,
    session: Session,
    item: Outbox,
    error: str,
    now: datetime,
    retry: bool = True,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """Schedule a retry with exponential backoff; give up after `max_attempts`
    (or at once when `retry` is False, e.g. an error no retry can fix).

    Returns True when it gave up."""
    row = _current(session, item)
    row.attempts += 1
    row.last_error = error[:2000]
    if not retry or row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED.value
        # The row id finds the recipient; a user id never goes into a log line.
        log.error(
            "outbox %s (%s) failed for good after %d attempts: %s",
            row.id,
            row.channel,
            row.attempts,
            error,
        )
    else:
        row.next_attempt_at = now + backoff(row.attempts)
    session.add(row)
    return row.status == OutboxStatus.FAILED.value


def postpone(*, session: Session, items: Sequence[Outbox], until: datetime, error: str) -> None:
    """Try these again at `until` without spending an attempt: the API's quota is spent
    (a rate limit), which says nothing about the messages, so none is ever dropped for
    it. All get the same moment, so they are claimed again in their order (id)."""
    for item in items:
        row = _current(session, item)
        if row.status != OutboxStatus.PENDING.value:
            continue
        row.next_attempt_at = until
        row.last_error = error[:2000]
        session.add(row)


def failed_items(*, session: Session, limit: int = 50) -> Sequence[Outbox]:
    return session.exec(
        select(Outbox)
        .where(Outbox.status == OutboxStatus.FAILED.value)
        .order_by(col(Outbox.id).desc())
        .limit(limit)
    ).all()


def _current(session: Session, item: Outbox) -> Outbox:
    """The row in this session (items usually come from the claiming transaction)."""
    row = session.get(Outbox, item.id, with_for_update=True, populate_existing=True)
    if row is None:
        raise LookupError(f"outbox item {item.id} is gone")
    return row


def sent_since(*, session: Session, channel: str, since: datetime) -> bool:
    """Whether any message to `channel` went out at or after `since` (any worker)."""
    query = (
        select(Outbox.id).where(Outbox.channel == channel, col(Outbox.sent_at) >= since).limit(1)
    )
    return session.exec(query).first() is not None
