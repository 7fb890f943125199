"""Every refusal rule of POST /wechat: right status, and the dispatcher never called."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.channels.wechat.xml import MAX_BODY_BYTES
from bot.devtools.wechat_sim import build_push_xml, sign
from tests.bot.channels.conftest import (
    NOW,
    TOKEN,
    RecordingDispatcher,
    SimFactory,
)

OPENID = "o_attacker"
TS = int(NOW.timestamp())


@pytest.fixture(autouse=True)
def _dispatcher_never_called(dispatcher: RecordingDispatcher) -> Iterator[None]:
    yield
    assert dispatcher.envelopes == []


async def test_wrong_signature(make_sim: SimFactory) -> None:
    sim = make_sim()
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    params["signature"] = sign("not-the-token", params["timestamp"], params["nonce"])
    assert (await sim.post(params, body)).status == 403


async def test_missing_signature(make_sim: SimFactory) -> None:
    sim = make_sim()
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    del params["signature"]
    assert (await sim.post(params, body)).status == 403


async def test_body_changed_after_signing_in_safe_mode(make_sim: SimFactory) -> None:
    sim = make_sim(safe=True)
    params, _ = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    assert sim.crypto is not None
    forged = sim.crypto.encrypt(sim.push_xml(OPENID, "text", Content="forged", MsgId=2))
    body = build_push_xml({"ToUserName": sim.account, "Encrypt": forged}).encode()
    assert (await sim.post(params, body)).status == 403


async def test_wrong_msg_signature(make_sim: SimFactory) -> None:
    sim = make_sim(safe=True)
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    params["msg_signature"] = params["signature"]  # plaintext signature is not enough
    assert (await sim.post(params, body)).status == 403


@pytest.mark.parametrize("offset", [301, -301, 86400])
@pytest.mark.parametrize("safe", [False, True])
async def test_replay_outside_five_minutes(make_sim: SimFactory, offset: int, safe: bool) -> None:
    sim = make_sim(safe=safe)
    reply = await sim.send_xml(
        sim.push_xml(OPENID, "text", Content="x", MsgId=1), timestamp=TS + offset
    )
    assert reply.status == 403


async def test_foreign_appid(make_sim: SimFactory) -> None:
    # Same token and key (e.g. reused across accounts), but encrypted for another appid.
    sim = make_sim(safe=True, app_id="wx0000000000000000")
    assert (await sim.send_text(OPENID, "x")).status == 403


async def test_safe_mode_push_without_a_configured_key(make_sim: SimFactory) -> None:
    sim = make_sim(safe=True, server_key=None)
    assert (await sim.send_text(OPENID, "x")).status == 403


@pytest.mark.parametrize("safe", [False, True])
async def test_body_over_64_kib(make_sim: SimFactory, safe: bool) -> None:
    sim = make_sim(safe=safe)
    reply = await sim.send_text(OPENID, "x" * MAX_BODY_BYTES)
    assert reply.status == 413


async def test_body_over_64_kib_without_content_length(make_sim: SimFactory) -> None:
    sim = make_sim()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(70):
            yield b"x" * 1024

    params, _ = sim.signed_push("<xml/>")
    res = await sim.client.post(sim.url, params=params, content=chunks())
    assert res.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello",
        b"<xml><ToUserName>gh</ToUserName>",
        b"<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>",
        b"<!DOCTYPE xml><xml><ToUserName>gh</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<xml><Content>&b;</Content></xml>",
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    ],
)
async def test_malformed_or_hostile_xml(make_sim: SimFactory, body: bytes) -> None:
    sim = make_sim()
    params, _ = sim.signed_push("")
    assert (await sim.post(params, body)).status == 400


@pytest.mark.parametrize(
    "inner",
    [
        "not xml at all",
        '<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
    ],
)
async def test_malformed_xml_inside_a_valid_encrypted_push(
    make_sim: SimFactory, inner: str
) -> None:
    sim = make_sim(safe=True)
    assert (await sim.send_xml(inner)).status == 400


async def test_safe_mode_push_with_garbage_ciphertext(make_sim: SimFactory) -> None:
    sim = make_sim(safe=True)
    encrypt = "AAAA" * 8
    ts, nonce = str(TS), "1"
    params = {
        "signature": sign(TOKEN, ts, nonce),  # WeChat signs the URL in every mode
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sign(TOKEN, ts, nonce, encrypt),
    }
    body = build_push_xml({"ToUserName": "gh", "Encrypt": encrypt}).encode()
    assert (await sim.post(params, body)).status == 400
