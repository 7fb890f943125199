"""Map a parsed WeChat push to the dispatcher's `Envelope` (no I/O, no WeChat type past
this point). `None` means "nothing for the survey": the route answers "success"."""

from __future__ import annotations

from datetime import datetime

from bot.channels.wechat.menu import MenuKey
from bot.channels.wechat.xml import WeChatMessage
from bot.dispatch.envelope import Channel, ChannelEvent, Envelope
from flows.events import Inbound, Intent

_CLICK_INTENTS: dict[str, Intent] = {
    MenuKey.START_SURVEY: Intent.START,
    MenuKey.MY_ANSWERS: Intent.MY_ANSWERS,
    MenuKey.CONTACT_AIAG: Intent.CONTACT_ME,
}

# WeChat prefixes the scene of a parametric QR code with this on `subscribe` (a user
# who already follows the account gets SCAN, with the bare scene).
_QR_SCENE_PREFIX = "qrscene_"


def message_dedupe_key(msg: WeChatMessage) -> str:
    """WeChat's own retry identity: MsgId for messages, user + time + event (+ its key)
    for events. The dispatcher keys it by the sender as well (a MsgId is per user)."""
    if msg.msg_type != "event" and msg.msg_id:
        return msg.msg_id
    key = f"{msg.from_user}:{msg.create_time}:{msg.event or msg.msg_type}"
    # Two menu clicks in the same second are two events: the EventKey tells them apart.
    return f"{key}:{msg.event_key}" if msg.event_key else key


def _envelope(
    msg: WeChatMessage,
    inbound: Inbound,
    *,
    source: str | None = None,
    event: ChannelEvent | None = None,
) -> Envelope:
    return Envelope(
        channel=Channel.WECHAT,
        user_id=msg.from_user,
        dedupe_key=message_dedupe_key(msg),
        inbound=inbound,
        source=source,
        event=event,
    )


def to_envelope(msg: WeChatMessage, now: datetime) -> Envelope | None:
    if msg.msg_type == "event":
        return _event_envelope(msg, now)
    if msg.msg_type == "text":
        return _envelope(msg, Inbound(now=now, text=msg.content or ""))
    if msg.msg_type == "voice" and msg.recognition:
        # Speech-to-text done by WeChat (when enabled in the admin console).
        return _envelope(msg, Inbound(now=now, text=msg.recognition))
    # image, location, link, video, shortvideo, file, voice without recognition, and
    # types WeChat may add later: the engine answers with a "please type" hint.
    return _envelope(msg, Inbound(now=now, intent=Intent.UNSUPPORTED))


def _event_envelope(msg: WeChatMessage, now: datetime) -> Envelope | None:
    event = (msg.event or "").lower()  # WeChat spells them subscribe, SCAN, CLICK, VIEW
    if event == "subscribe":
        key = msg.event_key or ""
        source = key[len(_QR_SCENE_PREFIX) :] if key.startswith(_QR_SCENE_PREFIX) else None
        return _envelope(msg, Inbound(now=now, intent=Intent.START), source=source or None)
    if event == "scan":
        return _envelope(msg, Inbound(now=now, intent=Intent.START), source=msg.event_key)
    if event == "unsubscribe":
        return _envelope(msg, Inbound(now=now), event=ChannelEvent.UNSUBSCRIBE)
    if event == "click":
        if msg.event_key == MenuKey.LATEST_RESULTS:
            return _envelope(msg, Inbound(now=now, intent=Intent.RESULTS))
        intent = _CLICK_INTENTS.get(msg.event_key or "")
        if intent is not None:
            return _envelope(msg, Inbound(now=now, intent=intent))
    # VIEW (a link was opened), LOCATION reports, template/mass-send receipts, unknown
    # click keys from an outdated menu: nothing to say.
    return None
