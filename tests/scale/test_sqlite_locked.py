"""SQLite "database is locked": waited out, retried with backoff, never shown to anyone.

Another connection (a backup, `sqlite3` in a terminal, a second process) holds the
write lock while a message arrives. A short hold is absorbed by the busy timeout; one
longer than the busy timeout raises "database is locked", which
`storage.transactions.run_in_transaction` re-runs with backoff until the lock is gone.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.devtools.wechat_sim import WeChatSimulator
from bot.dispatch.envelope import Channel, Envelope
from bot.settings import load_settings
from flows.events import Inbound, Intent
from storage.db import SQLITE_BUSY_TIMEOUT_MS
from tests.scale.server import AES_KEY, APP_ID, TOKEN


@contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another connection takes the write lock now and lets go after `seconds`."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, lambda: other.execute("ROLLBACK"))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        other.close()


def test_a_lock_held_past_the_busy_timeout_is_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "locked.db"
    runtime = build_runtime(load_settings(database_url=f"sqlite:///{path}"))
    start = Envelope(
        Channel.WECHAT,
        "o_locked",
        "o_locked:1",
        Inbound(now=datetime.now(UTC), intent=Intent.START),
    )
    caplog.set_level(logging.INFO, logger="storage.transactions")
    try:
        with write_lock_held(path, SQLITE_BUSY_TIMEOUT_MS / 1000 + 0.5):
            outcome = runtime.service.handle_sync(start)
    finally:
        runtime.engine.dispose()

    assert "database is locked" in caplog.text and "retry 1" in caplog.text
    assert outcome.messages and not outcome.duplicate
    assert "欢迎" in outcome.text


async def test_a_respondent_behind_a_briefly_held_lock_gets_the_normal_reply(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    settings = load_settings(
        database_url=f"sqlite:///{path}",
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_encoding_aes_key=AES_KEY,
    )
    app = create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, "http://wechat.test", client=client)
    try:
        await sim.send_event("o_busy", "subscribe")
        with write_lock_held(path, 1.0):
            reply = await sim.send_text("o_busy", "3")
    finally:
        await client.aclose()
        app.state.runtime.engine.dispose()

    assert reply.status == 200
    assert reply.text is not None and "Are you an OEM or a Supplier?" in reply.text
