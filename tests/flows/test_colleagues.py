"""The engine's side of a colleague's answers (issue 20 §1): the choices are commands that
emit `UnitChoiceMade` in a survey counted per organisation or plant, and nothing at all in
a survey counted per respondent. No storage here: the dispatcher answers the choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.commands import Command, parse_command
from flows.definition import load_flow_text
from flows.engine import step
from flows.events import Inbound, UnitAction, UnitChoiceMade
from flows.model import Flow
from tests.flows.script import Script

FIXTURE = Path(__file__).parent / "fixtures" / "colleague_org.yaml"
TO_SITES = ["你好", "中文", "2", "是", "有目标", "是", "上海某某", "苏州"]


def flow(counting: str = "organisation") -> Flow:
    text = FIXTURE.read_text(encoding="utf-8")
    return load_flow_text(text.replace("counting: organisation", f"counting: {counting}"))


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("查看同事答案", Command.VIEW_COLLEAGUE),
        ("View colleague answers", Command.VIEW_COLLEAGUE),
        ("由我接替。", Command.TAKE_OVER),
        ("take over", Command.TAKE_OVER),
        ("保持原样", Command.KEEP_COLLEAGUE),
        ("keep as is", Command.KEEP_COLLEAGUE),
    ],
)
def test_the_choice_words_are_commands(typed: str, command: Command) -> None:
    parsed = parse_command(typed)
    assert parsed is not None and parsed.command is command


@pytest.mark.parametrize(
    ("typed", "action"),
    [
        ("查看同事答案", UnitAction.VIEW),
        ("由我接替", UnitAction.TAKE_OVER),
        ("保持原样", UnitAction.KEEP),
    ],
)
@pytest.mark.parametrize("counting", ["organisation", "plant"])
def test_a_choice_is_passed_on_and_the_question_asked_again(
    typed: str, action: UnitAction, counting: str
) -> None:
    script = Script(flow(counting))
    script.answer_all(*TO_SITES)
    before = script.state
    script.send(typed)
    assert script.effects == [UnitChoiceMade(action)]
    assert script.keys == ["question"] and script.current == "sites"
    assert script.state is not None and before is not None
    assert script.state.answers == before.answers


def test_after_completion_the_choice_is_passed_on_too() -> None:
    script = Script(flow())
    script.answer_all(*TO_SITES, "3")
    script.send("由我接替")
    assert script.effects == [UnitChoiceMade(UnitAction.TAKE_OVER)]
    assert script.keys == ["completed_hint"]


def test_per_respondent_the_words_are_answers_as_before() -> None:
    script = Script(flow("respondent"))
    script.answer_all(*TO_SITES)
    script.send("由我接替")
    assert script.effects == []
    assert script.keys == ["invalid_answer", "question"]  # not a number of sites


def test_a_closed_survey_takes_no_take_over_but_still_shows() -> None:
    script = Script(flow())
    script.answer_all(*TO_SITES)
    assert script.state is not None
    closed = step(script.flow, script.state, Inbound(now=script.now, text="由我接替"), closed=True)
    assert closed.effects == ()
    viewed = step(
        script.flow, script.state, Inbound(now=script.now, text="查看同事答案"), closed=True
    )
    assert viewed.effects == (UnitChoiceMade(UnitAction.VIEW),)


def test_a_tap_before_the_session_began_is_passed_on_and_the_survey_starts() -> None:
    """E.g. a tap in an old message after "delete my data": the dispatcher says why."""
    script = Script(flow())
    script.send("由我接替")
    assert UnitChoiceMade(UnitAction.TAKE_OVER) in script.effects
    assert script.keys[0] == "welcome"
    per_respondent = Script(flow("respondent"))
    per_respondent.send("由我接替")
    assert not any(isinstance(e, UnitChoiceMade) for e in per_respondent.effects)
