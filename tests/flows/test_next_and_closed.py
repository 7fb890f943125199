"""Offering the next survey, starting it in the known language, and closed surveys."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.commands import Command, parse_command
from flows.completion_replies import Completed, CompletedHint
from flows.definition import load_flow_text
from flows.engine import start_in_language, step
from flows.events import AnswerRecorded, Inbound, Intent, NextSurveyChosen, SurveyStarted
from flows.model import Lang
from flows.reply_registry import template_name
from flows.state import SessionState, Status
from tests.flows.versions import V1, next_flow, v1

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _run(*texts: str, closed: bool = False, state: SessionState | None = None):  # type: ignore[no-untyped-def]
    flow = v1()
    result = None
    for text in texts:
        result = step(flow, state, Inbound(NOW, text), closed=closed)
        state = result.state
    assert result is not None
    return result


def test_next_survey_words_are_commands() -> None:
    for word in ("后续调查", "下一个调查", "next", "Next survey", "/next", "开始后续调查。"):
        parsed = parse_command(word)
        assert parsed is not None and parsed.command is Command.NEXT_SURVEY, word


def test_completion_offers_the_next_survey() -> None:
    done = _run("hi", "2", "1", "3", "skip", "40")
    assert done.state.status is Status.COMPLETED
    completed = [r for r in done.replies if isinstance(r, Completed)]
    assert completed and completed[0].offer_next is True
    # The flow's own follow-up text (a web link) only when there is no in-chat one.
    assert completed[0].followup is None


def test_a_message_after_completion_points_to_the_next_survey() -> None:
    done = _run("hi", "2", "1", "3", "skip", "40")
    later = step(v1(), done.state, Inbound(NOW, "你好"))
    assert [template_name(r) for r in later.replies] == ["completed_hint"]
    assert later.replies[0] == CompletedHint(offer_next=True)
    web = load_flow_text(V1.replace("next: mini_next", ""))
    alone = step(web, done.state, Inbound(NOW, "hello"))
    assert alone.replies[0] == CompletedHint(offer_next=False)


def test_without_an_in_chat_follow_up_the_flows_own_follow_up_text_is_the_next_step() -> None:
    web = V1.replace(
        "next: mini_next", "followup: {zh: 点击链接 https://x.cn/s, en: Go to https://x.cn/s}"
    )
    flow = load_flow_text(web)
    state = None
    for text in ("hi", "2", "1", "3", "skip", "40"):
        result = step(flow, state, Inbound(NOW, text))
        state = result.state
    completed = [r for r in result.replies if isinstance(r, Completed)]
    assert completed[0].offer_next is False
    assert completed[0].followup == flow.followup


def test_next_after_completion_asks_the_dispatcher_to_start_it() -> None:
    done = _run("hi", "2", "1", "3", "skip", "40")
    chosen = step(v1(), done.state, Inbound(NOW, "后续调查"))
    assert chosen.effects == (NextSurveyChosen("mini_next"),)
    assert chosen.replies == ()
    assert chosen.state.status is Status.COMPLETED


def test_next_before_finishing_says_finish_first() -> None:
    midway = _run("hi", "2", "1", "next")
    assert [template_name(r) for r in midway.replies] == ["next_after_finishing", "question"]
    assert not any(isinstance(e, NextSurveyChosen) for e in midway.effects)


def test_next_without_a_next_survey() -> None:
    flow = next_flow()
    state = step(flow, None, Inbound(NOW, "hi")).state
    for text in ("2", "是"):
        state = step(flow, state, Inbound(NOW, text)).state
    assert state.status is Status.COMPLETED
    result = step(flow, state, Inbound(NOW, "next"))
    assert [template_name(r) for r in result.replies] == ["no_next_survey", "completed_hint"]


def test_start_in_language_skips_the_language_question() -> None:
    result = start_in_language(next_flow(), Lang.EN, NOW)
    assert result.state.lang is Lang.EN
    assert result.state.status is Status.ACTIVE and result.state.current == "pcf"
    assert [template_name(r) for r in result.replies] == ["welcome", "preface", "question"]
    assert all(r.lang is Lang.EN for r in result.replies[:2])
    assert result.effects == (SurveyStarted("mini_next", 1),)


def test_a_closed_survey_takes_no_answer() -> None:
    open_state = _run("hi", "2").state
    closed = step(v1(), open_state, Inbound(NOW, "1"), closed=True)
    assert [template_name(r) for r in closed.replies] == ["survey_closed"]
    assert closed.effects == ()
    assert closed.state.answers == open_state.answers
    for text in ("0", "skip", "restart", "修改 1"):
        refused = step(v1(), open_state, Inbound(NOW, text), closed=True)
        assert [template_name(r) for r in refused.replies] == ["survey_closed"], text
        assert refused.state.pending is None
    restart = step(v1(), open_state, Inbound(NOW, intent=Intent.RESTART), closed=True)
    assert [template_name(r) for r in restart.replies] == ["survey_closed"]


def test_a_closed_survey_still_shows_and_deletes_data() -> None:
    state = _run("hi", "2", "1").state
    mine = step(v1(), state, Inbound(NOW, "my answers"), closed=True)
    assert [template_name(r) for r in mine.replies] == ["my_answers", "survey_closed"]
    asked = step(v1(), state, Inbound(NOW, "delete my data"), closed=True)
    assert asked.state.pending is not None
    deleted = step(v1(), asked.state, Inbound(NOW, "是"), closed=True)
    assert "data_deleted" in [template_name(r) for r in deleted.replies]


def test_an_open_survey_records_the_same_answer() -> None:
    state = _run("hi", "2").state
    result = step(v1(), state, Inbound(NOW, "1"))
    assert AnswerRecorded("role", ("oem",)) in result.effects
