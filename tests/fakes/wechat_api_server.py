"""A loopback fake of WeChat's Official Account API, recording every call.

A real HTTP server (http.server in a thread, 127.0.0.1, port 0), so the client under test
runs its real `requests` stack: no monkeypatching. Tokens behave like WeChat's: each
fetch through `/cgi-bin/token` or a forced `/cgi-bin/stable_token` issues a new one and
invalidates the old; API calls with anything but the current token get 40001.

With a `SendQuota` it also counts customer-service sends per window, as WeChat counts an
account's calls per minute: beyond the limit it answers 45011 "api minute-quota reach
limit mustslower retry next minute" (or 45009, the daily quota) until the next window.
The windows follow `clock` (the wall clock unless given): a test that runs the outbox
worker on a clock of its own gives the fake the same one, so that both agree on when a
window reopens.
Each accepted send is a copy the follower got (`copies`). It also runs as a process for
the burst bench:

    python -m tests.fakes.wechat_api_server --port 18121 --quota 6000 --window 60
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

APP_ID = "wx_fake_app"
APP_SECRET = "fake-secret"
TOKEN_PATHS = frozenset({"/cgi-bin/token", "/cgi-bin/stable_token"})
SEND_PATH = "/cgi-bin/message/custom/send"
API_PATHS = frozenset({SEND_PATH, "/cgi-bin/menu/create", "/cgi-bin/media/upload"})
STATS_PATH = "/fake/stats"  # the copies and refusals so far, for a process-run fake
QUOTA_ERRMSG = {
    45011: "api minute-quota reach limit mustslower retry next minute",
    45009: "reach max api daily quota limit",
}


@dataclass(frozen=True)
class SendQuota:
    """At most `limit` customer-service sends per window of `window_s` seconds (windows
    start at multiples of it since the epoch, as a minute starts on the clock)."""

    limit: int
    window_s: float = 60.0
    errcode: int = 45011


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # filename, type, size


@dataclass(frozen=True)
class _Failure:
    status: int = 200
    errcode: int | None = None
    errmsg: str = ""


@dataclass(frozen=True)
class Copy:
    """A customer-service text the API accepted: what a follower's phone shows."""

    at: float  # the fake's clock: time.time() unless given
    touser: str
    text: str


class FakeWeChatApi:
    def __init__(
        self,
        app_id: str = APP_ID,
        app_secret: str = APP_SECRET,
        *,
        quota: SendQuota | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.quota = quota
        self._clock = clock  # seconds since the epoch, as time.time()
        self.calls: list[Call] = []
        self.accepted: list[Copy] = []
        self.refused = 0  # sends answered with the quota's errcode
        self._window = (-1, 0)  # (window number, sends accepted in it)
        self.token: str | None = None  # the one valid access_token
        self._serial = itertools.count(1)
        self._failures: dict[str, deque[_Failure]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
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
    def fail_next(self, path: str, errcode: int, errmsg: str = "scripted failure") -> None:
        """The next call to `path` answers HTTP 200 with this errcode (40001, 45015 …)."""
        self._script(path, _Failure(errcode=errcode, errmsg=errmsg))

    def http_error_next(self, path: str, status: int = 500) -> None:
        self._script(path, _Failure(status=status))

    def invalidate_token(self) -> None:
        """As a forced refresh elsewhere would: the current token stops working."""
        with self._lock:
            self.token = None

    def _script(self, path: str, failure: _Failure) -> None:
        with self._lock:
            self._failures.setdefault(path, deque()).append(failure)

    # --- inspection ------------------------------------------------------------------
    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def copies(self, marker: str = "") -> Counter[str]:
        """Accepted texts containing `marker`, per follower."""
        with self._lock:
            return Counter(c.touser for c in self.accepted if marker in c.text)

    def stats(self, marker: str) -> dict[str, Any]:
        with self._lock:
            marked = [c for c in self.accepted if marker and marker in c.text]
            return {
                "copies": dict(Counter(c.touser for c in marked)),
                "other": len(self.accepted) - len(marked),
                "refused": self.refused,
                "first_at": marked[0].at if marked else None,
                "last_at": marked[-1].at if marked else None,
                "quota": None if self.quota is None else [self.quota.limit, self.quota.window_s],
            }

    @property
    def token_fetches(self) -> int:
        with self._lock:
            return sum(1 for c in self.calls if c.path in TOKEN_PATHS)

    # --- behaviour (called from the server thread) -----------------------------------
    def _handle(self, call: Call) -> tuple[int, dict[str, Any]]:
        if call.path == STATS_PATH:
            return 200, self.stats(call.query.get("marker", ""))
        with self._lock:
            self.calls.append(call)
            queue = self._failures.get(call.path)
            failure = queue.popleft() if queue else None
            if failure is not None:
                if failure.status != 200:
                    return failure.status, {"error": "scripted"}
                return 200, {"errcode": failure.errcode, "errmsg": failure.errmsg}
            if call.path in TOKEN_PATHS:
                return self._issue_token(call)
            if call.path not in API_PATHS:
                return 404, {"errcode": -1, "errmsg": "unknown path"}
            if self.token is None or call.query.get("access_token") != self.token:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            if call.path == "/cgi-bin/media/upload":
                return 200, {"type": "image", "media_id": f"MEDIA-{next(self._serial)}"}
            if call.path == SEND_PATH:
                return self._send(call)
            return 200, {"errcode": 0, "errmsg": "ok"}

    def _send(self, call: Call) -> tuple[int, dict[str, Any]]:
        now = self._clock()
        if self.quota is not None:
            window = math.floor(now / self.quota.window_s)
            number, used = self._window if self._window[0] == window else (window, 0)
            if used >= self.quota.limit:
                self.refused += 1
                errcode = self.quota.errcode
                return 200, {"errcode": errcode, "errmsg": QUOTA_ERRMSG.get(errcode, "quota")}
            self._window = (number, used + 1)
        data = call.json if isinstance(call.json, dict) else {}
        text = str((data.get("text") or {}).get("content", ""))
        self.accepted.append(Copy(now, str(data.get("touser", "")), text))
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _issue_token(self, call: Call) -> tuple[int, dict[str, Any]]:
        creds = call.json if call.path == "/cgi-bin/stable_token" else call.query
        if not isinstance(creds, dict) or creds.get("grant_type") != "client_credential":
            return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
        if creds.get("appid") != self.app_id or creds.get("secret") != self.app_secret:
            return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
        # stable_token in normal mode hands out the current token; the rest rotate it.
        rotate = call.path == "/cgi-bin/token" or bool(creds.get("force_refresh"))
        if rotate or self.token is None:
            self.token = f"TOKEN-{next(self._serial)}"
        return 200, {"access_token": self.token, "expires_in": 7200}


def _parse_files(content_type: str, body: bytes) -> dict[str, tuple[str, str, int]]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    files: dict[str, tuple[str, str, int]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        files[str(name)] = (part.get_filename() or "", part.get_content_type(), len(payload))
    return files


def _handler_for(fake: FakeWeChatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ctype = self.headers.get("Content-Type", "")
            payload: Any = None
            files: dict[str, tuple[str, str, int]] = {}
            if ctype.startswith("multipart/form-data"):
                files = _parse_files(ctype, body)
            elif body:
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = body.decode("utf-8", "replace")
            call = Call(method, url.path, dict(parse_qsl(url.query)), payload, files)
            status, answer = fake._handle(call)
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fakes.wechat_api_server")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--app-id", default=APP_ID)
    p.add_argument("--app-secret", default=APP_SECRET)
    p.add_argument("--quota", type=int, help="customer-service sends accepted per window")
    p.add_argument("--window", type=float, default=60.0, help="the quota's window, seconds")
    p.add_argument("--errcode", type=int, default=45011, choices=sorted(QUOTA_ERRMSG))
    args = p.parse_args(argv)
    quota = SendQuota(args.quota, args.window, args.errcode) if args.quota else None
    fake = FakeWeChatApi(args.app_id, args.app_secret, quota=quota, port=args.port)
    fake._server.serve_forever(poll_interval=0.1)
    return 0


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


if __name__ == "__main__":
    raise SystemExit(main())
