"""Every question of every shipped survey, as WeChat shows it: one passive reply
(≤ 2048 bytes, tap links included) whose every link sends something the engine accepts
at that very point. Telegram and the console never see link markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.dispatch.render import Renderer
from bot.dispatch.tap_links import LINK
from flows import numbering
from flows.definition import load_flow
from flows.engine import step
from flows.events import Inbound
from flows.model import Flow, Lang, Question, QuestionType
from flows.replies import AskQuestion
from flows.reply_registry import template_name
from flows.state import SessionState, Status
from flows.surveys import DEFAULT_FLOW

SURVEYS = sorted(Path(DEFAULT_FLOW).parent.glob("*.yaml"))
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CONTENT = re.compile(r'msgmenucontent=([^&"]*)')
# Replies that mean "what you sent was not taken".
REFUSALS = {"invalid_answer", "unknown_command", "not_now", "stale_button", "cannot_skip"}


def _cases() -> list[tuple[Flow, Question, Lang]]:
    flows = [load_flow(path) for path in SURVEYS]
    return [
        (flow, question, lang)
        for flow in flows
        for question in flow.questions
        if question.type is not QuestionType.NOTE
        for lang in (Lang.ZH, Lang.EN, Lang.BOTH)
    ]


CASES = _cases()


def _asked(flow: Flow, question: Question, lang: Lang) -> SessionState:
    answers = {}  # the question shown as it is first asked
    return SessionState(
        flow_id=flow.id,
        flow_version=flow.version,
        status=Status.ACTIVE,
        lang=lang,
        current=question.id,
        history=(flow.questions[0].id,) if flow.questions[0].id != question.id else (),
        answers=answers,
    )


def _question_reply(
    flow: Flow, question: Question, selected: tuple[str, ...] | None = None
) -> AskQuestion:
    number = numbering.label(flow, question.id)
    return AskQuestion(
        question,
        number,
        numbering.total(flow),
        last_step=number is None,
        current=None,
        optional=not question.required,
        selected=selected,
    )


def _contents(text: str) -> list[str]:
    return [unquote(c) for c in CONTENT.findall(text)]


def _accepted(flow: Flow, state: SessionState, content: str) -> bool:
    result = step(flow, state, Inbound(now=NOW, text=content))
    return not REFUSALS & {template_name(r) for r in result.replies}


def test_every_shipped_survey_is_covered() -> None:
    assert len(SURVEYS) >= 2 and len(CASES) > 60


@pytest.mark.parametrize(
    ("flow", "question", "lang"),
    CASES,
    ids=[f"{f.id}-{q.id}-{lang.value}" for f, q, lang in CASES],
)
def test_each_question_fits_and_each_link_is_accepted(
    flow: Flow, question: Question, lang: Lang
) -> None:
    renderer = Renderer()
    state = _asked(flow, question, lang)
    drafts: list[tuple[str, ...] | None] = [None]
    if question.type is QuestionType.MULTI:
        # The longest tapped selection the rules allow, and a single tap.
        plain = [o.id for o in question.options if not o.exclusive]
        drafts += [tuple(plain[: question.max_selected or len(plain)])]
        drafts += [(question.options[0].id,)]
    for draft in drafts:
        text = renderer.render(_question_reply(flow, question, draft), lang, links=True)
        assert len(text.encode("utf-8")) <= 2048, (question.id, lang)
        links = LINK.findall(text)
        contents = _contents(text)
        assert len(links) == len(contents) >= 2  # at least 返回 and 帮助
        if question.is_choice or question.type is QuestionType.YES_NO:
            assert len(contents) > len(question.options)  # every option is a link
        for content in contents:
            assert _accepted(flow, state, content), (question.id, lang, content)


def test_typed_numbers_stay_visible_beside_the_links() -> None:
    flow = load_flow(DEFAULT_FLOW)
    question = next(q for q in flow.questions if q.type is QuestionType.SINGLE)
    text = Renderer().render(_question_reply(flow, question), Lang.BOTH, links=True)
    for i in range(1, len(question.options) + 1):
        assert f"\n{i}. <a href=" in text


def test_without_links_no_markup_is_rendered() -> None:
    """Telegram and the console: buttons or typing, never WeChat markup."""
    renderer = Renderer()
    for flow, question, lang in CASES:
        text = renderer.render(_question_reply(flow, question), lang)
        assert "<a " not in text and "weixin://" not in text


def test_a_tapped_selection_shows_marks_and_a_done_link_that_submits_it() -> None:
    flow = load_flow(DEFAULT_FLOW)
    question = next(q for q in flow.questions if q.type is QuestionType.MULTI)
    first, second = question.options[0].id, question.options[1].id
    reply = _question_reply(flow, question, selected=(first, second))
    text = Renderer().render(reply, Lang.EN, links=True)
    assert "1. ☑ <a" in text and "2. ☑ <a" in text and "3. <a" in text
    contents = _contents(text)
    assert "1,2" in contents  # Done
    assert "☑ 2" in contents and "☑ 1" in contents  # untapping one keeps the other
    assert "☑ 1,2,3" in contents  # tapping a third adds it
