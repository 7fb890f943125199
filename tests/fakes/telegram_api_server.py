"""A loopback fake of the Telegram Bot API, recording every call in order.

A real HTTP server (http.server in a thread, 127.0.0.1, port 0), so python-telegram-bot
runs its real httpx stack against it (`Bot(token, base_url=f"{api.base_url}/bot")`): no
monkeypatching. It answers with valid Bot API JSON (PTB parses every result) and keeps
the messages it "sent" with their current inline keyboard, so a test can tap a button
on the message as Telegram would show it, and refuses an edit that changes nothing
("message is not modified") as Telegram does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:FAKE-token_for-tests"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "AIAG Survey",
    "username": "aiag_survey_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters PTB sends JSON-encoded; everything else stays the string it was sent as.
_JSON_PARAMS = frozenset({"reply_markup", "allowed_updates", "commands", "scope"})
_INT_PARAMS = frozenset({"chat_id", "message_id", "offset", "timeout", "limit"})
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) → message
        self.updates: deque[dict[str, Any]] = deque()  # served by getUpdates
        self._ids = itertools.count(1)
        self._failures: dict[str, deque[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- scripting -------------------------------------------------------------------
    def fail_next(self, method: str, status: int, description: str) -> None:
        """The next call to `method` fails like Telegram: {"ok": false, "error_code": …}."""
        with self._lock:
            self._failures.setdefault(method, deque()).append((status, description))

    # --- inspection ------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [
            c.params["text"]
            for c in self.calls_to("sendMessage")
            if chat_id is None or c.params["chat_id"] == chat_id
        ]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        with self._lock:
            ids = [mid for chat, mid in self.messages if chat == chat_id]
            return self.messages[(chat_id, max(ids))]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.messages[(chat_id, message_id)]))

    # --- behaviour (called from the server thread) -----------------------------------
    def _handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(Call(method, params))
            if token != self.token:
                return 401, _error(401, "Unauthorized")
            failures = self._failures.get(method)
            if failures:
                status, description = failures.popleft()
                return status, _error(status, description)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                return 404, _error(404, "Not Found")
            return handler(params)

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, _ok(BOT_USER)

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        message = self._new_message(params["chat_id"], text=params["text"])
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return 200, _ok(message)

    def _api_sendPhoto(self, params: dict[str, Any]) -> tuple[int, Any]:
        photo = {"file_id": "PHOTO", "file_unique_id": "P1", "width": 640, "height": 480}
        return 200, _ok(self._new_message(params["chat_id"], photo=[photo]))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (params["chat_id"], params["message_id"])
        message = self.messages.get(key)
        if message is None:
            return 400, _error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup") or None
        if markup == message.get("reply_markup"):
            return 400, _error(400, NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return 200, _ok(message)

    def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        offset = params.get("offset") or 0
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()  # confirmed by the offset, as Telegram forgets them
        return 200, _ok(list(self.updates))

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, _ok(True)

    _api_setWebhook = _api_deleteWebhook = _api_setMyCommands = _api_answerCallbackQuery

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        chat_type = "private" if chat_id > 0 else "group"
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type, "first_name": "Test"},
            "from": BOT_USER,
            **content,
        }
        self.messages[(chat_id, message_id)] = message
        return message


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(status: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": status, "description": description}


def _parse_params(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        raw: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            assert isinstance(payload, bytes)
            raw[str(name)] = f"<{len(payload)} bytes>" if part.get_filename() else payload.decode()
    elif content_type.startswith("application/json"):
        raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body).items()}
    else:
        raw = dict(parse_qsl(body.decode(), keep_blank_values=True))
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_PARAMS:
            params[key] = json.loads(value)
        elif key in _INT_PARAMS:
            params[key] = int(value)
        else:
            params[key] = value
    return params


def _handler_for(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            _, token, method = (self.path.split("/", 2) + ["", ""])[:3]
            params = _parse_params(self.headers.get("Content-Type", ""), body)
            status, payload = api._handle(token.removeprefix("bot"), method, params)
            if method == "getUpdates" and payload.get("result") == []:
                time.sleep(0.02)  # a short "long poll", so a polling loop does not spin
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler


@contextlib.contextmanager
def fake_bot_api() -> Iterator[FakeBotApi]:
    """A started fake; test modules wrap it in their own `telegram_api` fixture."""
    api = FakeBotApi()
    api.start()
    try:
        yield api
    finally:
        api.stop()
