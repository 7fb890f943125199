"""What a channel's sender promises the outbox worker (bot/workers/delivery.py).

Kept with the channels so that a channel raises `DeliveryError` without importing the
worker that catches it.
"""

from __future__ import annotations

from typing import Protocol


class ChannelSender(Protocol):
    """Sends one message; raises DeliveryError (or any exception: retried) on failure."""

    async def send_text(self, recipient: str, text: str) -> None: ...

    async def send_image(self, recipient: str, png: bytes) -> None: ...


class DeliveryError(Exception):
    """A send failed; `retry` says whether trying again can help (e.g. not for 45015);
    `api_refused`: the channel's API refuses this account altogether (WeChat 48001)."""

    def __init__(self, message: str, *, retry: bool = True, api_refused: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.api_refused = api_refused
