"""The contract between channel adapters and the dispatcher (`bot.dispatch.service`).

A channel turns a platform payload into an `Envelope`, awaits the dispatcher, and turns
the `Outcome` into the platform's reply. No WeChat or Telegram type crosses this line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.dispatch.passive_slot import PassiveSlot
from flows.events import Inbound


class Channel(StrEnum):
    WECHAT = "wechat"
    TELEGRAM = "telegram"
    CONSOLE = "console"


class ChannelEvent(StrEnum):
    """Channel-level happenings that are not survey input."""

    UNSUBSCRIBE = "unsubscribe"  # WeChat: respondent inactive, answers kept


@dataclass(frozen=True)
class Envelope:
    channel: Channel
    user_id: str  # the platform's stable user id (WeChat openid, Telegram user id)
    dedupe_key: str  # WeChat MsgId or FromUserName+CreateTime+Event; Telegram update_id
    inbound: Inbound
    source: str | None = None  # e.g. the WeChat QR-code scene a respondent came from
    event: ChannelEvent | None = None
    # Channels that answer in their HTTP response (WeChat): whether it can still carry
    # the reply when the dispatcher plans it (bot.dispatch.delivery_plan).
    slot: PassiveSlot | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Choice:
    """A tappable answer for channels with buttons (Telegram)."""

    label: str
    value: str  # what typing would send (an option number, a command word)
    exclusive: bool = False  # "none of these": selecting it clears the other options
    nav: bool = False  # Back / Skip: never toggled, laid out after the options


@dataclass(frozen=True)
class Message:
    text: str
    choices: tuple[Choice, ...] = ()
    multi: bool = False  # choices toggle and a Done button submits
    question_id: str | None = None  # the question the choices answer (stale-tap check)
    # Multiple choice: how many options Done may submit, and its label in the reply language.
    min_selected: int = 1
    max_selected: int | None = None
    submit_label: str = ""
    image_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Outcome:
    messages: tuple[Message, ...]
    duplicate: bool = False  # a retry of an already-processed push: same reply, no change
    # Shows someone's personal data (staff /contacts, /claim): the copy kept for a retry
    # says so instead, so that nothing outlives the person's "delete my data".
    personal: bool = False
    # Planned channels (WeChat): the text of the HTTP response; the rest of the reply is
    # already in the outbox or the pending pages. None: answer "success".
    passive: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.messages if m.text)


class Dispatcher(Protocol):
    async def handle(self, envelope: Envelope) -> Outcome: ...
