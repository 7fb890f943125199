"""A company name typed at the organisation step's yes/no question is the answer to both.

"是否告诉我们贵公司名称？" answered with "上海某某汽车零部件有限公司" was refused as not
yes or no, and the respondent had to say yes and type the name again. Now a text that
reads as a company's name (a legal form at its end) is a yes and the company name; a
question back or a refusal that merely mentions a company is still asked again.
"""

from __future__ import annotations

import pytest

from flows.definition import load_flow
from flows.events import AnswerRecorded
from flows.model import YES
from flows.organisation import ends_in_legal_form
from flows.state import Answer
from flows.surveys import DEFAULT_FLOW
from tests.flows.script import Script

# Hello, 中文, questions 1-13 (a supplier), 14: no contact wanted; then the step's question.
TO_THE_STEP = [
    "hello",
    "中文",
    "2",
    "1",
    "1",
    "1",
    "1",
    "1",
    "1",
    "1",
    "1",
    "2",
    "1",
    "1",
    "1",
    "4",
]


def _at_the_step() -> Script:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all(*TO_THE_STEP)
    assert script.current == "org_share"
    return script


@pytest.mark.parametrize(
    "name",
    [
        "上海某某汽车零部件有限公司",
        "乙公司（苏州）",
        "Shanghai Brake Systems Co., Ltd.",
        "某某集团",
    ],
)
def test_a_company_name_is_a_yes_and_the_name(name: str) -> None:
    script = _at_the_step()
    script.send(name)
    assert script.keys == ["recorded", "question"]
    assert script.reply("recorded")["question"].id == "org_company"  # type: ignore[attr-defined]
    assert script.state is not None
    assert script.state.answers["org_share"] == Answer(options=(YES,))
    assert script.state.answers["org_company"].text
    assert AnswerRecorded("org_share", (YES,)) in script.effects
    assert script.current == "org_code"  # the step goes on with its next question


@pytest.mark.parametrize("text", ["公司不同意", "什么公司？", "what company?", "有限公司", "Bosch"])
def test_other_texts_are_asked_again(text: str) -> None:
    script = _at_the_step()
    script.send(text)
    assert script.keys == ["invalid_answer", "question"]
    assert script.state is not None and "org_share" not in script.state.answers
    assert script.current == "org_share"


def test_at_other_questions_a_company_name_is_no_answer_to_a_yes_no_question() -> None:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all(*TO_THE_STEP[:11])  # at question 9, a yes/no question
    asked = script.current
    script.send("上海某某汽车零部件有限公司")
    assert script.keys == ["invalid_answer", "question"]
    assert script.current == asked


@pytest.mark.parametrize(
    ("text", "reads_as_a_name"),
    [
        ("上海某某汽车零部件有限公司", True),
        ("博世（中国）投资有限公司 ", True),
        ("乙公司（苏州）", True),
        ("ACME Co., Ltd.", True),
        ("Magna International Inc.", True),
        ("公司", False),
        ("有限公司", False),
        ("公司不同意", False),
        ("需要写全称吗？", False),
        ("what company?", False),
        ("Bosch", False),
        ("好的", False),
    ],
)
def test_what_reads_as_a_company_name(text: str, reads_as_a_name: bool) -> None:
    assert ends_in_legal_form(text) is reads_as_a_name


def test_a_yes_followed_by_the_name_keeps_the_name() -> None:
    script = _at_the_step()
    script.send("Yes, it's Bosch Automotive Products (Suzhou) Co., Ltd.")
    assert script.state is not None
    assert script.state.answers["org_share"] == Answer(options=(YES,))
    assert script.state.answers["org_company"].text == (
        "Bosch Automotive Products (Suzhou) Co., Ltd."
    )
    assert script.current == "org_code"
    other = _at_the_step()
    other.send("是的，公司名称是上海某某汽车零部件有限公司")
    assert other.state is not None
    assert other.state.answers["org_company"].text == "上海某某汽车零部件有限公司"
    keysight = _at_the_step()
    keysight.send("是的，是德科技（中国）有限公司")  # a name that starts with 是
    assert keysight.state is not None
    assert keysight.state.answers["org_company"].text == "是德科技（中国）有限公司"
    plain = _at_the_step()
    plain.send("yes, sure")  # no name after the yes: the name is asked for
    assert plain.current == "org_company"
    refused = _at_the_step()
    refused.send("No, ACME Co., Ltd. prefers not")  # a no is a no
    assert refused.state is not None and "org_company" not in refused.state.answers


def test_skip_after_yes_says_how_to_say_no_instead() -> None:
    script = _at_the_step()
    script.send("是")
    assert script.current == "org_company"
    script.send("跳过")
    assert script.keys == ["cannot_skip", "question"]
    assert script.reply("cannot_skip")["opened_by_yes"] is True
    script.send("返回")
    script.send("否")
    assert script.state is not None and script.state.answers["org_share"].options == ("no",)


def test_a_greeting_at_the_company_question_is_not_recorded_as_the_company() -> None:
    # Brought back to the company question ("返回"), people greet the bot or say yes
    # again: neither stands as the company's name in staff's lists.
    script = _at_the_step()
    script.send("是")
    assert script.current == "org_company"
    for typed in ("你好", "是的"):
        script.send(typed)
        assert script.keys == ["invalid_answer", "question"]
        assert script.reply("invalid_answer")["reason"] == "not_a_name"
        assert script.current == "org_company"
        assert "org_company" not in script.state.answers
    script.send("上海某某汽车零部件有限公司")
    assert script.state.answers["org_company"].text == "上海某某汽车零部件有限公司"
