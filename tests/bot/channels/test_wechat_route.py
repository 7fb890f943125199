"""POST/GET /wechat end to end over ASGI, with real signed (and AES-encrypted) pushes
built by the simulator and a recording dispatcher."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.menu import MenuKey
from bot.channels.wechat.routes import make_wechat_routes
from bot.devtools.wechat_sim import build_push_xml, sign
from bot.dispatch.envelope import Channel, ChannelEvent, Envelope, Message, Outcome
from flows.events import Inbound, Intent
from tests.bot.channels.conftest import (
    AES_KEY,
    APP_ID,
    NOW,
    TOKEN,
    MemoryPushNonces,
    RecordingDispatcher,
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
        config, dispatcher, nonces=MemoryPushNonces(), clock=lambda: sample_now
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
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    dispatcher.reply = ""
    reply = await make_sim().send_text(OPENID, "hi")
    assert (reply.status, reply.body, reply.message) == (200, "success", None)


async def test_the_route_sends_only_the_planned_passive_part(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    dispatcher.reply = Outcome((Message("第一页"), Message("x" * 5000)), passive="第一页 (1/3)")
    reply = await make_sim(safe=True).send_text(OPENID, "结果", msg_id=555)
    assert reply.text == "第一页 (1/3)"


async def test_slow_dispatcher_answers_success_and_is_told_the_slot_closed(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    """Over budget: "success" now, and the dispatcher plans the whole reply for later
    (outbox or next message) in its own transaction: nothing stays in this process."""
    dispatcher.reply, dispatcher.delay = "late answer", 0.2
    reply = await make_sim(reply_budget=0.05).send_text(OPENID, "hi", msg_id=42)
    assert reply.body == "success"
    await asyncio.wait_for(dispatcher.finished.wait(), 30)  # an event, not a guessed sleep
    assert dispatcher.passive_open == [False]


async def test_a_reply_planned_in_time_is_awaited_past_the_budget(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    """Planned as passive before the budget ran out: the commit is waited for, never
    answered "success" (which would lose the passive part)."""
    dispatcher.reply, dispatcher.delay, dispatcher.plan_first = "committed answer", 0.2, True
    reply = await make_sim(reply_budget=0.05).send_text(OPENID, "hi", msg_id=44)
    assert reply.text == "committed answer"


async def test_a_late_failure_after_success_is_logged_without_details(
    make_sim: SimFactory, dispatcher: RecordingDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher.reply, dispatcher.delay = RuntimeError(f"timeout for {OPENID}"), 0.1
    with caplog.at_level(logging.ERROR):
        reply = await make_sim(reply_budget=0.02).send_text(OPENID, "hi", msg_id=43)
        await asyncio.wait_for(dispatcher.finished.wait(), 30)
        # The route logs from the task's done-callback: let the loop run it.
        for _ in range(10):
            if "late wechat dispatch failed" in caplog.text:
                break
            await asyncio.sleep(0)
    assert reply.body == "success"
    assert "RuntimeError" in caplog.text and OPENID not in caplog.text


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


async def test_a_tapped_link_arrives_as_its_text_with_bizmsgmenuid_ignored(
    make_sim: SimFactory, dispatcher: RecordingDispatcher
) -> None:
    """A tap sends the link's msgmenucontent as a text message; real accounts add
    <bizmsgmenuid>, which changes nothing."""
    sim = make_sim(safe=True)
    xml = sim.push_xml(OPENID, "text", Content="☑ 1,3", MsgId=4242, bizmsgmenuid="7")
    assert (await sim.send_xml(xml)).status == 200
    assert dispatcher.envelopes[0].inbound == Inbound(now=NOW, text="☑ 1,3")
