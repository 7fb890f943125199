"""What a channel's sender promises the outbox worker (bot/workers/delivery.py).

Kept with the channels so that a channel raises `DeliveryError` without importing the
worker that catches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class ChannelSender(Protocol):
    """Sends one message; raises DeliveryError (or any exception: retried) on failure."""

    async def send_text(self, recipient: str, text: str) -> None: ...

    async def send_image(self, recipient: str, png: bytes) -> None: ...


class DeliveryError(Exception):
    """A send failed; `retry` says whether trying again can help (e.g. not for 45015);
    `api_refused`: the channel's API refuses this account altogether (WeChat 48001);
    `quota`: the account's call quota is spent (WeChat 45009 / 45011) and reopens with
    the next window of this many seconds: the message is not at fault and is postponed
    to then, without spending an attempt."""

    def __init__(
        self,
        message: str,
        *,
        retry: bool = True,
        api_refused: bool = False,
        quota: QuotaWindow | None = None,
    ) -> None:
        super().__init__(message)
        self.retry = retry
        self.api_refused = api_refused
        self.quota = quota


@dataclass(frozen=True)
class QuotaWindow:
    """A call quota counted per window of `seconds`, windows starting `offset_s` after
    the epoch's multiples (a daily quota that resets at midnight China time: 86400 s,
    offset -8 h); `next_opening` is when the spent one reopens."""

    seconds: float
    offset_s: float = 0.0

    def next_opening(self, now: datetime) -> datetime:
        t = now.timestamp() - self.offset_s
        opening = (math.floor(t / self.seconds) + 1) * self.seconds + self.offset_s
        return datetime.fromtimestamp(opening, tz=UTC)
