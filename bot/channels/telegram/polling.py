"""Long polling (getUpdates) for local use without a public HTTPS URL.

The same path as the webhook: every update goes through `TelegramChannel.process_update`,
so dedupe, keyboards and replies behave identically. Like Telegram's webhook retries, an
update whose processing fails is tried again (the offset is not advanced) a few times,
then skipped with an error log so one poisoned update cannot stall the bot.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import warnings
from datetime import timedelta

from telegram import Update
from telegram.error import NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.inbound import ALLOWED_UPDATES

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


async def poll_updates(
    channel: TelegramChannel,
    *,
    stop: asyncio.Event | None = None,
    timeout: int = 30,
    backoff: float = 1.0,
) -> None:
    """Fetch and process updates until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    bot = channel.bot
    # getUpdates is refused while a webhook is set (Bot API: 409 Conflict).
    await bot.delete_webhook()
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
            )
        except RetryAfter as exc:
            await asyncio.sleep(_delay(exc))
            continue
        except NetworkError as exc:  # includes TimedOut: the connection, not the update
            log.warning("telegram getUpdates failed: %s", type(exc).__name__)
            await asyncio.sleep(backoff)
            continue
        for update in updates:
            if not await _process(channel, update, failures + 1):
                failures += 1
                await asyncio.sleep(backoff)
                break  # fetch again from this update
            failures = 0
            offset = update.update_id + 1


async def _process(channel: TelegramChannel, update: Update, attempt: int) -> bool:
    """True when the update is done with (processed, or given up on)."""
    try:
        await channel.process_update(update)
        return True
    except Exception as exc:  # retried, then skipped; type and frames only (no user text)
        given_up = attempt >= MAX_ATTEMPTS
        log.error(
            "telegram update %d failed (%s), attempt %d%s\n%s",
            update.update_id,
            type(exc).__name__,
            attempt,
            ": skipped" if given_up else "",
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return given_up


def _delay(exc: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` becomes a timedelta; either form is fine here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
