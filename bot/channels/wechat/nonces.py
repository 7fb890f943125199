"""What the WeChat route needs of plaintext mode's one-body-per-URL record; the database
one every worker shares is `bot.app.channel_seams.DatabasePushNonces`."""

from __future__ import annotations

from typing import Protocol


class PushNonces(Protocol):
    async def claim(self, timestamp: int, nonce: str, body: bytes, *, now: float) -> bool:
        """True when the pair is new or carried this same body (a WeChat retry)."""
        ...
