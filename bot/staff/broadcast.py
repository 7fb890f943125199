"""`/broadcast`: a message to the respondents who asked for updates, each channel's rules kept.

- Telegram: now (a bot may message anyone who started it).
- WeChat: now only inside the 48-hour customer-service window (PLATFORM_NOTES: outside
  it the API answers 45015); otherwise held until the respondent next writes.
- Terminal: held (nothing can reach a terminal user between their messages).

Two steps: `/broadcast text` stores the text per staff member (10 minutes) and shows how
many receive it now and later (counted in the command's read transaction, the text kept
in its write one); `/confirm` sends it, counting again at that moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.channels.text_split import split_utf8
from bot.dispatch.envelope import Channel
from bot.dispatch.render import Renderer
from flows.model import Lang
from flows.replies import Reply
from flows.staff_replies import (
    StaffBroadcastMessage,
    StaffBroadcastNone,
    StaffBroadcastPreview,
    StaffBroadcastSent,
)
from storage.broadcasts import hold
from storage.kv import kv_delete, kv_get, kv_set
from storage.models import Respondent
from storage.outbox import BROADCAST_KIND, enqueue_many
from storage.respondents import subscribed_respondents

PENDING_TTL = timedelta(minutes=10)
WECHAT_WINDOW = timedelta(hours=48)
# Margin for the outbox's queueing and retries: a message sent at 47h59m may arrive late.
WECHAT_MARGIN = timedelta(minutes=10)
_MINUTES = int(PENDING_TTL.total_seconds() // 60)
MAX_LENGTH = 1500  # characters: a WeChat text part is 2048 bytes, about 680 Chinese characters


@dataclass(frozen=True)
class Audience:
    now: tuple[Respondent, ...]
    later: tuple[Respondent, ...]


@dataclass(frozen=True)
class Sent:
    text: str
    now: tuple[Respondent, ...]
    later: tuple[Respondent, ...]


def reachable_now(respondent: Respondent, now: datetime) -> bool:
    if respondent.channel == Channel.TELEGRAM.value:
        return True
    if respondent.channel == Channel.WECHAT.value:
        last = respondent.last_inbound_at
        return last is not None and now - last < WECHAT_WINDOW - WECHAT_MARGIN
    return False


def audience(*, session: Session, now: datetime) -> Audience:
    subscribed = subscribed_respondents(session=session)
    return Audience(
        now=tuple(r for r in subscribed if reachable_now(r, now)),
        later=tuple(r for r in subscribed if not reachable_now(r, now)),
    )


def _key(actor: str) -> str:
    return f"staff:broadcast:{actor}"


def pending_text(*, session: Session, actor: str, now: datetime) -> str | None:
    raw = kv_get(session=session, key=_key(actor), now=now, for_update=True)
    return str(json.loads(raw)["text"]) if raw else None


def is_pending(*, session: Session, actor: str, now: datetime) -> bool:
    return kv_get(session=session, key=_key(actor), now=now) is not None


def preview(*, session: Session, text: str, now: datetime) -> tuple[Reply, bool]:
    """`/broadcast text`, read side: the preview and whether the text may be kept."""
    if not text.strip():
        return _nothing("empty"), False
    if len(text) > MAX_LENGTH:
        return _nothing("too_long"), False
    who = audience(session=session, now=now)
    reply = StaffBroadcastPreview(
        text=text, now=len(who.now), later=len(who.later), minutes=_MINUTES
    )
    return reply, True


def keep(*, session: Session, actor: str, text: str, now: datetime) -> None:
    """`/broadcast text`, write side: the text awaits this staff member's /confirm."""
    kv_set(
        session=session,
        key=_key(actor),
        value=json.dumps({"text": text}, ensure_ascii=False),
        expires_at=now + PENDING_TTL,
    )


def cancel(*, session: Session, actor: str, now: datetime) -> Reply:
    had = pending_text(session=session, actor=actor, now=now) is not None
    kv_delete(session=session, key=_key(actor))
    return _nothing("cancelled" if had else "nothing_pending")


def confirm(
    *, session: Session, actor: str, now: datetime, renderer: Renderer
) -> tuple[Reply, Sent | None]:
    """Send the pending broadcast; the reply, and who got it (None: nothing was pending)."""
    text = pending_text(session=session, actor=actor, now=now)
    if text is None:
        return _nothing("nothing_pending"), None
    kv_delete(session=session, key=_key(actor))
    who = audience(session=session, now=now)
    rendered: dict[str, str] = {}  # one rendering per language, not per follower
    copies = []
    for respondent in who.now:
        if respondent.lang not in rendered:
            rendered[respondent.lang] = _render(renderer, text, respondent)
        message = rendered[respondent.lang]
        if respondent.channel == Channel.WECHAT.value:
            payload: dict[str, object] = {"texts": split_utf8(message)}
        else:
            payload = {"text": message}
        copies.append((respondent.channel, respondent.channel_user_id, payload))
    # One statement for all copies: a broadcast to 10,000 is answered within WeChat's 5 s.
    enqueue_many(session=session, kind=BROADCAST_KIND, rows=copies, now=now)
    for respondent in who.later:
        hold(
            session=session,
            channel=respondent.channel,
            recipient=respondent.channel_user_id,
            text=_render(renderer, text, respondent),
            now=now,
        )
    reply = StaffBroadcastSent(now=len(who.now), later=len(who.later))
    return reply, Sent(text, who.now, who.later)


def _nothing(reason: str) -> Reply:
    return StaffBroadcastNone(reason=reason, minutes=_MINUTES, limit=MAX_LENGTH)


def _render(renderer: Renderer, text: str, respondent: Respondent) -> str:
    try:
        lang = Lang(respondent.lang)
    except ValueError:
        lang = Lang.BOTH
    return renderer.render(StaffBroadcastMessage(text=text), lang)
