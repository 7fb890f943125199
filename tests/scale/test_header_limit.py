"""Issue 14 §5: request headers are limited (16 KiB in total → 431) on the real server.

Before, `surveybot serve` (uvicorn + httptools, no header limit) buffered every byte: five
requests with 40 one-megabyte headers each grew a worker by ~200 MB.
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.cli.header_limit import MAX_HEADER_BYTES
from tests.scale.server import ROOT, free_port, server_env

MB = 1024 * 1024


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _huge_headers_request(port: int, headers: int, size: int) -> bytes:
    """Send `headers` headers of `size` bytes each, a piece at a time; stop sending as soon
    as the server answers (it may close before all of it is sent). The answer's head."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        pieces = [b"GET /healthz HTTP/1.1\r\nHost: t\r\n"]
        value = b"a" * size
        pieces += [b"X-Big-%d: %s\r\n" % (i, value) for i in range(headers)]
        pieces.append(b"\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for piece in pieces:
                for start in range(0, len(piece), 64 * 1024):
                    if select.select([sock], [], [], 0)[0]:
                        raise BrokenPipeError  # answered already: stop sending
                    sock.sendall(piece[start : start + 64 * 1024])
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    return answer


def test_forty_one_megabyte_headers_get_431_and_memory_stays_flat(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port), "--log-level",
         "warning"],
        cwd=ROOT, env=server_env(f"sqlite:///{tmp_path / 'bot.db'}"), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        # Ordinary requests are untouched: a few KiB of headers, and a body far larger
        # than the header limit arriving in the same reads as the headers.
        assert httpx.get(f"{base}/healthz", headers={"X-Pad": "p" * 8000}).status_code == 200
        big_body = httpx.post(f"{base}/wechat", content=b"x" * 60_000)
        assert big_body.status_code == 403  # unsigned: refused by the app, not by 431

        before = _rss_kib(server.pid)
        for _ in range(5):
            head = _huge_headers_request(port, headers=40, size=MB)
            assert head.startswith(b"HTTP/1.1 431 "), head[:200]
        grown_mib = (_rss_kib(server.pid) - before) / 1024
        assert grown_mib < 16, f"worker grew by {grown_mib:.0f} MiB"

        # Just over the limit in many small headers: refused too; the server lives on.
        small = _huge_headers_request(port, headers=MAX_HEADER_BYTES // 100 + 10, size=100)
        assert small.startswith(b"HTTP/1.1 431 ")
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
