"""WeChat's customer-service API as `surveybot simulate` plays it in development mode.

`surveybot serve` without WECHAT_TOKEN points its workers at this loopback server (with
a development app secret), so the parts of a long reply and the completion chart reach
the simulator's terminal as they would reach a follower's phone: texts are printed,
images saved as PNG files. Development only: it checks no credentials.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Show = Callable[[str], None]
_TOKEN = {"access_token": "dev-access-token", "expires_in": 7200}
_OK = {"errcode": 0, "errmsg": "ok"}


class SimulatedCustomerService:
    """Serves on 127.0.0.1:`port` until `stop()`; `show` prints what a follower gets."""

    def __init__(self, port: int, images: Path, show: Show, *, openid: str | None = None) -> None:
        self.images = images
        self.show = show
        self.openid = openid  # only this follower's messages are shown (None: all)
        self._media: dict[str, Path] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, content_type: str, body: bytes) -> dict[str, Any]:
        if path.endswith("/stable_token") or path.endswith("/token"):
            return _TOKEN
        if path.endswith("/media/upload"):
            return {"type": "image", "media_id": self._save(content_type, body)}
        if path.endswith("/message/custom/send"):
            self._send(json.loads(body or b"{}"))
        return _OK

    def _save(self, content_type: str, body: bytes) -> str:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        png = b""
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                png = payload
        with self._lock:
            media_id = f"dev-media-{next(self._serial)}"
            self.images.mkdir(parents=True, exist_ok=True)
            path = self.images / f"{media_id}.png"
            path.write_bytes(png)
            self._media[media_id] = path
        return media_id

    def _send(self, data: dict[str, Any]) -> None:
        if self.openid is not None and data.get("touser") != self.openid:
            return
        if data.get("msgtype") == "text":
            self.show(f"[客服消息 customer-service message]\n{data['text']['content']}")
        elif data.get("msgtype") == "image":
            media = self._media.get(str(data["image"]["media_id"]), "?")
            self.show(f"[图片 image] saved as {media}")


def _handler(api: SimulatedCustomerService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the terminal is the chat
            return

        def do_GET(self) -> None:
            self._reply(api.answer(urlsplit(self.path).path, "", b""))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "")
            self._reply(api.answer(urlsplit(self.path).path, content_type, body))

        def _reply(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler
