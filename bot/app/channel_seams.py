"""What the channels need from storage and from the staff commands, built by the wiring.

Channels only translate (tests/bot/test_import_graph.py), so the pieces that touch the
database or know the staff commands live here and are handed to them:
- `DatabaseTokenStore`: one WeChat access token for every worker (PLATFORM_NOTES: a new
  token invalidates the old one after 5 minutes, so workers must not each fetch their own).
- `DatabasePushNonces`: plaintext mode's one-body-per-URL record, kept in the database
  (shared by every worker and host; an in-process set would let a second worker take the
  forged body).
- `TELEGRAM_MENUS`: the command lists Telegram shows, from the staff command catalog.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.telegram.config import Menus
from bot.channels.wechat.crypto import REPLAY_WINDOW_S
from bot.staff.catalog import RESPONDENT_COMMANDS, STAFF_COMMANDS
from storage.kv import kv_delete, kv_get, kv_set
from storage.push_nonces import claim_push_nonce
from storage.transactions import run_in_transaction

TELEGRAM_MENUS = Menus(respondent=RESPONDENT_COMMANDS, staff=STAFF_COMMANDS)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatabaseTokenStore:
    """wechat_api.TokenStore over the KeyValue table (synchronous: called from threads).

    A value read is reused for `cache_s` seconds: every API call asks for the token, and
    a broadcast's hundred sends a second each paid a transaction for it. A token rotated
    meanwhile by another worker costs one 40001, after which the client drops and
    re-reads it (bot.channels.wechat.api)."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = _utc_now, cache_s: float = 5.0
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.cache_s = cache_s
        self._cache: dict[str, tuple[str | None, datetime]] = {}  # key → (value, read until)
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        value = run_in_transaction(
            self.engine, lambda s: kv_get(session=s, key=f"wechat:{key}", now=now)
        )
        if value is not None:
            with self._lock:
                self._cache[key] = (value, now + timedelta(seconds=self.cache_s))
        return value

    def set(self, key: str, value: str, ttl: int | None) -> None:
        now = self.clock()
        expires = now + timedelta(seconds=ttl) if ttl else None
        run_in_transaction(
            self.engine,
            lambda s: kv_set(session=s, key=f"wechat:{key}", value=value, expires_at=expires),
        )
        until = now + timedelta(seconds=min(self.cache_s, ttl or self.cache_s))
        with self._lock:
            self._cache[key] = (value, until)

    def delete(self, key: str) -> None:
        with self._lock:
            self._cache.pop(key, None)
        run_in_transaction(self.engine, lambda s: kv_delete(session=s, key=f"wechat:{key}"))


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
