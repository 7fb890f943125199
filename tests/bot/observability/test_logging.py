"""JSON log lines: they parse, carry the request id, and never show a user id or token."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.observability.logging import (
    AccessLogFields,
    JsonFormatter,
    RedactPersonalData,
    hash_id,
    request_id_var,
)
from tests.bot.observability.conftest import OPENID, CapturedLogs
from tests.bot.wechat_harness import Harness

REPO = Path(__file__).resolve().parents[3]


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, msg, args or None, None)
    record.__dict__.update(extra)
    return record


def _filtered(record: logging.LogRecord) -> logging.LogRecord:
    assert RedactPersonalData().filter(record)
    return record


def test_the_hash_is_stable_short_and_hides_the_id() -> None:
    """The one tag every channel logs for a user (WeChat openids, Telegram chat ids)."""
    assert hash_id(OPENID) == hash_id(OPENID)
    assert OPENID not in hash_id(OPENID) and re.fullmatch(r"[0-9a-f]{12}", hash_id(OPENID))
    assert hash_id(123456789) == hash_id("123456789")  # a Telegram id, as int or text
    assert hash_id(OPENID) != hash_id(OPENID + "x")


def test_the_filter_hashes_openids_in_the_message() -> None:
    record = _filtered(_record("reply to %s failed", OPENID))
    assert record.getMessage() == f"reply to {hash_id(OPENID)} failed"


def test_the_filter_hashes_user_extras() -> None:
    record = _filtered(_record("x", user=987654321, chat_id="-100200300", openid=OPENID))
    assert record.user == hash_id(987654321)  # type: ignore[attr-defined]
    assert record.chat_id == hash_id("-100200300")  # type: ignore[attr-defined]
    assert record.openid == hash_id(OPENID)  # type: ignore[attr-defined]


def test_the_filter_keeps_ordinary_text_and_already_hashed_users() -> None:
    tag = hash_id(OPENID)
    record = _filtered(_record("outbox 42 sent after 3 tries", user=tag, step=7))
    assert record.getMessage() == "outbox 42 sent after 3 tries"
    assert record.user == tag  # type: ignore[attr-defined]
    assert record.step == 7  # type: ignore[attr-defined]


def test_the_filter_masks_access_tokens_in_urls() -> None:
    wechat = "GET https://api.weixin.qq.com/cgi-bin/menu/create?access_token=SECRET123&x=1"
    telegram = "POST https://api.telegram.org/bot123456:AAHsecret-token_x/sendMessage"
    record = _filtered(_record("%s | %s", wechat, telegram))
    message = record.getMessage()
    assert "SECRET123" not in message and "AAHsecret" not in message
    assert "access_token=***&x=1" in message and "/bot123456:***/sendMessage" in message


def test_a_line_is_json_with_request_id_and_extras() -> None:
    token = request_id_var.set("req-1")
    try:
        line = json.loads(JsonFormatter().format(_record("hello %s", "world", outbox_id=5)))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello world"
    assert line["level"] == "INFO" and line["logger"] == "bot.test"
    assert line["request_id"] == "req-1" and line["outbox_id"] == 5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["ts"])


def test_an_exception_is_one_redacted_field() -> None:
    try:
        raise ValueError(f"bad user {OPENID}")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, "f", 1, "failed", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError" in line["exc"] and OPENID not in line["exc"]


def test_the_access_line_loses_its_query_string() -> None:
    args = ("10.0.0.9:5000", "POST", "/wechat?signature=abc&nonce=1", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", 20, "f", 1, '%s - "%s %s HTTP/%s" %d', args, None)
    assert AccessLogFields().filter(record)
    assert record.getMessage() == '10.0.0.9:5000 - "POST /wechat HTTP/1.1" 200'
    assert record.path == "/wechat" and record.status == 200  # type: ignore[attr-defined]


async def test_a_push_logs_json_with_its_request_id_and_no_openid(
    harness: Harness, json_logs: CapturedLogs
) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_event(OPENID, "subscribe")
    await sim.send_text(OPENID, "简介")  # the preface: longer than one passive reply
    # A send WeChat refuses: the outbox worker logs the error, which quotes the openid.
    harness.api.fail_next("/cgi-bin/message/custom/send", 40003, f"invalid openid {OPENID}")
    await harness.deliver()
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    params["msg_signature"] = "0" * 40
    res = await sim.client.post(sim.url, params=params, content=body)

    assert res.status_code == 403
    lines = json_logs.lines()  # every line parses
    assert OPENID not in json_logs.text
    assert any(hash_id(OPENID) in line["message"] for line in lines)  # the worker's warning
    refused = [line for line in lines if "wechat push refused" in line["message"]]
    assert [line["request_id"] for line in refused] == [res.headers["x-request-id"]]


async def test_the_request_id_is_echoed_or_made(harness: Harness) -> None:
    given = await harness.client.get("http://wechat.test/healthz", headers={"X-Request-Id": "a-1"})
    made = await harness.client.get("http://wechat.test/healthz")
    hostile = await harness.client.get(
        "http://wechat.test/healthz", headers={"X-Request-Id": "x\nforged log line"}
    )
    assert given.headers["x-request-id"] == "a-1"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    assert made.headers["x-request-id"] != hostile.headers["x-request-id"]


def test_configure_logging_makes_every_logger_json(tmp_path: Path) -> None:
    """As `surveybot serve` configures a process (a fresh one: dictConfig is global)."""
    script = f"""
import logging
from bot.observability.logging import configure_logging
configure_logging("debug")
logging.getLogger("bot.x").info("hello %s", {OPENID!r}, extra={{"user": 12345}})
logging.getLogger("urllib3.connectionpool").debug("GET /x?access_token=SECRETONE HTTP/1.1")
logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:SECRETTWO/x")
logging.getLogger("uvicorn.access").info(
    '%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET", "/wechat?signature=SECRETTHREE", "1.1", 200
)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["bot.x", "uvicorn.access"]
    assert lines[0]["message"] == f"hello {hash_id(OPENID)}"
    assert lines[0]["user"] == hash_id(12345)
    assert lines[1]["path"] == "/wechat"
    for secret in (OPENID, "SECRETONE", "SECRETTWO", "SECRETTHREE"):
        assert secret not in done.stderr


def test_text_format_is_one_readable_redacted_line(tmp_path: Path) -> None:
    """What `surveybot serve` writes on a terminal: no JSON, the same redaction."""
    script = f"""
import logging
from bot.observability.logging import configure_logging
configure_logging("info", "text")
logging.getLogger("bot.x").info("hello %s", {OPENID!r}, extra={{"user": 12345}})
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(
        rf"\d\d:\d\d:\d\d INFO    bot\.x: hello {hash_id(OPENID)}  user={hash_id(12345)}", line
    )
    assert OPENID not in done.stderr


def test_an_unknown_log_format_is_refused() -> None:
    import pytest

    from bot.observability.logging import log_config

    with pytest.raises(ValueError, match="log format"):
        log_config("info", "xml")
