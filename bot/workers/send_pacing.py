"""How fast the outbox worker may call a channel's API: a pace, and a gate for its quota.

WeChat counts an account's API calls per minute and per day and refuses the rest with
45011 / 45009 until the window reopens (bot.channels.wechat.sender). Two rules follow:

- `Pacer` spaces the sends at the rate the account is allowed (`WECHAT_SEND_RATE`,
  shared among the serving processes), so a broadcast to thousands drains at that rate
  instead of running into the quota and waiting for the next window.
- `QuotaGate` closes when the API says the quota is spent and stays closed until the
  window reopens. Waiting longer helps only when a whole window went by without a single
  send getting through (the quota is smaller than thought, or another client spends it):
  then each such window in a row doubles the wait, up to an hour. While sends get
  through, the wait never grows: a refusal after progress means the next window. A send
  in flight when the gate closed that comes back accepted is progress made before the
  closing: it revises a grown wait to the next window (`note_late_progress`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import anyio

from bot.channels.sending import QuotaWindow

MAX_QUOTA_WAIT = timedelta(hours=1)


class Pacer:
    """Hands out send slots `1 / rate` seconds apart (rate None: no pacing).

    Slots are not saved up while idle: after a pause the next send goes at once, the
    one after it a slot later."""

    def __init__(
        self,
        rate: float | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        if not self.rate:
            return
        now = self._monotonic()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        if slot > now:
            await self._sleep(slot - now)


class QuotaGate:
    """Closed from a quota refusal until its window reopens (see the module text)."""

    def __init__(self, started: datetime) -> None:
        self.closed_until: datetime | None = None
        self.opened_at = started  # since when a send that got through counts as progress
        self.closings = 0  # how often it closed: a send started before a closing sees it
        self._empty_windows = 0
        self._closing: tuple[QuotaWindow, datetime] | None = None

    def is_open(self, now: datetime) -> bool:
        return self.closed_until is None or now >= self.closed_until

    def close(self, window: QuotaWindow, now: datetime, *, progress: bool) -> datetime:
        """Close until the window reopens; `progress`: a send of this channel got through
        since the gate last opened (from any worker). Returns the reopening moment."""
        if self.closed_until is not None and now < self.closed_until:
            return self.closed_until  # a send in flight when the gate closed
        self._empty_windows = 0 if progress else self._empty_windows + 1
        self.closings += 1
        self._closing = (window, now)
        opening = window.next_opening(now)
        if self._empty_windows:
            extra = timedelta(seconds=window.seconds * (2**self._empty_windows - 1))
            opening = min(opening + extra, max(opening, now + MAX_QUOTA_WAIT))
        self.closed_until = opening
        self.opened_at = opening
        return opening

    def note_late_progress(self) -> None:
        """A send in flight when the gate last closed got through: that closing had
        progress after all, so it waits for the window's next opening only."""
        if self._closing is None or not self._empty_windows:
            return
        window, closed_at = self._closing
        self._empty_windows = 0
        self.closed_until = self.opened_at = window.next_opening(closed_at)
