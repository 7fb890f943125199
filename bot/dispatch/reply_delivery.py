"""The dispatcher's side of a delivery plan (bot.dispatch.delivery_plan): applied in the answer's
transaction, so a reply is committed, queued and paged together or not at all.

- Parts for the channel's API become one outbox row (sent by bot.workers.delivery after the
  passive reply; a crash after commit only delays them).
- Pages wait for "更多 / more"; a reply nobody could see waits as *unseen* for the
  next message. Both live in the key-value table, one row per follower.
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
    *, session: Session, channel: str, user_id: str, pending: Pending, now: datetime
) -> None:
    key = _pages_key(channel, user_id)
    if not pending.pages and not pending.unseen:
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
    *, session: Session, channel: str, user_id: str, plan: DeliveryPlan, now: datetime
) -> None:
    """Queue the plan's later parts and store its pages (replacing older ones)."""
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
    save_pending(session=session, channel=channel, user_id=user_id, pending=pending, now=now)


def take_page(*, session: Session, channel: str, user_id: str, now: datetime) -> str | None:
    """The next page of the last paged reply ("更多 / more"), or None if there is none."""
    pending = load_pending(session=session, channel=channel, user_id=user_id, now=now)
    if not pending.pages:
        return None
    page, *rest = pending.pages
    kept = Pending(tuple(rest), pending.unseen)
    save_pending(session=session, channel=channel, user_id=user_id, pending=kept, now=now)
    return page


def keep_unseen(
    *, session: Session, channel: str, user_id: str, texts: Sequence[str], now: datetime
) -> None:
    """Texts the API could not deliver: shown in front of the follower's next reply."""
    pending = load_pending(session=session, channel=channel, user_id=user_id, now=now)
    kept = Pending(pending.pages, (*pending.unseen, *texts))
    save_pending(session=session, channel=channel, user_id=user_id, pending=kept, now=now)


def plan(session: Session, envelope: Envelope, planner: ReplyPlanner, outcome: Outcome) -> Outcome:
    """Apply the channel's delivery plan in this transaction; keep the passive part.

    A reply that fits one message (most) costs one key-value read: whether the API was
    refused is only looked up for a reply that overflows."""
    now = envelope.inbound.now
    channel, user = envelope.channel.value, envelope.user_id
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
    if chosen.texts or chosen.images or chosen.pages or chosen.unseen or pending != Pending():
        apply_plan(session=session, channel=channel, user_id=user, plan=chosen, now=now)
    return dataclasses.replace(outcome, passive=chosen.passive)


def next_page(session: Session, envelope: Envelope, planner: ReplyPlanner) -> Outcome | None:
    """ "更多 / more": the next page of the last paged reply, if there is one."""
    if not planner.is_more(envelope.inbound.text):
        return None
    now = envelope.inbound.now
    channel, user = envelope.channel.value, envelope.user_id
    page = take_page(session=session, channel=channel, user_id=user, now=now)
    if page is None:
        return None
    if envelope.slot is not None and not envelope.slot.take():
        keep_unseen(session=session, channel=channel, user_id=user, texts=[page], now=now)
        return Outcome((Message(page),))
    return Outcome((Message(page),), passive=page)
