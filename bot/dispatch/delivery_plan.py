"""The contract between a channel that answers in its HTTP response (WeChat) and the
dispatcher: a pure plan of where each part of a reply goes, made before commit.

The channel decides (`ReplyPlanner`, no I/O); the dispatcher applies the plan inside the
answer's transaction (`bot.dispatch.reply_delivery`): outbox rows and pending pages commit with
the answer, and the route sends only `passive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.dispatch.envelope import Message


@dataclass(frozen=True)
class DeliveryPlan:
    passive: str | None  # the HTTP response's text; None: answer "success"
    texts: tuple[str, ...] = ()  # sent later through the channel's API (outbox)
    images: tuple[bytes, ...] = ()  # sent later through the channel's API (outbox)
    pages: tuple[str, ...] = ()  # handed out one by one on "更多 / more"
    unseen: tuple[str, ...] = ()  # could not be shown: put in front of the next reply


class ReplyPlanner(Protocol):
    """A channel's pure delivery rules (e.g. `bot.channels.wechat_planner.WeChatPlanner`)."""

    channel: str
    customer_service: bool  # the channel's API is configured for sending later

    def is_more(self, text: str | None) -> bool: ...

    def plan(
        self,
        messages: Sequence[Message],
        *,
        passive_open: bool,
        customer_service: bool,
        unseen: Sequence[str],
    ) -> DeliveryPlan: ...
