"""The dispatcher's side of a delivery plan (bot.dispatch.delivery_plan): applied in the answer's
transaction, so a reply is committed, queued and paged together or not at all.

- Parts for the channel's API become one outbox row (sent by bot.workers.delivery after the
  passive reply; a crash after commit only delays them).
- Pages wait for "更多 / more"; a reply nobody could see waits as *unseen* for the
  next message. Both live in the key-value table, one row per follower, read only when
  the follower's row (as locked for the push) says something waits: `pages_waiting`,
  set and cleared with the row (storage.respondents.set_pages_waiting). Almost always
  nothing does, and a push then sends no statement for it.
- When the API refuses the whole account (WeChat 48001: no permission, e.g. an
  unverified subscription account), replies are paged instead for a day.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.dispatch.delivery_plan import DeliveryPlan, ReplyPlanner
from bot.dispatch.envelope import Envelope, Message, Outcome
from storage import outbox
from storage.kv import kv_delete, kv_get, kv_set
from storage.respondents import set_pages_waiting

# The passive reply travels back on WeChat's own request; a queued part sent at once
# could overtake it. A short delay keeps the parts in order on the phone.
TAIL_DELAY = timedelta(seconds=1.5)
PAGES_KEPT = timedelta(days=7)
REFUSAL_KEPT = timedelta(days=1)
REPLY_KIND = "reply"  # outbox rows carrying a reply's parts ("texts" or "images")


@dataclass(frozen=True)
class Pending:
    pages: tuple[str, ...] = ()
    unseen: tuple[str, ...] = ()


def _pages_key(channel: str, user_id: str) -> str:
    return f"pages:{channel}:{user_id}"


def _refused_key(channel: str) -> str:
    return f"api-refused:{channel}"


def load_pending(*, session: Session, channel: str, user_id: str, now: datetime) -> Pending:
    raw = kv_get(session=session, key=_pages_key(channel, user_id), now=now)
    if raw is None:
        return Pending()
    data = json.loads(raw)
    return Pending(tuple(data.get("pages", ())), tuple(data.get("unseen", ())))


def save_pending(
    *,
    session: Session,
    channel: str,
    user_id: str,
    pending: Pending,
    now: datetime,
    waiting: bool,
) -> None:
    """Store (or delete, when empty) the follower's pending pages and set their flag.
    `waiting`: the flag as it is now; written only when it changes."""
    key = _pages_key(channel, user_id)
    kept = bool(pending.pages or pending.unseen)
    if kept != waiting:
        set_pages_waiting(session=session, channel=channel, channel_user_id=user_id, waiting=kept)
    if not kept:
        kv_delete(session=session, key=key)
        return
    value = json.dumps(
        {"pages": list(pending.pages), "unseen": list(pending.unseen)}, ensure_ascii=False
    )
    kv_set(session=session, key=key, value=value, expires_at=now + PAGES_KEPT)


def api_usable(*, session: Session, channel: str, now: datetime) -> bool:
    return kv_get(session=session, key=_refused_key(channel), now=now) is None


def refuse_api(*, session: Session, channel: str, now: datetime) -> None:
    """The channel's API refused this account: page replies instead for a while."""
    kv_set(session=session, key=_refused_key(channel), value="1", expires_at=now + REFUSAL_KEPT)


def apply_plan(
    *,
    session: Session,
    channel: str,
    user_id: str,
    plan: DeliveryPlan,
    now: datetime,
    waiting: bool,
) -> None:
    """Queue the plan's later parts and store its pages (replacing older ones).
    `waiting`: the follower's `pages_waiting` as locked."""
    if plan.texts:
        outbox.enqueue(
            session=session,
            channel=channel,
            recipient=user_id,
            kind=REPLY_KIND,
            payload={"texts": list(plan.texts)},
            now=now + TAIL_DELAY,
        )
    if plan.images:
        images = [base64.b64encode(png).decode("ascii") for png in plan.images]
        outbox.enqueue(
            session=session,
            channel=channel,
            recipient=user_id,
            kind=REPLY_KIND,
            payload={"images": images},
            now=now + TAIL_DELAY,
        )
    pending = Pending(plan.pages, plan.unseen)
    save_pending(
        session=session, channel=channel, user_id=user_id, pending=pending, now=now, waiting=waiting
    )


def keep_unseen(
    *, session: Session, channel: str, user_id: str, texts: Sequence[str], now: datetime
) -> None:
    """Texts the API could not deliver (the delivery worker, outside a push): shown in
    front of the follower's next reply.

    The follower's row is written (and so locked, on PostgreSQL) before the key-value
    row is read or written, in the order a push locks them: the two transactions never
    wait on each other in opposite orders, and a push in progress finishes first."""
    set_pages_waiting(session=session, channel=channel, channel_user_id=user_id, waiting=True)
    pending = load_pending(session=session, channel=channel, user_id=user_id, now=now)
    kept = Pending(pending.pages, (*pending.unseen, *texts))
    save_pending(
        session=session, channel=channel, user_id=user_id, pending=kept, now=now, waiting=True
    )


def plan(
    session: Session,
    envelope: Envelope,
    planner: ReplyPlanner,
    outcome: Outcome,
    *,
    pages_waiting: bool,
) -> Outcome:
    """Apply the channel's delivery plan in this transaction; keep the passive part.

    `pages_waiting`: the follower's flag as locked for this push. A reply that fits one
    message (most), with nothing waiting, costs no statement here: pending pages are read
    only when the flag is set, whether the API was refused only for a reply that
    overflows. A flag set over nothing (the row expired or was removed) is cleared."""
    now = envelope.inbound.now
    channel, user = envelope.channel.value, envelope.user_id
    pending = Pending()
    if pages_waiting:
        pending = load_pending(session=session, channel=channel, user_id=user, now=now)
    passive_open = envelope.slot.take() if envelope.slot is not None else True

    def planned(customer_service: bool) -> DeliveryPlan:
        return planner.plan(
            outcome.messages,
            passive_open=passive_open,
            customer_service=customer_service,
            unseen=pending.unseen,
        )

    chosen = planned(planner.customer_service)
    overflows = chosen.texts or chosen.images
    if overflows and not api_usable(session=session, channel=channel, now=now):
        chosen = planned(False)
    if chosen.texts or chosen.images or chosen.pages or chosen.unseen or pages_waiting:
        apply_plan(
            session=session,
            channel=channel,
            user_id=user,
            plan=chosen,
            now=now,
            waiting=pages_waiting,
        )
    return dataclasses.replace(outcome, passive=chosen.passive)


def next_page(
    session: Session, envelope: Envelope, planner: ReplyPlanner, *, pages_waiting: bool
) -> Outcome | None:
    """ "更多 / more": the next page of the last paged reply, if there is one.

    `pages_waiting`: the follower's flag as locked for this push (unset: no page, no
    statement). A page the passive reply can no longer carry waits as unseen."""
    if not pages_waiting or not planner.is_more(envelope.inbound.text):
        return None
    now = envelope.inbound.now
    channel, user = envelope.channel.value, envelope.user_id
    pending = load_pending(session=session, channel=channel, user_id=user, now=now)
    if not pending.pages:
        return None  # the push is answered as usual (`plan` clears a flag set over nothing)
    page, *rest = pending.pages
    passive_open = envelope.slot.take() if envelope.slot is not None else True
    unseen = pending.unseen if passive_open else (*pending.unseen, page)
    kept = Pending(tuple(rest), unseen)
    save_pending(
        session=session, channel=channel, user_id=user, pending=kept, now=now, waiting=True
    )
    if not passive_open:
        return Outcome((Message(page),))
    return Outcome((Message(page),), passive=page)
