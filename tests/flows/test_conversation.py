"""Confirmations, language and welcome back (issue 17 §3 and §4), at the engine."""

from __future__ import annotations

from datetime import timedelta

from flows.engine import step
from flows.events import Inbound
from flows.model import Lang
from flows.reply_registry import template_name
from flows.state import Answer
from tests.flows.script import Script


def test_each_answer_is_confirmed_before_the_next_question(started: Script) -> None:
    started.send("2")
    started.send("一、三")
    assert started.keys[0] == "recorded" and started.keys[-1] == "question"
    recorded = started.reply("recorded")
    assert recorded["question"].id == "commodity"
    assert recorded["answer"] == Answer(options=("interior", "body"))


def test_a_changed_answer_is_confirmed(started: Script) -> None:
    started.answer_all("2", "1", "1")
    started.send("修改 2")
    started.send("3")
    assert started.reply("recorded")["answer"] == Answer(options=("body",))


def test_errors_and_notices_use_the_chosen_language(script: Script) -> None:
    script.send("你好")
    script.send("中文")
    refused = script.send("99")
    assert [(template_name(r), r.lang) for r in refused.replies] == [
        ("invalid_answer", None),
        ("question", None),
    ]
    skipped = script.send("跳过")  # a required question
    assert [(template_name(r), r.lang) for r in skipped.replies] == [
        ("cannot_skip", None),
        ("question", None),
    ]
    assert script.state is not None and script.state.lang is Lang.ZH


def test_hello_after_a_pause_is_welcomed_back_not_refused(started: Script) -> None:
    started.answer_all("2", "1", "1", "1")
    started.send("hello", wait=timedelta(minutes=31))
    assert started.keys == ["welcome_back", "question"]
    welcome = started.reply("welcome_back")
    assert (welcome["number"], welcome["total"]) == ("5", 14)


def test_hello_without_a_pause_is_refused_as_before(started: Script) -> None:
    started.answer_all("2", "1", "1", "1")
    started.send("hello", wait=timedelta(minutes=29))
    assert started.keys == ["invalid_answer", "question"]


def test_the_pause_is_a_setting(started: Script) -> None:
    started.answer_all("2", "1", "1", "1")
    started.now += timedelta(minutes=10)
    event = Inbound(now=started.now, text="hello")
    result = step(started.flow, started.state, event, welcome_back_after=timedelta(minutes=5))
    assert [template_name(r) for r in result.replies] == ["welcome_back", "question"]


SUPPLIER_TO_14 = ["2", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1"]


def test_details_given_through_contact_me_are_offered_again(started: Script) -> None:
    started.send("联系我")
    started.answer_all("是", "王伟", "上海汽配有限公司", "13800138000", "跳过", "跳过")
    assert started.keys[:2] == ["recorded", "contact_created"]  # "✓ 已跳过", then the request
    started.answer_all(*SUPPLIER_TO_14)
    started.send("1")  # 14: right now
    assert started.keys[-1] == "confirm_reuse"
    details = dict((q.id, v) for q, v in started.reply("confirm_reuse")["details"])
    assert details == {"contact_name": "王伟", "contact_company": "上海汽配有限公司",
                       "contact_phone": "+8613800138000"}  # fmt: skip
    started.send("是")
    assert started.state is not None
    assert started.state.answers["contact_name"].text == "王伟"
    assert started.current == "org_share"  # nothing asked twice: the optional last step
    requested = [e for e in started.effects if type(e).__name__ == "ContactRequested"]
    assert len(requested) == 1  # storage merges it into the one open request


def test_contact_me_without_phone_or_email_says_the_phone_would_do(started: Script) -> None:
    started.send("联系我")
    started.answer_all("是", "王伟", "上海汽配有限公司", "跳过")  # no phone number
    started.send("跳过")  # nor an e-mail: one of the two is needed
    assert started.keys == ["cannot_skip", "question"]
    refused = started.last.replies[0]
    assert refused.instead is not None and refused.instead.id == "contact_phone"  # type: ignore[attr-defined]
    started.send("返回")
    started.send("13800138000")
    assert started.state.form["contact_phone"] == "+8613800138000"


def test_no_to_reuse_asks_the_form_as_usual(started: Script) -> None:
    started.send("联系我")
    started.answer_all("是", "王伟", "上海汽配有限公司", "13800138000", "跳过", "跳过")
    started.answer_all(*SUPPLIER_TO_14, "1")
    started.send("否")
    assert started.current == "contact_consent" and started.keys == ["question"]


def test_contact_fields_have_sane_lengths(started: Script) -> None:
    from flows.answer_parsing import Invalid, parse_answer

    flow = started.flow
    assert isinstance(parse_answer(flow.question("contact_name"), "王" * 500), Invalid)
    assert isinstance(parse_answer(flow.question("contact_company"), "公司" * 60), Invalid)
    assert isinstance(parse_answer(flow.question("contact_time"), "下午" * 60), Invalid)
