"""Fuzzing the input parsers with every question of the shipped flow.

Given any string (hostile text, or answers built from the questions' own options in
every width, case and separator), `parse_answer`, `parse_command`, `parse_language` and
`normalize` never raise; a `Parsed` answer obeys its question's rules; an `Invalid` one
carries the params its reason promises and renders as a reply.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.dispatch.render import Renderer
from flows.answer_parsing import Invalid, InvalidReason, Parsed, normalize, parse_answer
from flows.commands import Command, ParsedCommand, parse_command, parse_language
from flows.definition import load_flow
from flows.model import NO, YES, FieldKind, Lang, Option, Question, QuestionType, Text
from flows.parse_results import normalize_text
from flows.replies import InvalidAnswer
from flows.surveys import DEFAULT_FLOW
from tests.fuzz.strategies import HOSTILE_SNIPPETS, evaluated_probes, hostile_texts

FLOW = load_flow(DEFAULT_FLOW)
QUESTIONS = [q for q in FLOW.questions if q.type.value != "note"]
RENDERER = Renderer()
IMPLICIT_YES_NO = (Option(YES, Text("是", "Yes")), Option(NO, Text("否", "No")))

# What each reason's params must hold (flows/parse_results.py documents them for the templates).
PARAMS: dict[str, set[str]] = {
    "empty": set(),
    "not_an_option": {"count", "given"},
    "unknown_option": {"count", "given"},
    "partly_unknown": {"found", "given"},
    "ambiguous": {"candidates", "given"},
    "single_only": {"count"},
    "exclusive_combined": {"option"},
    "too_few": {"min"},
    "too_many": {"max"},
    "not_yes_no": set(),
    "too_long": {"max", "length"},
    "invalid_name": {"max"},
    "invalid_company": {"min", "max"},
    "company_is_code": set(),
    "not_a_name": {"given"},
    "invalid_phone": set(),
    "invalid_email": set(),
    "invalid_uscc": {"problem"},
    "not_integer": set(),
    "out_of_range": {"min", "max", "given"},
}
CHOICE_REASONS = {"not_an_option", "unknown_option", "partly_unknown", "ambiguous"} | {
    "single_only",
    "exclusive_combined",
    "too_few",
    "too_many",
}
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _options(question: Question) -> tuple[Option, ...]:
    return question.options or IMPLICIT_YES_NO


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@st.composite
def answers_to(draw: st.DrawFn, question: Question) -> str:
    """What respondents type: option numbers, texts (either language, a prefix, the
    numbered prompt line), mixed with hostile noise, joined by any separator."""
    options = _options(question)
    piece = st.one_of(
        st.integers(0, len(options) + 2).map(str),
        st.sampled_from(options).map(lambda o: o.text.zh),
        st.sampled_from(options).map(lambda o: o.text.en),
        st.sampled_from(options).map(lambda o: o.text.en[: max(1, len(o.text.en) // 2)]),
        st.sampled_from(list(enumerate(options, 1))).map(lambda p: f"{p[0]}. {p[1].text.zh}"),
        st.sampled_from(["是", "否", "yes", "no", "👍", "[强]", "none", "0"]),
        st.sampled_from(HOSTILE_SNIPPETS),
    )
    pieces = draw(st.lists(piece, min_size=1, max_size=5))
    sep = draw(st.sampled_from([",", "、", "，", " ", "\n", ";", "；", " , ", "\t", "\u3000"]))
    change = draw(st.sampled_from([str, str.upper, str.casefold, _full_width, " {} ".format]))
    return change(sep.join(pieces))


def _clean(text: str, *, keep: str = "\n") -> bool:
    """No control, format (bar ZWJ/ZWNJ) or surrogate characters."""
    return all(
        ch in keep or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
        for ch in text.replace("\u200c", "").replace("\u200d", "")
    )


def check_rules(question: Question, result: Parsed | Invalid) -> None:
    kind = question.type
    if isinstance(result, Invalid):
        reason = result.reason.value
        assert isinstance(result.reason, InvalidReason)
        assert set(result.params) == PARAMS[reason], (reason, result.params)
        if reason in CHOICE_REASONS:
            assert question.is_choice
        if reason == "not_yes_no":
            assert kind is QuestionType.YES_NO
        given = result.params.get("given")
        if isinstance(given, str):  # echoed into the reply: short and clean
            assert len(given) <= 40 and _clean(given, keep="")
        return
    if question.is_choice:
        ids = [o.id for o in _options(question)]
        assert result.text is None and result.options
        assert list(result.options) == [i for i in ids if i in result.options]  # ordered, unique
        if kind is not QuestionType.MULTI:
            assert len(result.options) == 1
        exclusive = [o.id for o in question.options if o.exclusive and o.id in result.options]
        if exclusive:
            assert result.options == tuple(exclusive) and len(exclusive) == 1
        else:
            assert len(result.options) >= question.min_selected
            assert question.max_selected is None or len(result.options) <= question.max_selected
        return
    text = result.text
    assert text is not None and text == text.strip() and not result.options
    field = question.field or FieldKind.TEXT
    if kind.value == "integer":
        value = int(text)
        assert str(value) == text
        assert question.min_value is None or value >= question.min_value
        assert question.max_value is None or value <= question.max_value
    elif kind is QuestionType.TEXT or field is FieldKind.TEXT:
        assert 0 < len(text) <= question.max_length
        assert _clean(text) and "\n\n\n" not in text
        assert normalize(text), "only invisible characters"  # the engine calls that empty
        assert text == unicodedata.normalize("NFC", text) == normalize_text(text)
    elif field is FieldKind.PHONE:
        assert _E164.fullmatch(text), text
    elif field is FieldKind.EMAIL:
        assert (
            "@" in text and len(text) <= question.max_length and not any(c.isspace() for c in text)
        )
    elif field is FieldKind.NAME:
        assert len(text) <= min(50, question.max_length) and _clean(text, keep="")
        assert any(unicodedata.category(c).startswith("L") for c in text)
    elif field is FieldKind.COMPANY:
        assert 2 <= len(text) <= min(100, question.max_length) and text.isprintable()


def _render_refusal(question: Question, result: Invalid, raw: str) -> None:
    reason, params = result.reason.value, dict(result.params)
    reply = InvalidAnswer(reason, params, question, 1, lang=Lang.BOTH)
    text = RENDERER.render(reply, Lang.BOTH)
    assert text and evaluated_probes(raw, text) == []


@settings(max_examples=1000, deadline=None)
@given(data=st.data())
def test_parse_answer_never_raises_and_obeys_each_questions_rules(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(QUESTIONS), label="question")
    raw = data.draw(st.one_of(hostile_texts, answers_to(question)), label="raw")
    _check_one(question, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "\x00",
        "9" * 5000,
        "1" * 4301,
        "１，２，３",
        "]]>{{ 7*7 }}",
        "¸",
        "a\n\n\n\nb",
        "\u200d",
        "\u200c \u200d",
    ],
)
def test_explicit_hostile_answers_to_every_question(raw: str) -> None:
    for question in QUESTIONS:
        _check_one(question, raw)


def _check_one(question: Question, raw: str) -> None:
    result = parse_answer(question, raw)
    assert isinstance(result, Parsed | Invalid)
    check_rules(question, result)
    if isinstance(result, Invalid):
        _render_refusal(question, result, raw)
        return
    # What was stored reads back as the same answer (it is shown and may be re-sent).
    if result.text is not None:
        assert parse_answer(question, result.text) == result
    else:
        numbers = [str(i) for i, o in enumerate(_options(question), 1) if o.id in result.options]
        assert parse_answer(question, ",".join(numbers)) == result


@settings(max_examples=800, deadline=None)
@given(raw=st.one_of(hostile_texts, st.text(), st.sampled_from(["修改 0", "修改 99999", "/lang"])))
@example(raw="change 9999")
@example(raw="/help@aiag_survey_bot!")
def test_commands_and_language_choices_never_raise(raw: str) -> None:
    command = parse_command(raw)
    assert command is None or isinstance(command, ParsedCommand)
    if command is not None:
        assert isinstance(command.command, Command)
        if command.command is Command.CHANGE:
            assert command.number is not None and 1 <= command.number <= 9999
        else:
            assert command.number is None
    language = parse_language(raw)
    assert language is None or isinstance(language, Lang)


@settings(max_examples=800, deadline=None)
@given(raw=st.one_of(hostile_texts, st.text()))
def test_normalize_gives_one_clean_line(raw: str) -> None:
    line = normalize(raw)
    assert line == line.strip() and "  " not in line and "\n" not in line
    assert _clean(line, keep="")
    assert normalize(line) == line
