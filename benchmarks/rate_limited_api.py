"""WeChat's customer-service API with a send quota, as a loopback process (burst bench).

    python -m benchmarks.rate_limited_api --port 18121 --rate 100 --marker "[burst 1a2b]"

Answers `stable_token` / `token`, `media/upload` and `message/custom/send` as WeChat
does. Sends beyond `--rate` per second (a token bucket holding a tenth of a second's
worth) are refused with errcode 45009 "reach max api daily quota limit" (or `--errcode`,
e.g. 45011 "api minute-quota reach limit"): WeChat documents the quota and these codes
in its global return codes, not a per-second figure, so the rate is the bench's choice.
`GET /bench/stats` reports what was accepted: how many texts carrying `--marker` each
follower received (a broadcast's exactly-once check), the refusals, and the wall-clock
times of the first and last accepted marked send (the drain).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

STATS_PATH = "/bench/stats"
SEND_PATH = "/cgi-bin/message/custom/send"
QUOTA_ERRMSG = {45009: "reach max api daily quota limit", 45011: "api minute-quota reach limit"}
_OK = {"errcode": 0, "errmsg": "ok"}


class QuotaApi:
    """The API's state: the token bucket and what was accepted (thread-safe)."""

    def __init__(self, rate: float, marker: str, errcode: int = 45009) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.marker = marker
        self.errcode = errcode
        self._tokens = self.capacity
        self._refilled = time.monotonic()
        self._lock = threading.Lock()
        self.marked: Counter[str] = Counter()
        self.other_sends = 0
        self.refused = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    def answer(self, path: str, body: bytes) -> dict[str, Any]:
        if path.endswith(("/stable_token", "/token")):
            return {"access_token": "bench-access-token", "expires_in": 7200}
        if path.endswith("/media/upload"):
            return {"type": "image", "media_id": "bench-media"}
        if path == SEND_PATH:
            return self._send(json.loads(body or b"{}"))
        if path == STATS_PATH:
            return self.stats()
        return {"errcode": 40066, "errmsg": "invalid url"}

    def _send(self, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._refilled) * self.rate)
            self._refilled = now
            if self._tokens < 1:
                self.refused += 1
                return {"errcode": self.errcode, "errmsg": QUOTA_ERRMSG.get(self.errcode, "quota")}
            self._tokens -= 1
            text = str((data.get("text") or {}).get("content", ""))
            if self.marker and self.marker in text:
                self.marked[str(data.get("touser"))] += 1
                self.first_at = self.first_at or time.time()
                self.last_at = time.time()
            else:
                self.other_sends += 1
        return _OK

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "marked": dict(self.marked),
                "other_sends": self.other_sends,
                "refused": self.refused,
                "first_at": self.first_at,
                "last_at": self.last_at,
                "rate": self.rate,
            }


def serve(port: int, api: QuotaApi) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the client's requests.Session expects

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._reply(api.answer(urlsplit(self.path).path, b""))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._reply(api.answer(urlsplit(self.path).path, body))

        def _reply(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.rate_limited_api", description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rate", type=float, default=100.0, help="accepted sends per second")
    p.add_argument("--marker", default="", help="count texts carrying this, per follower")
    p.add_argument("--errcode", type=int, default=45009, choices=sorted(QUOTA_ERRMSG))
    args = p.parse_args(argv)
    serve(args.port, QuotaApi(args.rate, args.marker, args.errcode)).serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
