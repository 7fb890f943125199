"""The ASGI application: channels mounted side by side on one dispatcher.

`create_app(settings)` builds everything (nothing at import time); `app_from_env()` is
the factory uvicorn workers call (`uvicorn --factory bot.app.asgi:app_from_env`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app.background import start_background, stop_background
from bot.app.channel_seams import TELEGRAM_MENUS, DatabasePushNonces, DatabaseTokenStore
from bot.app.heap import settle_heap
from bot.app.runtime import Runtime, build_runtime
from bot.channels.sending import ChannelSender
from bot.channels.telegram.config import TelegramConfig
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.routes import make_wechat_routes
from bot.channels.wechat.sender import WeChatSender
from bot.dispatch.render import compile_templates
from bot.observability.metrics import mark_worker_dead, metrics_endpoint
from bot.observability.middleware import ObservabilityMiddleware
from bot.reports.cjk_font_files import cjk_font_available
from bot.settings import Settings, load_settings
from bot.web.routes import make_web_routes
from storage.db import ping
from storage.readiness import accepts_writes

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)


def wechat_config(settings: Settings) -> WeChatConfig | None:
    if not settings.wechat_token:
        return None
    return WeChatConfig(
        token=settings.wechat_token,
        app_id=settings.wechat_app_id or "",
        app_secret=settings.wechat_app_secret,
        encoding_aes_key=settings.wechat_encoding_aes_key,
        api_base_url=settings.wechat_api_base_url,
        message_mode=settings.wechat_message_mode,
        original_id=settings.wechat_original_id,
    )


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> Starlette:
    runtime = runtime or build_runtime(settings)
    if not cjk_font_available():
        log.warning(
            "no CJK font found: charts are labelled in English (apt install fonts-wqy-microhei)"
        )
    engine = runtime.engine
    routes: list[BaseRoute] = []
    senders: dict[str, ChannelSender] = {}

    async def healthz(request: Request) -> Response:
        ok = await anyio.to_thread.run_sync(ping, engine)
        return JSONResponse({"database": "ok" if ok else "down"}, status_code=200 if ok else 503)

    async def readyz(request: Request) -> Response:
        # Liveness (/healthz) reads; readiness proves a write (storage.readiness).
        ok = await anyio.to_thread.run_sync(accepts_writes, engine, datetime.now(UTC))
        state, status = ("writable", 200) if ok else ("not writable", 503)
        return JSONResponse({"database": state}, status_code=status)

    routes.append(Route("/healthz", healthz, methods=["GET"]))
    routes.append(Route("/readyz", readyz, methods=["GET"]))
    # Prometheus scrapes the app directly; the reverse proxy does not forward /metrics.
    routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))

    config = wechat_config(settings)
    wechat_api: WeChatApi | None = None
    if config is not None:
        if config.app_secret and config.app_id:
            wechat_api = WeChatApi.from_config(config, DatabaseTokenStore(engine))
            senders["wechat"] = WeChatSender(wechat_api)
        # Long replies: queued or paged by the dispatcher (bot.dispatch.reply_delivery).
        nonces = DatabasePushNonces(engine)
        routes.extend(make_wechat_routes(config, runtime.service, nonces=nonces))

    # Staff dashboard and export downloads (signed links, staff-only).
    routes.extend(
        make_web_routes(
            settings=settings, engine=engine, flow=runtime.flow, catalog=runtime.catalog
        )
    )

    telegram_config = TelegramConfig.from_settings(settings)
    telegram: TelegramChannel | None = None
    if telegram_config is not None:
        # python-telegram-bot (~17 MB): only a worker that serves Telegram imports it.
        from bot.channels.telegram.channel import TelegramChannel, make_telegram_routes

        telegram = TelegramChannel(telegram_config, runtime.service, menus=TELEGRAM_MENUS)
        routes.extend(make_telegram_routes(telegram))
        senders["telegram"] = telegram  # staff alerts and broadcasts go out through the outbox

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if telegram is not None:
            # Checks the token with getMe and publishes the command menus; a wrong token
            # stops start-up with a clear error rather than failing every update later.
            await telegram.start()
        tasks = start_background(
            engine=engine, senders=senders, catalog=runtime.catalog, settings=settings
        )
        try:
            yield
        finally:
            await stop_background(tasks)
            if wechat_api is not None:
                wechat_api.close()
            if telegram is not None:
                await telegram.stop()
            runtime.service.close()
            engine.dispose()
            mark_worker_dead()

    app = Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(ObservabilityMiddleware)]
    )
    app.state.runtime = runtime
    return app


def app_from_env() -> Starlette:
    """uvicorn's factory: each worker process builds its own app from the environment."""
    settings = load_settings()
    app = create_app(settings, runtime=build_runtime(settings, migrate=False))
    compile_templates()  # before the first respondents, and into the settled heap
    settle_heap()  # the worker is built: its long-lived objects leave the collector's way
    return app
