"""Issue 14 §5 at the WeChat route: a forged URL is refused before its body is read, a
sender hanging up mid-body is no server error, and the URL check is not sniffable."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.devtools.wechat_sim import sign
from tests.bot.channels.conftest import SimFactory
from tests.bot.observability.conftest import delta, scrape
from tests.bot.wechat_harness import open_harness

ASGIApp = Callable[..., Awaitable[None]]


async def _call(
    app: ASGIApp, query: dict[str, str], receive: Callable[[], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """One raw ASGI POST /wechat (httpx cannot stall or hang up mid-body); the messages sent."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/wechat", "raw_path": b"/wechat", "root_path": "",
        "query_string": urlencode(query).encode(), "server": ("wechat.test", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"wechat.test"), (b"content-length", b"60000")],
    }  # fmt: skip
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    return sent


def _status(sent: list[dict[str, Any]]) -> int:
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


async def test_url_check_reply_is_not_sniffable(make_sim: SimFactory) -> None:
    res = await make_sim().verify_url("<html><script>alert(1)</script>")
    assert res.status_code == 200
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("aes_key", [None, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"])
async def test_a_forged_url_is_refused_before_its_body_arrives(
    db_url: str, aes_key: str | None
) -> None:
    async with open_harness(db_url, wechat_encoding_aes_key=aes_key) as harness:
        body_read = asyncio.Event()

        async def receive() -> dict[str, Any]:
            body_read.set()
            await asyncio.Event().wait()  # a sender trickling a large body: never done
            raise AssertionError("unreachable")

        ts = str(int(harness.simulator(safe=False).now()))
        query = {"signature": sign("not-the-token", ts, "1"), "timestamp": ts, "nonce": "1"}
        if aes_key:
            query |= {"encrypt_type": "aes", "msg_signature": "0" * 40}
        sent = await _call(harness.app, query, receive)
        assert _status(sent) == 403
        assert not body_read.is_set()


async def test_a_sender_hanging_up_mid_body_is_no_server_error(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_harness(db_url) as harness:
        sim = harness.simulator(safe=True)
        params, body = sim.signed_push(sim.push_xml("o_gone", "text", Content="hi", MsgId=9))
        messages = [
            {"type": "http.request", "body": body[:100], "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        before = await scrape(harness.client)
        with caplog.at_level(logging.INFO):
            sent = await _call(harness.app, params, receive)
        after = await scrape(harness.client)

    assert _status(sent) < 500
    grew = functools.partial(delta, before, after)
    assert grew("surveybot_errors_total", where="wechat") == 0
    for status in ("500", "503"):
        assert grew("surveybot_requests_total", route="/wechat", method="POST", status=status) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    hangups = [r for r in caplog.records if "abandoned" in r.getMessage()]
    assert [r.levelno for r in hangups] == [logging.INFO] and hangups[0].exc_info is None
