"""`POST /telegram` with a recording dispatcher: what reaches it, what is refused, what
is answered without it. Real Update JSON, real PTB, a loopback fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.channels.telegram import texts
from bot.channels.telegram.channel import MAX_BODY_BYTES
from bot.dispatch.envelope import Channel, Choice, Message, Outcome
from flows.events import Intent
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import Harness, RecordingDispatcher, running
from tests.fakes.telegram_user import buttons


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
def recorder() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
async def tg(telegram_api: FakeBotApi, recorder: RecordingDispatcher) -> AsyncIterator[Harness]:
    async with running(telegram_api, recorder) as harness:
        telegram_api.calls.clear()  # start-up calls (getMe, setMyCommands) are tested elsewhere
        yield harness


# --- refused before anything happens ----------------------------------------------------


@pytest.mark.parametrize("secret", ["", "wrong-secret", "test-webhook-secret_"])
async def test_a_wrong_or_missing_secret_is_403_and_reaches_nothing(
    tg: Harness, recorder: RecordingDispatcher, secret: str
) -> None:
    tg.user.secret = secret or None
    response = await tg.user.say("/start")
    assert response.status_code == 403
    assert recorder.envelopes == []
    assert tg.api.calls == []


async def test_without_a_configured_secret_every_update_is_refused(
    telegram_api: FakeBotApi, recorder: RecordingDispatcher
) -> None:
    async with running(telegram_api, recorder, secret=None) as harness:
        response = await harness.user.say("/start")
    assert response.status_code == 403
    assert recorder.envelopes == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b'{"update_id": 7, "message": {"message_id": 1}}',
    ],  # fmt: skip
)
async def test_a_body_that_is_not_an_update_is_400(
    tg: Harness, recorder: RecordingDispatcher, raw: bytes
) -> None:
    response = await tg.user.post(None, raw=raw)
    assert response.status_code == 400
    assert recorder.envelopes == []


async def test_an_oversize_body_is_413(tg: Harness, recorder: RecordingDispatcher) -> None:
    body = b'{"update_id": 1, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await tg.user.post(None, raw=body)
    assert response.status_code == 413
    assert recorder.envelopes == []


async def test_a_failing_dispatcher_is_503_so_telegram_retries(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    recorder.reply = RuntimeError("database down")
    response = await tg.user.say("1")
    assert response.status_code == 503
    assert tg.api.sent_texts() == []


# --- translated to envelopes -------------------------------------------------------------


async def test_text_goes_to_the_dispatcher_keyed_by_update_id(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    update = tg.user.message("2, 3")
    response = await tg.user.post(update)
    assert response.status_code == 200
    (envelope,) = recorder.envelopes
    assert envelope.channel is Channel.TELEGRAM
    assert envelope.user_id == str(tg.user.user_id)
    assert envelope.dedupe_key == str(update["update_id"])
    assert envelope.inbound.text == "2, 3"
    assert envelope.inbound.expect is None
    assert tg.api.sent_texts(tg.user.user_id) == ["ok"]


async def test_start_is_the_start_intent_with_the_deep_link_payload_as_source(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    await tg.user.say("/start expo_2026")
    await tg.user.say("/start@aiag_survey_bot")
    await tg.user.say("/start <script>")
    assert [e.inbound.intent for e in recorder.envelopes] == [Intent.START] * 3
    assert [e.source for e in recorder.envelopes] == ["expo_2026", None, None]


@pytest.mark.parametrize("text", ["/help", "/restart", "/myanswers", "/lang en", "/stats role"])
async def test_other_commands_go_as_typed_text(
    tg: Harness, recorder: RecordingDispatcher, text: str
) -> None:
    await tg.user.say(text)
    assert [e.inbound.text for e in recorder.envelopes] == [text]


async def test_lang_alone_offers_the_languages_as_buttons_without_the_dispatcher(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    await tg.user.say("/lang")
    assert recorder.envelopes == []
    message = tg.api.last_message(tg.user.user_id)
    assert message["text"] == texts.CHOOSE_LANGUAGE
    assert buttons(message) == [
        ("中文", "v|中文"),
        ("English", "v|English"),
        ("双语 Both", "v|双语"),
    ]
    await tg.user.tap("English")
    assert recorder.envelopes[0].inbound.text == "English"


@pytest.mark.parametrize(
    "content",
    [{"sticker": {"file_id": "s", "file_unique_id": "s1", "width": 512, "height": 512,
                  "is_animated": False, "is_video": False, "type": "regular"}},
     {"voice": {"file_id": "v", "file_unique_id": "v1", "duration": 3}},
     {"document": {"file_id": "d", "file_unique_id": "d1"}},
     {"location": {"latitude": 31.2, "longitude": 121.5}}],
)  # fmt: skip
async def test_media_is_the_unsupported_intent(
    tg: Harness, recorder: RecordingDispatcher, content: dict[str, Any]
) -> None:
    await tg.user.post(tg.user.photo())
    await tg.user.post(tg.user.message(**content))
    assert [e.inbound.intent for e in recorder.envelopes] == [Intent.UNSUPPORTED] * 2


# --- answered without the dispatcher -----------------------------------------------------


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_a_command_in_a_group_gets_the_private_chat_hint(
    tg: Harness, recorder: RecordingDispatcher, chat_type: str
) -> None:
    group = {"id": -100123, "type": chat_type, "title": "AIAG suppliers"}
    assert (await tg.user.post(tg.user.message("/start", chat=group))).status_code == 200
    assert (await tg.user.post(tg.user.message("hello all", chat=group))).status_code == 200
    assert recorder.envelopes == []
    assert tg.api.sent_texts(-100123) == [texts.PRIVATE_ONLY]


async def test_being_added_to_a_group_gets_the_hint(tg: Harness) -> None:
    group = {"id": -42, "type": "group", "title": "Team"}
    bot = {"id": 123456, "is_bot": True, "first_name": "AIAG Survey"}
    await tg.user.post(tg.user.message(chat=group, new_chat_members=[bot]))
    assert tg.api.sent_texts(-42) == [texts.PRIVATE_ONLY]


async def test_channel_posts_and_other_update_types_are_ignored(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    post = {"message_id": 1, "date": 1, "chat": {"id": -1009, "type": "channel"}, "text": "hi"}
    others = [
        {"update_id": 11, "channel_post": post},
        {"update_id": 12, "my_chat_member": None},
        {"update_id": 13, "some_future_update": {"x": 1}},
        {"update_id": 14},
    ]
    for update in others:
        assert (await tg.user.post(update)).status_code == 200
    service = tg.user.message(
        pinned_message={"message_id": 9, "date": 0, "chat": tg.user.private_chat()}
    )
    assert (await tg.user.post(service)).status_code == 200
    assert recorder.envelopes == []
    assert tg.api.calls == []


async def test_an_edited_message_gets_a_hint_and_changes_nothing(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    original = tg.user.message("1")["message"]
    edited = {"update_id": 99, "edited_message": {**original, "text": "2", "edit_date": 5}}
    assert (await tg.user.post(edited)).status_code == 200
    assert recorder.envelopes == []
    assert tg.api.sent_texts() == [texts.EDITED_IGNORED]


# --- rendering ---------------------------------------------------------------------------


async def test_a_long_reply_is_split_on_lines_with_the_keyboard_on_the_last_part(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    lines = [f"{i:03d} 碳足迹数据 carbon footprint data line" for i in range(300)]
    choices = (Choice("1. 是 Yes", "1"), Choice("2. 否 No", "2"))
    recorder.reply = Outcome((Message("\n".join(lines), choices, question_id="marketing"),))
    await tg.user.say("hi")
    calls = tg.api.calls_to("sendMessage")
    assert len(calls) == 3
    assert all(len(c.params["text"]) <= 4096 for c in calls)
    assert "\n".join(c.params["text"] for c in calls) == "\n".join(lines)
    assert [bool(c.params.get("reply_markup")) for c in calls] == [False, False, True]


async def test_a_user_who_blocked_the_bot_does_not_make_telegram_retry(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    tg.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    response = await tg.user.say("1")
    assert response.status_code == 200
    assert len(recorder.envelopes) == 1


async def test_a_bot_api_outage_while_replying_is_503(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    tg.api.fail_next("sendMessage", 502, "Bad Gateway")
    response = await tg.user.say("1")
    assert response.status_code == 503


# --- callback queries --------------------------------------------------------------------


async def test_every_callback_query_is_answered_even_garbled_or_from_a_group(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    bot_message = {"message_id": 77, "date": 1, "chat": tg.user.private_chat(), "text": "Q"}
    group_message = {**bot_message, "chat": {"id": -5, "type": "group", "title": "G"}}
    inaccessible = {"message_id": 78, "date": 0, "chat": tg.user.private_chat()}
    updates = [
        tg.user.callback(bot_message, "garbage"),
        tg.user.callback(group_message, "a|role|1"),
        tg.user.callback(inaccessible, "t|commodity|0|1"),
    ]
    for update in updates:
        assert (await tg.user.post(update)).status_code == 200
    answers = tg.api.calls_to("answerCallbackQuery")
    assert [a.params["callback_query_id"] for a in answers] == [
        u["callback_query"]["id"] for u in updates
    ]
    assert [a.params["text"] for a in answers] == [
        texts.STALE_KEYBOARD, texts.PRIVATE_ONLY, texts.STALE_KEYBOARD,
    ]  # fmt: skip
    assert recorder.envelopes == []


async def test_a_tap_sends_its_value_expecting_its_question_and_removes_the_keyboard(
    tg: Harness, recorder: RecordingDispatcher
) -> None:
    choices = (Choice("1. 主机厂 OEM", "1"), Choice("2. 供应商 Supplier", "2"))
    recorder.reply = Outcome((Message("Q1", choices, question_id="role"),))
    await tg.user.say("go")
    asked = tg.api.last_message(tg.user.user_id)
    recorder.reply = Outcome((Message("next"),))
    await tg.user.tap("Supplier")
    inbound = recorder.envelopes[-1].inbound
    assert (inbound.text, inbound.expect) == ("2", "role")
    (edit,) = tg.api.calls_to("editMessageReplyMarkup")
    assert edit.params == {"chat_id": tg.user.user_id, "message_id": asked["message_id"]}
    assert "reply_markup" not in tg.api.message(tg.user.user_id, asked["message_id"])
    assert len(tg.api.calls_to("answerCallbackQuery")) == 1
