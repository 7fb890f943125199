"""The Telegram channel mounted in a Starlette app, against the fake Bot API.

`running(api, dispatcher)` starts a `TelegramChannel` (getMe, setMyCommands), mounts
`POST /telegram` and yields a `Harness` whose `user` posts real Update JSON over ASGI.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette

from bot.app.channel_seams import TELEGRAM_MENUS
from bot.channels.telegram.channel import TelegramChannel, make_telegram_routes
from bot.channels.telegram.config import TelegramConfig
from bot.dispatch.envelope import Dispatcher, Envelope, Message, Outcome
from tests.fakes.telegram_api_server import FakeBotApi
from tests.fakes.telegram_user import SECRET, TelegramUser


@dataclass
class RecordingDispatcher:
    """Stands in for bot.dispatch.service: records envelopes, answers a scripted outcome."""

    reply: Outcome | Exception = field(default_factory=lambda: Outcome((Message("ok"),)))
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle(self, envelope: Envelope) -> Outcome:
        self.envelopes.append(envelope)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


@dataclass
class Harness:
    api: FakeBotApi
    channel: TelegramChannel
    client: httpx.AsyncClient
    user: TelegramUser


def config_for(
    api: FakeBotApi, *, secret: str | None = SECRET, staff_ids: Sequence[str] = ()
) -> TelegramConfig:
    return TelegramConfig(
        token=api.token,
        webhook_secret=secret,
        api_base_url=api.base_url,
        staff_ids=tuple(staff_ids),
    )


@contextlib.asynccontextmanager
async def running(
    api: FakeBotApi,
    dispatcher: Dispatcher,
    *,
    secret: str | None = SECRET,
    staff_ids: Sequence[str] = (),
) -> AsyncIterator[Harness]:
    channel = TelegramChannel(
        config_for(api, secret=secret, staff_ids=staff_ids), dispatcher, menus=TELEGRAM_MENUS
    )
    await channel.start()
    app = Starlette(routes=make_telegram_routes(channel))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield Harness(api, channel, client, TelegramUser(client, api))
    finally:
        await channel.stop()
