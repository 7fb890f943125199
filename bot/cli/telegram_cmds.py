"""`surveybot telegram …`: register the webhook, or long-poll for local use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import typer

from bot.channels.telegram.config import TelegramConfig, TelegramConfigError
from bot.cli.common import runtime_or_exit, settings_or_exit

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

# python-telegram-bot (~17 MB) is imported by the commands that talk to Telegram only:
# `surveybot serve --workers 1` serves from this CLI process.

telegram_app = typer.Typer(no_args_is_help=True, add_completion=False)


def _config_or_exit(*, need_secret: bool) -> TelegramConfig:
    settings = settings_or_exit()
    try:
        config = TelegramConfig.from_settings(settings)
    except TelegramConfigError as exc:
        typer.echo(f"surveybot: {exc}", err=True)
        raise typer.Exit(2) from None
    if config is None:
        typer.echo("surveybot: TELEGRAM_BOT_TOKEN is not set", err=True)
        raise typer.Exit(2)
    if need_secret and config.webhook_secret is None:
        # Without it anyone who guesses the URL could post forged updates.
        typer.echo("surveybot: set TELEGRAM_WEBHOOK_SECRET first (A-Z a-z 0-9 _ -)", err=True)
        raise typer.Exit(2)
    return config


def _run_or_exit(coroutine: Coroutine[Any, Any, None]) -> None:
    from telegram.error import InvalidToken, TelegramError

    try:
        asyncio.run(coroutine)
    except InvalidToken:
        # PTB's message quotes the token: keep it out of terminals and CI logs.
        typer.echo("surveybot: Telegram rejected TELEGRAM_BOT_TOKEN", err=True)
        raise typer.Exit(1) from None
    except TelegramError as exc:
        typer.echo(f"surveybot: Telegram refused: {exc.message}", err=True)
        raise typer.Exit(1) from None


@telegram_app.command("set-webhook", help="Point Telegram at URL (our POST /telegram).")
def set_webhook(
    url: str = typer.Argument(..., help="Public HTTPS URL, e.g. https://bot.example.org/telegram"),
    drop_pending: bool = typer.Option(
        False, "--drop-pending-updates", help="Forget updates Telegram queued meanwhile."
    ),
) -> None:
    config = _config_or_exit(need_secret=True)
    if not url.startswith("https://"):
        typer.echo("surveybot: Telegram only delivers webhooks to https:// URLs", err=True)
        raise typer.Exit(2)
    _run_or_exit(_set_webhook(config, url, drop_pending))
    typer.echo(f"webhook set to {url}; command menus published")


async def _set_webhook(config: TelegramConfig, url: str, drop_pending: bool) -> None:
    from telegram import Bot

    from bot.app.channel_seams import TELEGRAM_MENUS
    from bot.channels.telegram.commands import publish_commands
    from bot.channels.telegram.inbound import ALLOWED_UPDATES

    async with Bot(config.token, base_url=config.bot_base_url) as bot:  # getMe checks the token
        await bot.set_webhook(
            url,
            secret_token=config.webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )
        await publish_commands(bot, TELEGRAM_MENUS, config.staff_ids)


@telegram_app.command("poll", help="Long-poll Telegram (local use; removes the webhook).")
def poll(
    timeout: int = typer.Option(30, "--timeout", min=0, max=50, help="Long-poll seconds."),
) -> None:
    config = _config_or_exit(need_secret=False)
    runtime = runtime_or_exit(settings_or_exit())
    typer.echo("polling Telegram; Ctrl-C stops (run `telegram set-webhook` again afterwards)")
    with contextlib.suppress(KeyboardInterrupt):
        _run_or_exit(_poll(runtime, config, timeout))


async def _poll(runtime: Runtime, config: TelegramConfig, timeout: int) -> None:
    from bot.app.background import start_background, stop_background
    from bot.app.channel_seams import TELEGRAM_MENUS
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.polling import poll_updates

    channel = TelegramChannel(config, runtime.service, menus=TELEGRAM_MENUS)
    await channel.start()
    # The outbox, completion charts and contact re-notification run as under `serve`.
    tasks = start_background(
        engine=runtime.engine,
        senders={"telegram": channel},
        catalog=runtime.catalog,
        settings=runtime.settings,
    )
    try:
        await poll_updates(channel, timeout=timeout)
    finally:
        await stop_background(tasks)
        await channel.stop()
        runtime.service.close()
        runtime.engine.dispose()
