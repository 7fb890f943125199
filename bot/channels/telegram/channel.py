"""The Telegram channel: `POST /telegram` (Bot API webhook) and the replies to it.

python-telegram-bot is the transport only: an `Application` without an updater
(its custom-webhook pattern), whose bot sends the replies. Each update is processed
while Telegram waits, so a failure can answer 503 and Telegram retries; the dispatcher
dedupes by `update_id`, which makes the retry safe (the retry resends the stored reply).

What each update means is decided in `telegram_inbound.plan_update`; this module
checks the request, carries the plan out and renders `Outcome`s as messages.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Bot, InlineKeyboardMarkup, MaybeInaccessibleMessage, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.channels.http_edge import Refused, read_limited, refusal, retry_later
from bot.channels.sending import DeliveryError
from bot.channels.telegram.commands import publish_commands
from bot.channels.telegram.config import Menus, TelegramConfig
from bot.channels.telegram.inbound import Plan, plan_update
from bot.channels.telegram.keyboards import build_keyboard
from bot.channels.text_split import split_utf16
from bot.dispatch.envelope import Dispatcher, Outcome
from bot.observability.logging import hash_id

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # updates are a few KB; anything near this is not Telegram


class MalformedUpdate(ValueError):
    """The body is not a Bot API update: answered 400 (a retry cannot fix it)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TelegramChannel:
    """One bot: `start()`/`stop()` from the app's lifespan, `handle_update` per update.

    Also the outbox's sender for the "telegram" channel (`send_text`, `send_image`).
    """

    def __init__(
        self,
        config: TelegramConfig,
        dispatcher: Dispatcher,
        *,
        menus: Menus,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.config = config
        self.menus = menus
        self._dispatcher = dispatcher
        self._clock = clock
        # No updater: updates come from our own route (or `telegram_polling`).
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.bot_base_url)
            .updater(None)
            .build()
        )

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def start(self) -> None:
        """Connect (getMe checks the token) and publish the command menus."""
        await self.application.initialize()
        try:
            await publish_commands(self.bot, self.menus, self.config.staff_ids)
        except TelegramError as exc:  # menus are a convenience: the bot works without
            log.warning("telegram setMyCommands failed: %s", type(exc).__name__)

    async def stop(self) -> None:
        await self.application.shutdown()

    async def handle_update(self, data: dict[str, Any]) -> None:
        """Process one update (a webhook body); raises MalformedUpdate for non-updates."""
        await self.process_update(self.parse(data))

    def parse(self, data: Any) -> Update:
        if not isinstance(data, dict):
            raise MalformedUpdate("not a JSON object")
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise MalformedUpdate("no integer update_id")
        try:
            update = Update.de_json(data, self.bot)
        # Overflow/OSError: a `date` beyond datetime's range (fromtimestamp); Recursion:
        # reply_to_message nested deeper than the interpreter's stack.
        except (
            KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError, RecursionError
        ) as exc:  # fmt: skip
            raise MalformedUpdate(f"not a Bot API update ({type(exc).__name__})") from None
        if update is None:
            raise MalformedUpdate("empty update")
        if not _has_integer_ids(update):
            raise MalformedUpdate("a chat, user or message id is not an integer")
        return update

    async def process_update(self, update: Update) -> None:
        try:
            plan = plan_update(update, self._clock(), bot_id=self.bot.id)
        except (AttributeError, TypeError, ValueError) as exc:
            # de_json checks neither presence nor types (a "message" without "chat"
            # parses); plan_update is pure, so this is the update's shape: 400, no retry.
            raise MalformedUpdate(f"unexpected update shape ({type(exc).__name__})") from None
        if plan is not None:
            await self._carry_out(plan)

    async def _carry_out(self, plan: Plan) -> None:
        if plan.callback_id is not None:
            # Answered first, so the button's spinner stops even if the rest is slow.
            await self._answer_callback(plan.callback_id, plan.notice)
        outcome = await self._dispatcher.handle(plan.envelope) if plan.envelope else None
        if plan.chat_id is None:
            return
        try:
            if plan.edit_message_id is not None:
                await self._edit_keyboard(plan.chat_id, plan.edit_message_id, plan.markup)
            if plan.say:
                await self._send(plan.chat_id, plan.say, plan.say_markup)
            if outcome is not None:
                await self.send_outcome(plan.chat_id, outcome)
        except (Forbidden, BadRequest) as exc:
            # Blocked by the user, chat gone: a retry cannot help, so no 503 for these.
            log.warning("telegram reply to %s refused: %s", hash_id(plan.chat_id), exc.message)

    async def send_outcome(self, chat_id: int | str, outcome: Outcome) -> None:
        """Every message of `outcome`, long texts split, the keyboard on the last part."""
        for message in outcome.messages:
            if message.text:
                parts = split_utf16(message.text)
                for part in parts[:-1]:
                    await self._send(chat_id, part, None)
                if parts:
                    await self._send(chat_id, parts[-1], build_keyboard(message))
            if message.image_png:
                await self.bot.send_photo(chat_id, message.image_png)

    async def send_text(self, recipient: str, text: str) -> None:
        """The outbox's sender: staff notifications and broadcasts."""
        try:
            for part in split_utf16(text):
                await self._send(recipient, part, None)
        except (Forbidden, BadRequest) as exc:
            raise DeliveryError(f"telegram refused: {exc.message}", retry=False) from None

    async def send_image(self, recipient: str, png: bytes) -> None:
        try:
            await self.bot.send_photo(recipient, png)
        except (Forbidden, BadRequest) as exc:
            raise DeliveryError(f"telegram refused: {exc.message}", retry=False) from None

    async def _send(
        self, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        # Plain text, no parse_mode: answers are echoed and must not become markup.
        await self.bot.send_message(chat_id, text, reply_markup=markup)

    async def _answer_callback(self, callback_id: str, notice: str | None) -> None:
        try:
            await self.bot.answer_callback_query(callback_id, text=notice)
        except BadRequest as exc:  # too old, or already answered by a first attempt
            log.info("callback answer refused: %s", exc.message)

    async def _edit_keyboard(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
        except BadRequest as exc:
            # "message is not modified" (a retried toggle draws the same keyboard),
            # "message to edit not found", or too old to edit: the keyboard stays.
            log.info("keyboard edit refused: %s", exc.message)


def _has_integer_ids(update: Update) -> bool:
    """Telegram always sends integer ids; de_json does not check, and a "chat id" that is
    a list would only fail later, when the reply is sent (a 503, retried forever)."""
    query = update.callback_query
    ids: list[object] = []
    messages: list[MaybeInaccessibleMessage | None] = [update.message, update.edited_message]
    if query is not None:
        ids.append(getattr(query.from_user, "id", None))
        messages.append(query.message)  # possibly an InaccessibleMessage: no from_user
    for message in filter(None, messages):
        ids += [message.message_id, getattr(message.chat, "id", None)]
        sender = getattr(message, "from_user", None)
        if sender is not None:
            ids.append(getattr(sender, "id", None))
    return all(isinstance(i, int) and not isinstance(i, bool) for i in ids)


def make_telegram_routes(channel: TelegramChannel, *, path: str = "/telegram") -> list[Route]:
    """The webhook route for the app's Starlette router."""

    async def webhook(request: Request) -> Response:
        try:
            _check_secret(request, channel.config.webhook_secret)
            data = await _read_json(request)
            await channel.handle_update(data)
        except Refused as refused:
            return refusal(refused, channel="telegram", what="telegram update", log=log)
        except MalformedUpdate as exc:
            return refusal(
                Refused(400, str(exc)), channel="telegram", what="telegram update", log=log
            )
        except Exception as exc:  # a failure: answered 503 so Telegram retries
            return retry_later(exc, channel="telegram", what="telegram update", log=log)
        return Response(status_code=200)

    return [Route(path, webhook, methods=["POST"])]


def _check_secret(request: Request, secret: str | None) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    # No secret configured: refuse everything rather than accept forged updates.
    if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Refused(403, "bad or missing secret token")


async def _read_json(request: Request) -> Any:
    body = await read_limited(request, MAX_BODY_BYTES)
    try:
        return json.loads(body)
    # RecursionError: nesting deeper than the stack ("[[[[…"), well under the size limit.
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MalformedUpdate("body is not JSON") from None
