"""The real app (real dispatcher, real database) driven as WeChat would, over ASGI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette

from bot.app.asgi import create_app
from bot.app.channel_seams import DatabaseTokenStore
from bot.app.runtime import Runtime
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.sender import WeChatSender
from bot.devtools.wechat_sim import WeChatSimulator
from bot.settings import load_settings
from bot.workers.delivery import Delivery
from storage.models import Answer, Respondent
from tests.fakes.wechat_api_server import FakeWeChatApi

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
APP_SECRET = "e2e-secret"


@dataclass
class Harness:
    app: Starlette
    runtime: Runtime
    client: httpx.AsyncClient
    api: FakeWeChatApi

    def simulator(self, *, safe: bool) -> WeChatSimulator:
        """safe=False: plaintext pushes, or with a key configured (safe or compatible
        mode, which refuse unsigned bodies) WeChat's compatible-mode pushes."""
        keyed = self.runtime.settings.wechat_encoding_aes_key is not None
        return WeChatSimulator(
            TOKEN, APP_ID, AES_KEY if safe or keyed else None, "http://wechat.test",
            client=self.client, compatible=keyed and not safe,
        )  # fmt: skip

    async def deliver(self) -> list[str]:
        """Run the outbox worker once (as the app's lifespan would); texts sent to users."""
        api = WeChatApi(
            APP_ID,
            APP_SECRET,
            token_store=DatabaseTokenStore(self.runtime.engine),
            base_url=self.api.base_url,
        )
        later = datetime.now(UTC) + timedelta(seconds=10)
        try:
            await Delivery(
                self.runtime.engine, {"wechat": WeChatSender(api)}, clock=lambda: later
            ).run_once()
        finally:
            api.close()
        sends = self.api.calls_to("/cgi-bin/message/custom/send")
        return [c.json["text"]["content"] for c in sends if "text" in c.json]

    def pages_waiting(self, openid: str) -> bool:
        """The follower's flag: pages or undelivered texts wait in the key-value table."""
        with Session(self.runtime.engine) as session:
            respondent = session.exec(
                select(Respondent).where(Respondent.channel_user_id == openid)
            ).one()
            return respondent.pages_waiting

    def answers(self, openid: str) -> dict[str, tuple[list[str | None], list[str | None]]]:
        """question id → (option ids, texts) as stored in answer rows."""
        with Session(self.runtime.engine) as session:
            respondent = session.exec(
                select(Respondent).where(Respondent.channel_user_id == openid)
            ).one()
            rows = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
        out: dict[str, tuple[list[str | None], list[str | None]]] = {}
        for row in rows:
            options, texts = out.setdefault(row.question_id, ([], []))
            if row.option_id is not None:
                options.append(row.option_id)
            if row.text is not None:
                texts.append(row.text)
        return out


@contextlib.asynccontextmanager
async def open_harness(db_url: str, **settings: object) -> AsyncIterator[Harness]:
    """The real app with the WeChat channel on `db_url`; extra settings as overrides."""
    api = FakeWeChatApi(app_id=APP_ID, app_secret=APP_SECRET)
    api.start()
    defaults: dict[str, object] = {
        "database_url": db_url,
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": APP_SECRET,
        "wechat_encoding_aes_key": AES_KEY,
        "wechat_api_base_url": api.base_url,
        "snapshot_min_respondents": 3,
    }
    app = create_app(load_settings(**{**defaults, **settings}))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
    try:
        yield Harness(app, app.state.runtime, client, api)
    finally:
        await client.aclose()
        app.state.runtime.engine.dispose()
        api.stop()


@pytest.fixture
async def harness(db_url: str) -> AsyncIterator[Harness]:
    async with open_harness(db_url) as opened:
        yield opened
