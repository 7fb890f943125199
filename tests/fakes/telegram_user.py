"""A Telegram user, as Telegram's servers present them to a webhook: real Update JSON.

Builds `message` / `callback_query` / `edited_message` updates with increasing
`update_id`s and posts them to `POST /telegram` with the secret header. A tap is built
from the message as the fake Bot API currently holds it (its live inline keyboard), as
Telegram attaches the current message to a callback query.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from tests.fakes.telegram_api_server import FakeBotApi

SECRET = "test-webhook-secret_1"
_PHOTO = [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90}]


class TelegramUser:
    def __init__(
        self,
        client: httpx.AsyncClient,
        api: FakeBotApi,
        *,
        user_id: int = 5001,
        first_update_id: int = 700_000_000,
        secret: str | None = SECRET,
        path: str = "/telegram",
    ) -> None:
        self.client = client
        self.api = api
        self.user_id = user_id
        self.secret = secret
        self.path = path
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.last_update: dict[str, Any] = {}
        self.callback_ids: list[str] = []  # every callback query this user sent

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Lin", "language_code": "zh"}

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": "Lin"}

    def message(self, text: str | None = None, *, chat: dict[str, Any] | None = None,
                **content: Any) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat or self.private_chat(),
            "from": self.user,
            **content,
        }
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self._update_ids), "message": body}

    def photo(self) -> dict[str, Any]:
        return self.message(photo=_PHOTO)

    def callback(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        self.callback_ids.append(f"cq{next(self._callback_ids)}")
        query = {
            "id": self.callback_ids[-1],
            "from": self.user,
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    # --- sending -----------------------------------------------------------------------
    async def post(self, update: Any, *, secret: str | None = None, raw: bytes | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        """Deliver `update` as Telegram would (or `raw` bytes, for malformed bodies)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        token = secret if secret is not None else self.secret
        if token is not None:
            sent["X-Telegram-Bot-Api-Secret-Token"] = token
        if raw is None and isinstance(update, dict):
            self.last_update = update
        return await self.client.post(
            self.path, content=raw, json=None if raw is not None else update, headers=sent
        )

    async def say(self, text: str) -> httpx.Response:
        return await self.post(self.message(text))

    async def tap(self, label: str, *, message_id: int | None = None) -> httpx.Response:
        """Tap the button whose label is or ends with `label` (e.g. "Supplier" or "✅ 1.").

        On the latest bot message in this chat, or on `message_id`.
        """
        message = self.api.message(
            self.user_id, message_id or self.api.last_message(self.user_id)["message_id"]
        )
        data = find_button(message, label)
        return await self.post(self.callback(message, data))


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every button of a message's inline keyboard, in order."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def find_button(message: dict[str, Any], label: str) -> str:
    found = [data for text, data in buttons(message) if text == label or text.endswith(label)]
    if len(found) != 1:
        raise AssertionError(f"{len(found)} buttons match {label!r}: {buttons(message)}")
    return found[0]
