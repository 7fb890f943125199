"""Golden conversations through the pure engine (fixed clock, no I/O)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    ContactWithdrawn,
    DataDeleted,
    Intent,
    LanguageChosen,
    SubscriptionChanged,
    SurveyCompleted,
    SurveyStarted,
)
from flows.model import Lang
from flows.replies import InvalidAnswer
from flows.reply_registry import template_name
from flows.state import Answer, SessionState, Status
from tests.flows.script import Script

SUPPLIER_PATH = [
    ("role", "2"),
    ("commodity", "1,4"),
    ("function", "6"),
    ("carbon_policy", "是"),
    ("ghg_target", "no"),
    ("methodology", "1、3"),
    ("lead_function", "3"),
    ("customer_goal", "y"),
    ("supplier_goals", "2"),
    ("reporting_standard", "1"),
    ("reporting_explain", "GRI Standards"),
    ("lifecycle_process", "是"),
    ("marketing", "否"),
    ("info_needs", "1 3"),
]


def walk(script: Script, path: list[tuple[str, str]]) -> None:
    for qid, text in path:
        assert script.current == qid, f"expected {qid}, at {script.current}"
        script.send(text)


def recorded(script: Script) -> list[AnswerRecorded]:
    return [e for e in script.effects if isinstance(e, AnswerRecorded)]


def test_first_message_greets_with_the_size_of_the_survey_and_language_choice(
    script: Script,
) -> None:
    script.send("hello")
    assert script.keys == ["welcome", "choose_language"]
    assert script.reply("welcome")["questions"] == 14  # the supplier path, the longer
    assert script.reply("welcome")["minutes"] == 5
    assert script.state.status is Status.LANGUAGE
    assert any(isinstance(e, SurveyStarted) for e in script.effects)


@pytest.mark.parametrize("word", ["简介", "intro", "Intro.", "介绍"])
def test_the_preface_is_shown_on_request_and_the_question_asked_again(
    script: Script, word: str
) -> None:
    script.send("hello")
    script.send(word)
    assert script.keys == ["preface", "choose_language"]
    assert script.last is not None and script.last.replies[0].lang is Lang.BOTH  # none chosen
    script.send("English")
    script.send(word)
    assert script.keys == ["preface", "question"]
    assert script.last.replies[0].lang is None  # in theirs


def to_commodity(script: Script) -> tuple[str, str]:
    """At the first multiple-choice question; its first two option ids."""
    script.answer_all("hi", "3", "2")
    assert script.current == "commodity"
    first, second, *_ = script.flow.question("commodity").options
    return first.id, second.id


def test_a_tapped_selection_is_shown_not_recorded_and_done_answers(script: Script) -> None:
    first, second = to_commodity(script)
    script.send("☑ 1,2")
    assert script.keys == ["question"]
    assert script.reply("question")["selected"] == (first, second)
    assert recorded(script) == [] and script.current == "commodity"
    script.send("☑")  # everything untapped: still a draft
    assert script.reply("question")["selected"] == ()
    script.send("1,2")
    assert recorded(script)[0].options == (first, second)


def test_a_tapped_selection_breaking_a_rule_is_refused(script: Script) -> None:
    to_commodity(script)
    script.send("☑ 1,99")
    assert script.keys == ["invalid_answer", "question"]
    assert script.reply("question")["selected"] is None


def test_language_choice_then_first_question(script: Script) -> None:
    script.send("hi")
    script.send("English")
    assert script.state.lang is Lang.EN
    assert script.keys == ["language_set", "question"]
    assert script.current == "role"
    assert script.effects == [LanguageChosen(Lang.EN)]


def test_invalid_language_choice_reprompts_bilingually(script: Script) -> None:
    script.send("hi")
    script.send("klingon")
    assert script.keys == ["invalid_language", "choose_language"]
    assert script.last.replies[0].lang is Lang.BOTH
    assert script.state.status is Status.LANGUAGE


def test_the_email_left_out_after_the_phone_says_the_phone_would_do(started: Script) -> None:
    walk(started, SUPPLIER_PATH)
    started.send("1")  # right now
    started.send("是")
    started.answer_all("张三", "某某汽车零部件有限公司", "跳过")  # no phone number
    assert started.current == "contact_email"
    started.send("跳过")
    assert started.keys == ["cannot_skip", "question"]
    refused = started.last.replies[0]
    assert refused.instead is not None and refused.instead.id == "contact_phone"  # type: ignore[attr-defined]
    started.send("返回")  # the phone number after all
    assert started.current == "contact_phone"


def test_supplier_completes_whole_survey_with_contact_request(started: Script) -> None:
    walk(started, SUPPLIER_PATH)
    assert started.current == "contact"
    started.send("1,2")  # right now + when updated information
    assert SubscriptionChanged(True) in started.effects
    assert started.current == "contact_consent"
    started.send("是")
    started.answer_all("张三", "某某汽车零部件有限公司", "+86 138-0013-8000")
    assert started.current == "contact_email"
    started.send("跳过")  # optional because a phone number was given
    started.send("工作日上午")
    contact = [e for e in started.effects if isinstance(e, ContactRequested)]
    # The last detail's "✓ Recorded" first, then the request it made, then what comes next.
    assert started.keys[:2] == ["recorded", "contact_created"]
    assert started.current == "org_share"  # 最后一步（可选）: the organisation step
    started.send("否")
    assert started.state.status is Status.COMPLETED
    assert contact == [
        ContactRequested(
            "survey",
            {
                "contact_name": "张三",
                "contact_company": "某某汽车零部件有限公司",
                "contact_phone": "+8613800138000",
                "contact_time": "工作日上午",
            },
        )
    ]
    # One completion message (issue 17 §6): receipt, summary, one next step.
    assert started.keys[-1] == "completed" and started.keys.count("completed") == 1
    done = started.reply("completed")
    assert done["summary"] is True  # the dispatcher fills in the figures
    assert done["offer_next"] is True and done["followup"] is None  # in chat, not the web
    receipt = {item["number"]: item["answer"] for item in done["items"]}  # type: ignore[attr-defined]
    assert receipt["2"].options == ("interior", "chassis")
    assert receipt["10a"].text == "GRI Standards"
    assert None not in receipt  # the contact form's personal details stay out of it
    assert any(isinstance(e, SurveyCompleted) for e in started.effects)
    answers = started.state.answers
    assert answers["commodity"].options == ("interior", "chassis")
    assert answers["reporting_explain"].text == "GRI Standards"


def test_oem_skips_the_supplier_only_questions(started: Script) -> None:
    started.send("1")  # OEM
    assert started.current == "function"
    started.answer_all("6", "1", "1", "4", "3")
    assert started.current == "supplier_goals"  # customer_goal is for suppliers only


def test_explain_only_after_yes_on_reporting_standard(started: Script) -> None:
    path = [p for p in SUPPLIER_PATH if p[0] not in ("reporting_standard", "reporting_explain")]
    walk(started, path[:9])
    assert started.current == "reporting_standard"
    started.send("否")
    assert started.current == "lifecycle_process"


def test_optional_free_text_can_be_skipped(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:10])
    assert started.current == "reporting_explain"
    started.send("skip")
    assert started.current == "lifecycle_process"
    assert recorded(started) == []
    # "✓ 已跳过" before the next question: the skip is confirmed, as an answer is.
    assert started.keys == ["recorded", "question"]
    assert started.reply("recorded")["answer"] == Answer()


def test_skipping_an_answered_question_says_its_answer_is_removed(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:10])
    started.send("CDP, since 2021")
    started.send("修改 10a")
    assert started.current == "reporting_explain"
    started.send("skip")
    assert started.keys[0] == "recorded"
    assert started.reply("recorded")["cleared"] is True
    assert AnswerCleared("reporting_explain") in started.effects


def test_skipping_the_last_contact_detail_confirms_it_before_the_request(
    started: Script,
) -> None:
    walk(started, SUPPLIER_PATH)
    started.send("1")  # 14: right now
    started.answer_all("是", "张三", "某某汽车零部件有限公司", "+86 138-0013-8000", "跳过")
    assert started.current == "contact_time"
    started.send("跳过")
    assert started.keys[:2] == ["recorded", "contact_created"]
    assert started.reply("recorded")["answer"] == Answer()


def test_a_yes_with_its_explanation_answers_the_follow_up_too(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:9])
    assert started.current == "reporting_standard"
    started.send("yes, we report under CDP")
    assert started.state.answers["reporting_standard"] == Answer(options=("yes",))
    assert started.state.answers["reporting_explain"] == Answer(text="we report under CDP")
    assert [k for k in started.keys if k == "recorded"] == ["recorded", "recorded"]
    assert started.current == "lifecycle_process"  # 10a is not asked again
    started.send("修改 10")
    started.send("No, we don't")  # a no has no follow-up: 10a goes
    assert "reporting_explain" not in started.state.answers


def test_required_question_cannot_be_skipped(started: Script) -> None:
    before = started.state
    started.send("跳过")
    assert started.keys == ["cannot_skip", "question"]
    assert started.effects == []
    assert started.state.answers == before.answers and started.current == "role"


def test_invalid_answer_changes_nothing_and_says_what_is_accepted(started: Script) -> None:
    started.send("2")
    started.send("1,99")
    reply = started.last.replies[0]
    assert isinstance(reply, InvalidAnswer) and reply.lang is None  # the chosen language
    assert reply.reason == "not_an_option"
    assert started.effects == []
    assert started.current == "commodity"
    assert "commodity" not in started.state.answers


def test_exclusive_option_combined_is_rejected(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:5])
    assert started.current == "methodology"
    started.send("1,6")
    assert started.reply("invalid_answer")["reason"] == "exclusive_combined"
    started.send("6")
    assert started.state.answers["methodology"].options == ("not_determined",)


def test_back_returns_to_previous_and_a_new_answer_replaces_it(started: Script) -> None:
    started.send("0")
    assert started.keys == ["back_at_start", "question"]
    walk(started, SUPPLIER_PATH[:3])
    started.send("返回")
    assert started.current == "function"
    assert started.reply("question")["current"].options == ("operations",)
    started.send("7")
    assert recorded(started) == [AnswerRecorded("function", ("others",), None)]
    assert started.current == "carbon_policy"  # back where they were


def test_changing_role_to_oem_clears_supplier_answers(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:8])
    started.send("back")
    started.send("back")
    started.send("back")  # … lead_function, methodology, ghg_target
    for _ in range(5):
        started.send("back")
    assert started.current == "role"
    started.send("OEM")
    cleared = {e.question_id for e in started.effects if isinstance(e, AnswerCleared)}
    assert cleared == {"commodity", "customer_goal"}
    assert "commodity" not in started.state.answers


def test_language_switch_mid_survey_keeps_position(started: Script) -> None:
    started.send("2")
    started.send("English")
    assert started.state.lang is Lang.EN
    assert started.keys == ["language_set", "question"]
    assert started.current == "commodity"


def test_restart_asks_for_confirmation(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:3])
    started.send("重新开始")
    assert started.keys == ["confirm_restart"]
    started.send("maybe")
    assert started.keys == ["confirm_invalid", "confirm_restart"]
    started.send("否")
    assert started.keys == ["cancelled", "question"] and started.current == "carbon_policy"
    started.send("restart")
    started.send("yes")
    cleared = {e.question_id for e in started.effects if isinstance(e, AnswerCleared)}
    assert cleared == {"role", "commodity", "function"}
    assert started.current == "role" and not started.state.answers


def test_resume_after_a_gap_says_where_they_were(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:6])
    started.send(intent=Intent.START, wait=timedelta(days=3))
    welcome = started.reply("welcome_back")
    assert (welcome["number"], welcome["total"]) == ("7", 14)
    assert started.current == "lead_function"


def test_unrecognised_chatter_after_a_long_gap_is_welcomed_back(started: Script) -> None:
    started.send("hello again", wait=timedelta(hours=5))
    assert started.keys == ["welcome_back", "question"]


def test_images_and_unknown_commands_get_a_hint(started: Script) -> None:
    started.send(intent=Intent.UNSUPPORTED)
    assert started.keys == ["unsupported_input", "question"]
    started.send("/stats")
    assert started.keys == ["unknown_command", "question"]
    assert started.effects == []


def complete_as_supplier(started: Script) -> None:
    walk(started, SUPPLIER_PATH)
    started.send("3")  # request when need
    started.send("跳过")  # the optional organisation step
    assert started.state.status is Status.COMPLETED


def _with_contact_request(started: Script, contact: str = "1,2") -> None:
    walk(started, SUPPLIER_PATH)
    started.send(contact)  # right now (+ when updated information)
    started.answer_all("是", "张三", "某某汽车零部件有限公司", "+86 138-0013-8000", "跳过", "跳过")
    assert any(isinstance(e, ContactRequested) for e in started.effects)
    started.send("跳过")  # the optional organisation step
    assert started.state.status is Status.COMPLETED


def test_changing_right_now_away_withdraws_the_request(started: Script) -> None:
    _with_contact_request(started)
    started.send("修改 14")
    started.send("2")  # when updated information only: nobody should call now
    assert ContactWithdrawn("survey") in started.effects
    assert started.keys[:2] == ["recorded", "contact_withdrawn"]
    assert "contact_name" not in started.state.answers  # the form went with it


def test_keeping_right_now_keeps_the_request(started: Script) -> None:
    _with_contact_request(started)
    started.send("修改 14")
    started.send("1")  # right now alone: still asks to be called
    assert not any(isinstance(e, ContactWithdrawn) for e in started.effects)
    assert "contact_withdrawn" not in started.keys


def test_a_form_never_finished_withdraws_nothing(started: Script) -> None:
    walk(started, SUPPLIER_PATH)
    started.send("1")
    started.answer_all("是", "张三")
    started.send("返回")
    started.send("返回")
    started.send("返回")  # back at 14, the form unfinished: no request was made
    assert started.current == "contact"
    started.send("4")
    assert started.state.answers["contact"].options == ("no_need",)
    assert not any(isinstance(e, ContactWithdrawn) for e in started.effects)


def test_a_change_that_removes_other_answers_names_them(started: Script) -> None:
    complete_as_supplier(started)
    started.send("修改 1")
    started.send("1")  # a supplier becomes an OEM: 2 and 8 are for suppliers only
    # Right after "✓ 已记录", before the figures and "答案已更新".
    assert started.keys[:2] == ["recorded", "answers_dropped"]
    assert started.keys[-1] == "answer_updated"
    assert started.reply("answers_dropped")["numbers"] == ("2", "8")
    assert {AnswerCleared("commodity"), AnswerCleared("customer_goal")} <= set(started.effects)
    started.send("修改 10")
    started.send("否")  # 10a follows a yes only
    assert started.keys[:2] == ["recorded", "answers_dropped"]
    assert started.reply("answers_dropped")["numbers"] == ("10a",)
    started.send("修改 10")
    started.send("是")  # nothing to remove: 10a is asked again
    assert "answers_dropped" not in started.keys
    assert started.current == "reporting_explain"


def test_after_completion_answers_can_be_listed_and_changed(started: Script) -> None:
    complete_as_supplier(started)
    started.send("我的答案")
    items = started.reply("my_answers")["items"]
    assert [i["number"] for i in items][:3] == ["1", "2", "3"]
    started.send("修改 3")
    assert started.current == "function" and started.state.editing
    started.send("4")
    assert started.keys[-1] == "answer_updated"
    assert started.state.status is Status.COMPLETED
    assert not any(isinstance(e, SurveyCompleted) for e in started.effects)


def test_switching_to_supplier_after_completion_asks_the_new_questions(started: Script) -> None:
    started.send("1")  # OEM
    started.answer_all("6", "1", "1", "4", "3", "2", "2", "2", "2", "1", "4", "否")
    assert started.state.status is Status.COMPLETED
    started.send("change 1")
    started.send("2")
    assert started.current == "commodity"
    started.send("5")
    assert started.current == "customer_goal"
    started.send("是")
    assert started.keys[-1] == "answer_updated"


@pytest.mark.parametrize("word", ["取消", "算了，不要联系我了", "cancel", "never mind"])
def test_contact_me_can_be_taken_back_while_its_form_is_open(started: Script, word: str) -> None:
    complete_as_supplier(started)
    started.send("联系我")
    started.answer_all("是", "Li Lei")
    started.send(word)
    assert started.keys[0] == "contact_declined"
    assert started.state.status is Status.COMPLETED
    assert not [e for e in started.effects if isinstance(e, ContactRequested)]
    started.send("hello")  # back where they were: nothing of the form is pending
    assert started.keys == ["completed_hint"]


def test_a_name_that_starts_like_cancel_is_still_a_name(started: Script) -> None:
    complete_as_supplier(started)
    started.send("联系我")
    started.answer_all("是")
    started.send("Stopford Li")  # not "stop"
    assert started.keys[0] == "recorded"


def test_contact_me_later_opens_the_form(started: Script) -> None:
    complete_as_supplier(started)
    started.send("联系我")
    assert started.state.status is Status.CONTACT
    assert started.keys == ["contact_form_intro", "question"]
    started.send("是")
    assert started.keys == ["recorded", "question"]  # "✓ 已记录：是", as in the survey
    started.send("Li Lei")
    assert started.keys == ["recorded", "question"]
    assert started.reply("recorded")["answer"] == Answer(text="Li Lei")
    started.answer_all("ACME Parts", "skip")
    assert started.keys == ["recorded", "question"]  # "✓ 已跳过": the skip is confirmed
    assert started.reply("recorded")["answer"] == Answer()
    started.answer_all("li@example.com", "skip")
    assert started.effects == [
        ContactRequested(
            "contact_me",
            {
                "contact_name": "Li Lei",
                "contact_company": "ACME Parts",
                "contact_email": "li@example.com",
            },
        )
    ]
    assert started.state.status is Status.COMPLETED
    assert "contact_phone" not in started.state.answers  # the form is not a survey answer


def test_contact_me_declined_consent_collects_nothing(started: Script) -> None:
    started.send("contact me")
    started.send("否")
    assert started.keys == ["contact_declined", "question"]
    assert started.effects == [] and started.current == "role"


def test_delete_my_data_after_confirmation(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:2])
    started.send("删除我的数据")
    started.send("是")
    assert started.effects == [DataDeleted()]
    assert started.state.status is Status.NEW and not started.state.answers


def test_state_round_trips_through_json(started: Script) -> None:
    walk(started, SUPPLIER_PATH[:4])
    assert SessionState.from_json(started.state.to_json()) == started.state


def test_flows_package_imports_no_io_libraries() -> None:
    code = (
        "import sys, flows.engine, flows.definition, flows.check;"
        "bad = {'telegram','wechatpy','sqlmodel','sqlalchemy','jinja2','asyncio','httpx'}"
        " & set(m.split('.')[0] for m in sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_tap_on_an_old_question_button_changes_nothing(started: Script) -> None:
    from flows.engine import step
    from flows.events import Inbound

    started.send("2")
    assert started.current == "commodity"
    stale = step(started.flow, started.state, Inbound(now=started.now, text="1", expect="role"))
    assert [template_name(r) for r in stale.replies] == ["stale_button", "question"]
    assert stale.effects == () and stale.state.answers == started.state.answers
    fresh = step(
        started.flow, started.state, Inbound(now=started.now, text="1", expect="commodity")
    )
    assert fresh.state.answers["commodity"].options == ("interior",)


def test_confirm_buttons_only_answer_their_own_confirmation(started: Script) -> None:
    from flows.engine import step
    from flows.events import Inbound

    walk(started, SUPPLIER_PATH[:3])
    old = step(started.flow, started.state, Inbound(started.now, "是", expect="pending:restart"))
    # nothing pending
    assert [template_name(r) for r in old.replies] == ["stale_button", "question"]
    started.send("restart")
    ok = step(started.flow, started.state, Inbound(started.now, "是", expect="pending:restart"))
    assert ok.state.answers == {} and "restarted" in [template_name(r) for r in ok.replies]
