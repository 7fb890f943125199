"""Plaintext mode's one-body-per-URL record, kept in the database (shared by every worker
and host; an in-process set would let a second worker take the forged body)."""

from __future__ import annotations

import hashlib
from typing import Protocol

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.wechat.crypto import REPLAY_WINDOW_S
from storage.db import run_in_transaction
from storage.push_nonces import claim_push_nonce


class PushNonces(Protocol):
    async def claim(self, timestamp: int, nonce: str, body: bytes, *, now: float) -> bool:
        """True when the pair is new or carried this same body (a WeChat retry)."""
        ...


class DatabasePushNonces:
    def __init__(self, engine: Engine, *, window: int = REPLAY_WINDOW_S) -> None:
        self.engine = engine
        self.window = window

    async def claim(self, timestamp: int, nonce: str, body: bytes, *, now: float) -> bool:
        digest = hashlib.sha256(body).hexdigest()
        # A pair older than the window can never pass the timestamp check again.
        oldest = int(now) - self.window

        def write(session: Session) -> bool:
            return claim_push_nonce(
                session=session, timestamp=timestamp, nonce=nonce, body_sha256=digest,
                oldest=oldest,
            )  # fmt: skip

        return await anyio.to_thread.run_sync(run_in_transaction, self.engine, write)
