"""The HTTP edge both webhook routes share: bounded body, refusals, the 503 for failures."""

from __future__ import annotations

import logging

import pytest
from starlette.requests import Request
from starlette.types import Message

from bot.channels.http_edge import Refused, read_limited, refusal, retry_later

log = logging.getLogger("test_http_edge")


def request_of(chunks: list[bytes], *, declared: int | None = None) -> Request:
    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    pending = list(chunks)

    async def receive() -> Message:
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def test_a_body_within_the_limit_is_read_whole() -> None:
    assert await read_limited(request_of([b"ab", b"cd"]), 4) == b"abcd"


async def test_a_declared_size_over_the_limit_is_refused_unread() -> None:
    with pytest.raises(Refused) as refused:
        await read_limited(request_of([b"x"], declared=5), 4)
    assert refused.value.status == 413


async def test_a_stream_over_the_limit_is_refused_without_a_length_header() -> None:
    with pytest.raises(Refused) as refused:
        await read_limited(request_of([b"abc", b"de"]), 4)
    assert refused.value.status == 413


def test_a_refusal_answers_its_status_and_reason() -> None:
    response = refusal(Refused(403, "bad signature"), channel="wechat", what="push", log=log)
    assert (response.status_code, response.body) == (403, b"bad signature")


def test_a_failure_answers_503_and_logs_no_exception_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    typed = "openid-" + "123"  # not a literal: the frames quote the raising line
    try:
        raise ValueError(typed)
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, logger="test_http_edge"):
            response = retry_later(exc, channel="wechat", what="wechat push", log=log)
    assert response.status_code == 503
    assert "ValueError" in caplog.text and "openid-123" not in caplog.text
