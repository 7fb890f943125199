"""A whole survey over `POST /telegram` with the real dispatcher, engine and SQLite.

Given a respondent who taps through the AIAG survey, the answers recorded are the
options their keyboards showed; a stale tap or a duplicate update changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.channels.telegram import texts
from bot.channels.telegram.keyboards import CHECK
from bot.dispatch.service import Service
from flows.definition import load_flow
from flows.state import SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import counters
from storage.models import SurveySession
from storage.transactions import transaction
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import Harness, running
from tests.fakes.telegram_user import TelegramUser, buttons

STALE_REPLY = "按钮已过期"  # bot/templates/zh/stale_button.j2


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
async def tg(telegram_api: FakeBotApi, engine: Engine) -> AsyncIterator[Harness]:
    service = Service(engine, load_flow(DEFAULT_FLOW))
    async with running(telegram_api, service) as harness:
        yield harness


def state_of(engine: Engine) -> SessionState:
    with transaction(engine) as session:
        (row,) = session.exec(select(SurveySession)).all()
        return SessionState.from_json(row.state_json)


def answer(engine: Engine, question_id: str) -> tuple[str, ...]:
    return state_of(engine).answers[question_id].options


def checked(message: dict[str, Any]) -> list[str]:
    return [label.removeprefix(CHECK) for label, _ in buttons(message) if label.startswith(CHECK)]


def last_keyboard_edit(api: FakeBotApi) -> dict[str, Any]:
    edit = api.calls_to("editMessageReplyMarkup")[-1]
    return {"reply_markup": edit.params.get("reply_markup")}


async def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


async def test_a_supplier_taps_through_the_whole_survey(tg: Harness, engine: Engine) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id

    await ok(await user.say("/start"))
    welcome = api.last_message(me)
    assert [label for label, _ in buttons(welcome)] == ["中文", "English", "双语 Both"]

    await ok(await user.tap("双语 Both"))
    assert "reply_markup" not in api.message(me, welcome["message_id"])  # used: removed
    await ok(await user.tap("2. 供应商 Supplier"))
    assert answer(engine, "role") == ("supplier",)

    # Multi-select: toggle 1, toggle 4, untoggle 1, toggle 3, Done.
    commodity = api.last_message(me)
    for label, expected in [
        ("1. 内饰 Interior", ["1. 内饰 Interior"]),
        ("4. 底盘 Chassis", ["1. 内饰 Interior", "4. 底盘 Chassis"]),
        ("1. 内饰 Interior", ["4. 底盘 Chassis"]),
        ("3. 车身 Body", ["3. 车身 Body", "4. 底盘 Chassis"]),
    ]:
        await ok(await user.tap(label))
        assert checked(last_keyboard_edit(api)) == expected
    assert state_of(engine).current == "commodity"  # toggles alone record nothing
    await ok(await user.tap("完成 Done"))
    assert answer(engine, "commodity") == ("body", "chassis")
    assert "reply_markup" not in api.message(me, commodity["message_id"])

    await ok(await user.tap("3. 采购 Purchasing"))
    await ok(await user.tap("完成 Done"))
    # Back from the next question, and answer it again.
    await ok(await user.tap("返回 Back"))
    assert state_of(engine).current == "function"
    await ok(await user.tap("5. 物流 Logistics"))
    await ok(await user.tap("完成 Done"))
    assert answer(engine, "function") == ("logistics",)

    await ok(await user.tap("1. 是 Yes"))  # carbon_policy
    ghg_target = api.last_message(me)
    await ok(await user.say("否"))  # typed answers still work; that keyboard stays
    assert answer(engine, "ghg_target") == ("no",)

    # A tap on the old ghg_target keyboard is stale: a notice, nothing changes.
    sent_before = len(api.sent_texts(me))
    await ok(await user.tap("1. 是 Yes", message_id=ghg_target["message_id"]))
    assert answer(engine, "ghg_target") == ("no",)
    assert state_of(engine).current == "methodology"
    assert STALE_REPLY in api.sent_texts(me)[sent_before]
    assert "reply_markup" not in api.message(me, ghg_target["message_id"])

    # The exclusive "Not Yet Determined" clears the others, and is cleared by them.
    for label in (
        "1. ISO14064",
        "2. EPD/ EMSD 指南 EPD/ EMSD Guidelines",
        "6. 尚未确定 Not Yet Determined",
    ):
        await ok(await user.tap(label))
    assert checked(last_keyboard_edit(api)) == ["6. 尚未确定 Not Yet Determined"]
    await ok(await user.tap("1. ISO14064"))
    assert checked(last_keyboard_edit(api)) == ["1. ISO14064"]
    await ok(await user.tap("完成 Done"))
    assert answer(engine, "methodology") == ("iso14064",)

    await ok(await user.tap("4. 尚未确定 Not Yet Determined"))  # lead_function
    await ok(await user.tap("完成 Done"))
    assert answer(engine, "lead_function") == ("not_determined",)
    for label in ("1. 是 Yes", "2. 否 No", "1. 是 Yes"):  # customer, suppliers, reporting
        await ok(await user.tap(label))
    await ok(await user.tap("跳过 Skip"))  # reporting_explain is optional
    for label in ("1. 是 Yes", "2. 否 No"):  # lifecycle_process, marketing
        await ok(await user.tap(label))
    for label in (
        "1. 了解碳的网络研讨会 Awareness Webinar on Carbon",
        "3. 碳相关培训 Carbon Training",
    ):
        await ok(await user.tap(label))
    await ok(await user.tap("完成 Done"))
    await ok(await user.tap("4. 暂不需要 No need currently"))
    await ok(await user.tap("完成 Done"))
    await ok(await user.tap("2. 否 No"))  # the optional organisation step, one tap

    final = state_of(engine)
    assert final.status is Status.COMPLETED
    assert final.answers["info_needs"].options == ("awareness_webinar", "carbon_training")
    assert final.answers["contact"].options == ("no_need",)
    assert final.answers["reporting_explain"].options == ()
    assert "reply_markup" not in api.last_message(me)  # nothing left to tap
    # Every callback query was answered, each exactly once.
    queries = [c.params["callback_query_id"] for c in api.calls_to("answerCallbackQuery")]
    assert queries == user.callback_ids


async def test_a_duplicate_update_resends_the_stored_reply_and_changes_nothing(
    tg: Harness, engine: Engine
) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("双语 Both")
    await user.tap("2. 供应商 Supplier")
    await user.tap("2. 外饰 Exterior")
    await user.tap("完成 Done")
    done = user.last_update
    first_reply = api.sent_texts(me)[-1]
    with transaction(engine) as session:
        before = counters(session=session, flow_id="aiag_carbon")
    state_before = state_of(engine)

    first_keyboard = buttons(api.last_message(me))
    sent = len(api.sent_texts(me))
    await ok(await user.post(done))  # Telegram retries the same update_id

    assert api.sent_texts(me)[sent:] == [first_reply]
    assert buttons(api.last_message(me)) == first_keyboard
    assert state_of(engine).answers == state_before.answers
    assert state_of(engine).current == state_before.current
    with transaction(engine) as session:
        assert counters(session=session, flow_id="aiag_carbon") == before


async def test_a_duplicate_toggle_draws_the_same_keyboard(tg: Harness) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("双语 Both")
    await user.tap("2. 供应商 Supplier")
    await user.tap("2. 外饰 Exterior")
    keyboard = api.last_message(me)["reply_markup"]
    await ok(await user.post(user.last_update))  # "message is not modified" is fine
    assert api.last_message(me)["reply_markup"] == keyboard
    assert len(api.calls_to("answerCallbackQuery")) == 4


async def test_a_second_quick_tap_on_an_answered_question_is_stale(
    tg: Harness, engine: Engine
) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("双语 Both")
    role = api.last_message(me)
    await user.tap("2. 供应商 Supplier")
    # The first tap removed the keyboard; a tap already in flight still arrives.
    await ok(await user.post(user.callback(role, "a|role|1")))
    assert answer(engine, "role") == ("supplier",)
    assert state_of(engine).current == "commodity"
    assert STALE_REPLY in api.sent_texts(me)[-1]


async def test_done_with_nothing_selected_is_refused_with_a_notice(
    tg: Harness, engine: Engine
) -> None:
    user, api = tg.user, tg.api
    await user.say("/start")
    await user.tap("双语 Both")
    await user.tap("2. 供应商 Supplier")
    sent = len(api.sent_texts())
    await ok(await user.tap("完成 Done"))
    assert api.calls_to("answerCallbackQuery")[-1].params["text"] == texts.TOO_FEW.format(n=1)
    assert len(api.sent_texts()) == sent
    assert state_of(engine).current == "commodity"


async def test_a_photo_gets_the_unsupported_hint_and_the_question_again(tg: Harness) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("双语 Both")
    await ok(await user.post(user.photo()))
    reply = api.last_message(me)
    assert "please reply with text" in reply["text"]
    assert [label for label, _ in buttons(reply)] == ["1. 主机厂 OEM", "2. 供应商 Supplier"]


async def test_lang_switches_through_buttons_mid_survey(tg: Harness, engine: Engine) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("双语 Both")
    await user.say("/lang")
    await ok(await user.tap("English"))
    assert state_of(engine).lang.value == "en"
    assert [label for label, _ in buttons(api.last_message(me))] == ["1. OEM", "2. Supplier"]


async def test_an_update_id_reused_by_another_user_is_not_answered_with_a_stored_reply(
    tg: Harness, engine: Engine
) -> None:
    # Given A's answers shown to A under update id N (Telegram picks update ids afresh
    # after a week without updates, so N comes round again, for anyone)
    a, api = tg.user, tg.api
    await a.say("/start")
    await a.tap("双语 Both")
    await a.tap("2. 供应商 Supplier")
    await a.say("我的答案")
    mine = a.last_update["update_id"]
    answers_of_a = api.sent_texts(a.user_id)[-1]
    assert "供应商 Supplier" in answers_of_a

    # When B's first message arrives under the same update id
    b = TelegramUser(tg.client, api, user_id=6002, first_update_id=mine)
    await ok(await b.say("/start"))

    # Then B is welcomed as a new respondent and never sees A's answers
    to_b = api.sent_texts(b.user_id)
    assert to_b and answers_of_a not in to_b
    assert not any("供应商 Supplier" in text for text in to_b)
    assert [label for label, _ in buttons(api.last_message(b.user_id))] == [
        "中文",
        "English",
        "双语 Both",
    ]
    with transaction(engine) as session:
        assert len(session.exec(select(SurveySession)).all()) == 2
