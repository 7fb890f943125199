"""Fixtures of the WeChat channel tests: the official sample account, a recording fake of
the dispatcher, and the route mounted in a Starlette app."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from bot.channels.wechat.config import MessageMode, WeChatConfig
from bot.channels.wechat.routes import make_wechat_routes
from bot.devtools.wechat_sim import WeChatSimulator
from bot.dispatch.envelope import Envelope, Message, Outcome
from storage.db import make_engine
from storage.migrate import upgrade
from tests.fakes.wechat_api_server import wechat_api  # noqa: F401  (fixture)

# Tencent's sample account (WXBizMsgCrypt Sample.py), see PLATFORM_NOTES.
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class RecordingDispatcher:
    """Stands in for bot.dispatch.service: records envelopes, answers a scripted outcome, and
    plans it as the real dispatcher does: passive if the route's slot is still open."""

    reply: str | Outcome | Exception = "ok"
    delay: float = 0.0
    plan_first: bool = False  # plan (take the slot) before the delay, as if committing
    envelopes: list[Envelope] = field(default_factory=list)
    passive_open: list[bool] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)  # a dispatch ended

    async def handle(self, envelope: Envelope) -> Outcome:
        try:
            return await self._handle(envelope)
        finally:
            self.finished.set()

    async def _handle(self, envelope: Envelope) -> Outcome:
        self.envelopes.append(envelope)
        if self.plan_first and envelope.slot is not None:
            envelope.slot.take()
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.reply, Exception):
            raise self.reply
        outcome = (
            self.reply
            if isinstance(self.reply, Outcome)
            else Outcome((Message(self.reply),) if self.reply else ())
        )
        open_ = envelope.slot.take() if envelope.slot is not None else True
        self.passive_open.append(open_)
        planned = outcome.passive if outcome.passive is not None else (outcome.text or None)
        return dataclasses.replace(outcome, passive=planned if open_ else None)


@dataclass
class MemoryPushNonces:
    """The nonce record's contract in one process (the route tests need no database;
    `DatabasePushNonces` is tested on both backends in test_wechat_nonces.py)."""

    seen: dict[tuple[int, str], bytes] = field(default_factory=dict)

    async def claim(self, timestamp: int, nonce: str, body: bytes, *, now: float) -> bool:
        return self.seen.setdefault((timestamp, nonce), body) == body


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


SimFactory = Callable[..., WeChatSimulator]


@pytest.fixture
async def make_sim(dispatcher: RecordingDispatcher) -> AsyncIterator[SimFactory]:
    """`make_sim(safe=True)`: a simulator talking to the route over ASGI.

    The server has the AES key (safe mode) when the simulator encrypts, and none (plain
    mode) otherwise, unless `server_key` says which; `mode` sets WECHAT_MESSAGE_MODE.
    """
    clients: list[httpx.AsyncClient] = []

    def factory(
        *, safe: bool = False, server_key: str | None | bool = True, reply_budget: float = 4.0,
        app_id: str = APP_ID, token: str = TOKEN, compatible: bool = False,
        mode: MessageMode | None = None, original_id: str | None = None,
        nonces: MemoryPushNonces | None = None,
    ) -> WeChatSimulator:  # fmt: skip
        key = (AES_KEY if safe or compatible else None) if server_key is True else server_key
        config = WeChatConfig(
            token=TOKEN, app_id=APP_ID, encoding_aes_key=key or None, message_mode=mode,
            original_id=original_id,
        )  # fmt: skip
        routes = make_wechat_routes(
            config, dispatcher, nonces=nonces or MemoryPushNonces(),
            clock=lambda: NOW, reply_budget=reply_budget,
        )  # fmt: skip
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=routes)))
        clients.append(client)
        return WeChatSimulator(
            token, app_id, AES_KEY if safe or compatible else None, "http://wechat.test",
            client=client, clock=NOW.timestamp, compatible=compatible,
        )  # fmt: skip

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file: the Telegram survey tests run the real dispatcher on it."""
    url = f"sqlite:///{tmp_path / 'telegram.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
