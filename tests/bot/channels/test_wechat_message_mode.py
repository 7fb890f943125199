"""Issue 14 §1: with an EncodingAESKey configured, only bodies covered by `msg_signature`
reach the dispatcher; without one, a signed URL carries one body only; the mode is an
explicit, validated setting; a push to another account is refused."""

from __future__ import annotations

import pytest

from bot.channels.wechat.config import MessageMode, WeChatConfig, WeChatConfigError
from bot.devtools.wechat_sim import ACCOUNT_ID
from bot.settings import SettingsError, load_settings
from tests.bot.channels.conftest import (
    AES_KEY,
    APP_ID,
    TOKEN,
    MemoryPushNonces,
    RecordingDispatcher,
    SimFactory,
)

OPENID = "o_staff_member"


# --- a key is configured: safe (default) and compatible mode ----------------------------
@pytest.mark.parametrize("mode", [None, MessageMode.SAFE, MessageMode.COMPATIBLE])
async def test_a_plaintext_body_under_a_signed_url_is_refused_when_a_key_is_set(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, mode: MessageMode | None
) -> None:
    # The URL's signature is genuine (seen in a proxy log); the body is the attacker's.
    sim = make_sim(safe=False, server_key=AES_KEY, mode=mode)
    reply = await sim.send_text(OPENID, "/export")
    assert reply.status == 403
    assert dispatcher.envelopes == []


@pytest.mark.parametrize("encrypt_type", ["AES", "raw", "", "aes "])
async def test_encrypt_type_other_than_aes_is_refused(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, encrypt_type: str
) -> None:
    sim = make_sim(safe=True)
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    params["encrypt_type"] = encrypt_type
    assert (await sim.post(params, body)).status == 403
    assert dispatcher.envelopes == []


async def test_a_push_without_msg_signature_is_refused(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    sim = make_sim(compatible=True)
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=1))
    del params["msg_signature"]
    assert (await sim.post(params, body)).status == 403
    assert dispatcher.envelopes == []


async def test_compatible_mode_uses_the_signed_ciphertext_not_the_plaintext_beside_it(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    sim = make_sim(compatible=True, mode=MessageMode.COMPATIBLE)
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="hello", MsgId=7))
    forged = body.replace(b"<![CDATA[hello]]>", b"<![CDATA[/export]]>", 1)
    assert forged != body
    assert (await sim.post(params, forged)).status == 200
    assert [e.inbound.text for e in dispatcher.envelopes] == ["hello"]


async def test_plain_mode_refuses_an_encrypted_push(make_sim: SimFactory) -> None:
    sim = make_sim(safe=True, server_key=None)
    assert (await sim.send_text(OPENID, "x")).status == 403


# --- plain mode: one body per (timestamp, nonce) ----------------------------------------
async def test_plain_mode_a_second_body_under_a_used_pair_is_refused(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    nonces = MemoryPushNonces()
    sim = make_sim(nonces=nonces)
    first = sim.push_xml(OPENID, "text", Content="hello", MsgId=1)
    assert (await sim.send_xml(first, nonce="42")).status == 200
    # WeChat's retry of the same push: accepted (the dispatcher dedupes it by MsgId).
    assert (await sim.send_xml(first, nonce="42")).status == 200
    forged = sim.push_xml(OPENID, "text", Content="/export", MsgId=2)
    assert (await sim.send_xml(forged, nonce="42")).status == 403
    assert [e.inbound.text for e in dispatcher.envelopes] == ["hello", "hello"]
    # Another nonce is another URL: fine.
    assert (await sim.send_xml(forged, nonce="43")).status == 200


async def test_plain_mode_accepts_encrypt_type_raw_but_nothing_else(
    make_sim: SimFactory,
) -> None:
    sim = make_sim()
    for encrypt_type, status in (("raw", 200), ("aes", 403), ("AES", 403), ("", 403)):
        params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x"))
        params["encrypt_type"] = encrypt_type
        assert (await sim.post(params, body)).status == status, encrypt_type


async def test_an_overlong_nonce_is_refused(make_sim: SimFactory) -> None:
    sim = make_sim()
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x"), nonce="9" * 65)
    assert (await sim.post(params, body)).status == 400


# --- WECHAT_ORIGINAL_ID -----------------------------------------------------------------
@pytest.mark.parametrize("safe", [False, True])
async def test_a_push_to_another_account_is_refused(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, safe: bool
) -> None:
    sim = make_sim(safe=safe, original_id="gh_someone_else")
    assert (await sim.send_text(OPENID, "x")).status == 403
    assert dispatcher.envelopes == []
    ours = make_sim(safe=safe, original_id=ACCOUNT_ID)
    assert (await ours.send_text(OPENID, "x")).status == 200


# --- the setting -------------------------------------------------------------------------
def test_mode_defaults_to_safe_with_a_key_and_plain_without() -> None:
    assert WeChatConfig(token=TOKEN, app_id=APP_ID, encoding_aes_key=AES_KEY).mode == "safe"
    assert WeChatConfig(token=TOKEN, app_id=APP_ID).mode == "plain"


@pytest.mark.parametrize(
    ("mode", "key", "needle"),
    [
        ("safe", None, "needs WECHAT_ENCODING_AES_KEY"),
        ("compatible", None, "needs WECHAT_ENCODING_AES_KEY"),
        ("plain", AES_KEY, "remove the key"),
        ("AES", AES_KEY, "WECHAT_MESSAGE_MODE"),
    ],
)
def test_a_contradictory_mode_stops_start_up_with_one_line(
    mode: str, key: str | None, needle: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(wechat_token=TOKEN, wechat_message_mode=mode, wechat_encoding_aes_key=key)
    assert needle in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("mode", "key"), [("safe", None), ("compatible", None), ("plain", AES_KEY)]
)
def test_the_channel_config_refuses_the_same_contradictions(mode: str, key: str | None) -> None:
    with pytest.raises(WeChatConfigError):
        WeChatConfig(
            token=TOKEN, app_id=APP_ID, encoding_aes_key=key, message_mode=MessageMode(mode)
        )
