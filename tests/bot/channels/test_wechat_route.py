"""POST/GET /wechat end to end over ASGI, with real signed (and AES-encrypted) pushes
built by the simulator and a recording dispatcher."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.text_split import split_utf8
from bot.channels.wechat import NO_API_NOTICE, make_wechat_routes
from bot.channels.wechat_config import WeChatConfig
from bot.channels.wechat_sim import build_push_xml, sign
from bot.envelope import Channel, ChannelEvent, Envelope, Message, Outcome
from bot.wechat_menu import MenuKey
from flows.events import Inbound, Intent
from tests.bot.channels.conftest import (
    AES_KEY,
    APP_ID,
    NOW,
    TOKEN,
    MemoryPushNonces,
    RecordingDispatcher,
    RecordingOutbox,
    SimFactory,
)
from tests.bot.channels.test_wechat_crypto import (
    SAMPLE_ENCRYPT,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_NONCE,
    SAMPLE_TIMESTAMP,
)

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


# --- URL verification -------------------------------------------------------------------
async def test_url_check_echoes_echostr_as_plain_text(make_sim: SimFactory) -> None:
    res = await make_sim().verify_url("shr5ch 123")
    assert res.status_code == 200
    assert res.text == "shr5ch 123"  # not JSON-quoted
    assert res.headers["content-type"].startswith("text/plain")


async def test_url_check_with_wrong_signature_is_refused(make_sim: SimFactory) -> None:
    sim = make_sim(token="wrong-token")
    assert (await sim.verify_url("abc")).status_code == 403


async def test_url_check_out_of_window_is_refused(make_sim: SimFactory) -> None:
    res = await make_sim().verify_url("abc", timestamp=int(NOW.timestamp()) - 301)
    assert res.status_code == 403


# --- happy paths -----------------------------------------------------------------------
async def test_text_push_reaches_the_dispatcher_and_gets_a_passive_reply(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    dispatcher.reply = "第1题：您的公司规模？"
    reply = await make_sim().send_text(OPENID, "你好", msg_id=6054768590064713728)

    assert reply.status == 200
    assert dispatcher.envelopes == [
        Envelope(
            channel=Channel.WECHAT,
            user_id=OPENID,
            dedupe_key="6054768590064713728",
            inbound=Inbound(now=NOW, text="你好"),
        )
    ]
    assert reply.message is not None
    assert reply.message.to_user == OPENID
    assert reply.message.from_user == "gh_aiag_sim"
    assert reply.message.create_time == int(NOW.timestamp())
    assert reply.text == "第1题：您的公司规模？"


async def test_safe_mode_push_is_decrypted_and_the_reply_encrypted(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    dispatcher.reply = "收到 ]]> 👍"
    reply = await make_sim(safe=True).send_text(OPENID, "B")

    assert dispatcher.envelopes[0].inbound.text == "B"
    assert "<Encrypt>" in reply.body and "收到" not in reply.body
    assert reply.text == "收到 ]]> 👍"  # the simulator verified MsgSignature and decrypted


async def test_compatible_mode_push_is_decrypted_and_the_reply_encrypted(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    reply = await make_sim(compatible=True).send_text(OPENID, "B")
    assert reply.text == "ok"
    assert dispatcher.envelopes[0].inbound.text == "B"


async def test_official_sample_push_is_accepted(dispatcher: RecordingDispatcher) -> None:
    config = WeChatConfig(token=TOKEN, app_id=APP_ID, encoding_aes_key=AES_KEY)
    sample_now = datetime.fromtimestamp(int(SAMPLE_TIMESTAMP), UTC)
    routes = make_wechat_routes(
        config, dispatcher, RecordingOutbox(), nonces=MemoryPushNonces(), clock=lambda: sample_now
    )
    body = build_push_xml({"ToUserName": "gh_10f6c3c3ac5a", "Encrypt": SAMPLE_ENCRYPT})
    params = {
        "signature": sign(TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
        "timestamp": SAMPLE_TIMESTAMP,
        "nonce": SAMPLE_NONCE,
        "encrypt_type": "aes",
        "msg_signature": SAMPLE_MSG_SIGNATURE,
    }
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        res = await client.post("/wechat", params=params, content=body)

    assert res.status_code == 200
    (envelope,) = dispatcher.envelopes
    assert (envelope.user_id, envelope.dedupe_key, envelope.inbound.text) == (
        "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "6054768590064713728", "abcdteT",
    )  # fmt: skip


# --- mapping ---------------------------------------------------------------------------
@pytest.mark.parametrize("msg_type", ["image", "location", "link", "video", "shortvideo", "file"])
async def test_non_text_messages_are_unsupported(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, msg_type: str
) -> None:
    sim = make_sim()
    await sim.send_xml(sim.push_xml(OPENID, msg_type, MediaId="m", MsgId=77))
    (envelope,) = dispatcher.envelopes
    assert envelope.inbound == Inbound(now=NOW, intent=Intent.UNSUPPORTED)
    assert envelope.dedupe_key == "77"


async def test_voice_with_recognition_is_text(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    await make_sim(safe=True).send_voice(OPENID, "我选B")
    assert dispatcher.envelopes[0].inbound == Inbound(now=NOW, text="我选B")


async def test_voice_without_recognition_is_unsupported(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    await make_sim().send_voice(OPENID, None)
    assert dispatcher.envelopes[0].inbound.intent is Intent.UNSUPPORTED


@pytest.mark.parametrize(
    ("event", "key", "source"),
    [
        ("subscribe", "qrscene_expo2026", "expo2026"),
        ("subscribe", None, None),
        ("SCAN", "expo2026", "expo2026"),
    ],
)
async def test_subscribe_and_scan_start_with_the_qr_scene_as_source(
    make_sim: SimFactory,
    dispatcher: RecordingDispatcher,
    event: str,
    key: str | None,
    source: str | None,
) -> None:
    await make_sim().send_event(OPENID, event, key, ticket="T" if key else None, create_time=1234)
    assert dispatcher.envelopes == [
        Envelope(
            channel=Channel.WECHAT,
            user_id=OPENID,
            dedupe_key=f"{OPENID}:1234:{event}" + (f":{key}" if key else ""),
            inbound=Inbound(now=NOW, intent=Intent.START),
            source=source,
        )
    ]


async def test_unsubscribe_is_a_channel_event(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    dispatcher.reply = ""
    reply = await make_sim().send_event(OPENID, "unsubscribe")
    (envelope,) = dispatcher.envelopes
    assert envelope.event is ChannelEvent.UNSUBSCRIBE
    assert (envelope.inbound.text, envelope.inbound.intent) == (None, None)
    assert reply.body == "success"


@pytest.mark.parametrize(
    ("key", "inbound"),
    [
        (MenuKey.START_SURVEY, Inbound(now=NOW, intent=Intent.START)),
        (MenuKey.MY_ANSWERS, Inbound(now=NOW, intent=Intent.MY_ANSWERS)),
        (MenuKey.CONTACT_AIAG, Inbound(now=NOW, intent=Intent.CONTACT_ME)),
        (MenuKey.LATEST_RESULTS, Inbound(now=NOW, intent=Intent.RESULTS)),
    ],
)
async def test_menu_clicks(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, key: MenuKey, inbound: Inbound
) -> None:
    await make_sim(safe=True).send_click(OPENID, key)
    assert [e.inbound for e in dispatcher.envelopes] == [inbound]


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ("VIEW", "https://aiag.org"),
        ("CLICK", "OLD_MENU_KEY"),
        ("LOCATION", None),
        ("TEMPLATESENDJOBFINISH", None),
    ],
)
async def test_other_events_answer_success_without_dispatch(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, event: str, key: str | None
) -> None:
    reply = await make_sim().send_event(OPENID, event, key)
    assert (reply.status, reply.body) == (200, "success")
    assert dispatcher.envelopes == []


# --- replies ---------------------------------------------------------------------------
async def test_empty_outcome_answers_success(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    dispatcher.reply = ""
    reply = await make_sim().send_text(OPENID, "hi")
    assert (reply.status, reply.body, reply.message) == (200, "success", None)
    assert outbox.texts == []


@pytest.mark.parametrize("safe", [False, True])
async def test_long_reply_first_part_passive_rest_to_the_outbox(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox, safe: bool
) -> None:
    paragraphs = [f"第{i}段：" + "碳排放数据" * 60 for i in range(8)]  # ~920 bytes each
    dispatcher.reply = Outcome(tuple(Message(p) for p in paragraphs))
    expected = split_utf8("\n\n".join(paragraphs))
    assert len(expected) > 2

    reply = await make_sim(safe=safe).send_text(OPENID, "结果", msg_id=555)

    assert reply.text == expected[0]
    assert len(reply.text.encode()) <= 2048
    assert outbox.texts == [(OPENID, expected[1:], "555")]


async def test_without_the_customer_service_api_the_reply_says_so(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    outbox.available = False
    dispatcher.reply = Outcome((Message("碳排放数据" * 400),))  # ~6 KB: needs three parts
    reply = await make_sim().send_text(OPENID, "结果", msg_id=556)
    assert reply.text.endswith(NO_API_NOTICE)
    assert len(reply.text.encode()) <= 2048
    assert outbox.texts == []


async def test_images_go_to_the_outbox(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    dispatcher.reply = Outcome((Message("图表如下"), Message("", image_png=b"\x89PNG...")))
    reply = await make_sim().send_text(OPENID, "结果", msg_id=9)
    assert reply.text == "图表如下"
    assert outbox.images == [(OPENID, [b"\x89PNG..."], "9")]


async def test_slow_dispatcher_answers_success_and_delivers_later(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    dispatcher.reply, dispatcher.delay = "late answer", 0.2
    reply = await make_sim(reply_budget=0.05).send_text(OPENID, "hi", msg_id=42)
    assert reply.body == "success"
    for _ in range(100):
        if outbox.texts:
            break
        await asyncio.sleep(0.01)
    assert outbox.texts == [(OPENID, ["late answer"], "42")]


async def test_a_late_failure_after_success_is_retried_not_lost(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    """WeChat never retries a push answered "success": the route must retry it itself."""
    dispatcher.reply, dispatcher.delay = RuntimeError("statement timeout"), 0.2
    reply = await make_sim(reply_budget=0.05).send_text(OPENID, "hi", msg_id=43)
    assert reply.body == "success"
    await asyncio.sleep(0.3)  # the first attempt has failed by now (it took 0.2 s)
    dispatcher.reply, dispatcher.delay = "answer after retry", 0.0
    for _ in range(300):
        if outbox.texts:
            break
        await asyncio.sleep(0.01)
    assert outbox.texts == [(OPENID, ["answer after retry"], "43")]
    assert [e.dedupe_key for e in dispatcher.envelopes] == ["43", "43"]


# --- failures ---------------------------------------------------------------------------
async def test_dispatcher_exception_is_503_without_details(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher.reply = RuntimeError(f"db down while handling {OPENID}: 'my secret answer'")
    with caplog.at_level(logging.ERROR):
        reply = await make_sim().send_text(OPENID, "my secret answer")
    assert (reply.status, reply.body) == (503, "retry")
    assert "Traceback" not in reply.body
    logged = caplog.text
    assert "RuntimeError" in logged
    assert OPENID not in logged and "my secret answer" not in logged


async def test_outbox_failure_is_503_so_wechat_retries(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, outbox: RecordingOutbox
) -> None:
    dispatcher.reply, outbox.fail = "x" * 5000, True
    reply = await make_sim().send_text(OPENID, "hi")
    assert reply.status == 503
