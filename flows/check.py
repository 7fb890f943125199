"""Semantic rules for flows: the mistakes that well-formed YAML can still contain.

`check_flow` is pure and works on any `Flow` (loaded or built in code); the loader runs
it so the engine never meets a dangling condition mid-conversation. `check_file` is what
`surveybot check` runs: structure and semantics, problems returned as data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from flows.check_conditions import SINGLE_ANSWER, a_kind, check_conditions
from flows.check_organisation import check_organisation
from flows.check_segments import check_segments
from flows.errors import FlowFileError, Problem, question_place
from flows.model import NO, SPEC_VERSION, YES, FieldKind, Flow, Question, QuestionType, Text
from flows.numbering import check_numbers
from flows.rounds import check_previous_round
from flows.units import DECLARED_UNITS, declared_unit

# Ids are stored with every answer forever: keep them plain ASCII snake_case.
_SLUG = re.compile(r"[a-z][a-z0-9_]*")
_LANGUAGES = (("zh", "Chinese"), ("en", "English"))


def check_file(path: Path | str) -> list[Problem]:
    """Every problem in a flow file; never raises for bad content or an unreadable file."""
    # Imported here: definition.py runs check_flow on every load, so it imports this module.
    from flows.definition import load_flow

    try:
        load_flow(path)
    except FlowFileError as error:
        return error.problems
    except OSError as error:
        return [Problem(str(path), f"cannot read the file: {error.strerror or error}")]
    return []


def check_flow(flow: Flow) -> list[Problem]:
    """Every semantic problem in `flow`, each with the place an author would edit."""
    positions: dict[str, int] = {}  # question id → first index
    problems = list(_check_header(flow))
    for index, question in enumerate(flow.questions):
        place = question_place(index, question.id)
        if question.id in positions:
            first = question_place(positions[question.id], question.id)
            problems.append(Problem(f"{place}.id", f"duplicate question id (first at {first})"))
        else:
            positions[question.id] = index
        problems += _check_question(question, place)
    problems += check_conditions(flow, positions)
    for index, question in enumerate(flow.questions):
        problems += _check_required_unless(question, index, positions)
    problems += _check_contact(flow, positions)
    problems += check_segments(flow, positions)
    problems += check_previous_round(flow)
    problems += check_organisation(flow, positions)
    problems += check_numbers(flow)
    return problems


def _check_header(flow: Flow) -> Iterator[Problem]:
    if flow.spec_version != SPEC_VERSION:
        yield Problem(
            "spec_version", f"unsupported {flow.spec_version}; this reader knows {SPEC_VERSION}"
        )
    yield from _check_slug(flow.id, "id")
    if flow.version < 1:
        yield Problem("version", f"must be 1 or more, got {flow.version}")
    for name in ("title", "preface", "closing", "followup"):
        text = getattr(flow, name)
        if text is not None:
            yield from _check_text(text, name)
    if flow.next is not None:
        yield from _check_slug(flow.next, "next")
        if flow.next == flow.id:
            yield Problem("next", "a flow cannot be offered after itself")
    if not 0 < flow.reminder_after_hours < 48:
        # WeChat allows customer-service messages only within 48 h of the user's last one.
        yield Problem(
            "reminder_after_hours",
            f"must be more than 0 and less than 48, got {flow.reminder_after_hours:g}",
        )
    if not flow.questions:
        yield Problem("questions", "a flow needs at least one question")
    elif all(question.is_note for question in flow.questions):
        yield Problem("questions", "a flow needs at least one question to answer, not only notes")


def _check_slug(value: str, place: str) -> Iterator[Problem]:
    if not _SLUG.fullmatch(value):
        yield Problem(place, f"{value!r} is not a slug (lower-case ASCII letters, digits, _)")


def _check_text(text: Text, place: str) -> Iterator[Problem]:
    for lang, name in _LANGUAGES:
        if not getattr(text, lang).strip():
            yield Problem(f"{place}.{lang}", f"missing {name} text")


def _check_question(question: Question, place: str) -> Iterator[Problem]:
    yield from _check_slug(question.id, f"{place}.id")
    yield from _check_text(question.text, f"{place}.text")
    if question.notice is not None:
        yield from _check_text(question.notice, f"{place}.notice")
    if question.constraint_message is not None:
        yield from _check_text(question.constraint_message, f"{place}.constraint_message")
    yield from _check_note_and_integer(question, place)
    kind = question.type.value
    if question.type is QuestionType.FIELD and question.field is None:
        kinds = ", ".join(FieldKind)
        yield Problem(f"{place}.field", f"a field question needs a field kind ({kinds})")
    elif question.type is not QuestionType.FIELD and question.field is not None:
        yield Problem(f"{place}.field", f"only field questions take a field kind, not {kind}")
    if not question.is_choice:
        if question.options:
            yield Problem(f"{place}.options", f"{a_kind(kind)} question takes no options")
        if question.max_length < 1:
            yield Problem(f"{place}.max_length", f"must be 1 or more, got {question.max_length}")
        return
    yield from _check_options(question, place)
    yield from _check_selection(question, place)


def _check_note_and_integer(question: Question, place: str) -> Iterator[Problem]:
    low, high = question.min_value, question.max_value
    if not question.is_numeric:
        for key in ("min_value", "max_value", "unit"):
            if getattr(question, key) is not None:
                yield Problem(f"{place}.{key}", f"only integer and decimal questions take {key}")
    elif low is not None and high is not None and low > high:
        yield Problem(f"{place}.min_value", f"is more than max_value ({low} > {high})")
    if question.unit is not None and declared_unit(question.unit) is None:
        units = ", ".join(DECLARED_UNITS)
        yield Problem(f"{place}.unit", f"unknown unit {question.unit!r}; one of {units}")
    if question.is_note:
        # A note is shown and passed: nothing to refuse, nothing to show before it.
        for key in ("notice", "constraint_message", "required_unless"):
            if getattr(question, key) is not None:
                yield Problem(f"{place}.{key}", f"a note takes no {key}; put it in its text")


def _check_options(question: Question, place: str) -> Iterator[Problem]:
    ids = [option.id for option in question.options]
    if question.type is QuestionType.YES_NO and sorted(ids) != sorted((YES, NO)):
        yield Problem(f"{place}.options", f"a yes_no question's options must be {YES!r} and {NO!r}")
    elif len(ids) < 2:
        yield Problem(
            f"{place}.options", f"a choice question needs at least 2 options, has {len(ids)}"
        )
    for k, option in enumerate(question.options):
        option_place = f"{place}.options[{k}]"
        yield from _check_slug(option.id, f"{option_place}.id")
        if option.id in ids[:k]:
            first = ids.index(option.id)
            yield Problem(f"{option_place}.id", f"duplicate option id (first at options[{first}])")
        yield from _check_text(option.text, f"{option_place}.text")
        yield from _check_aliases(question, k, option_place)
        if option.exclusive and question.type in SINGLE_ANSWER:
            yield Problem(
                f"{option_place}.exclusive",
                f"only multiple_choice options can be exclusive; a {question.type.value} "
                "question has one answer anyway",
            )


def _check_aliases(question: Question, k: int, place: str) -> Iterator[Problem]:
    """An alias must point at one option only: not another option's text or alias."""
    option = question.options[k]
    for alias in option.aliases:
        key = alias.strip().casefold()
        if not key:
            yield Problem(f"{place}.aliases", "an alias cannot be empty")
            continue
        for other in question.options:
            if other is option:
                continue
            forms = {other.text.zh.casefold(), other.text.en.casefold()}
            forms |= {a.strip().casefold() for a in other.aliases}
            if key in forms:
                yield Problem(f"{place}.aliases", f"{alias!r} also names option {other.id!r}")


def _check_selection(question: Question, place: str) -> Iterator[Problem]:
    low, high, count = question.min_selected, question.max_selected, len(question.options)
    if low < 0:
        yield Problem(f"{place}.min_selected", f"must be 0 or more, got {low}")
    elif high is not None and low > high:
        yield Problem(f"{place}.min_selected", f"is more than max_selected ({low} > {high})")
    elif low > count:
        yield Problem(
            f"{place}.min_selected", f"is more than the number of options ({low} > {count})"
        )
    if high is not None and high > count:
        yield Problem(
            f"{place}.max_selected", f"is more than the number of options ({high} > {count})"
        )


def _check_required_unless(
    question: Question, index: int, positions: dict[str, int]
) -> Iterator[Problem]:
    other = question.required_unless
    if other is None:
        return
    place = f"{question_place(index, question.id)}.required_unless"
    if other not in positions:
        yield Problem(place, f"unknown question {other!r}")
    elif positions[other] >= index:
        yield Problem(
            place, f"{other!r} is not an earlier question; it must be asked before this one"
        )


def _check_contact(flow: Flow, positions: dict[str, int]) -> Iterator[Problem]:
    rules = flow.contact
    if rules is None:
        return
    if rules.question not in positions:
        yield Problem("contact.question", f"unknown question {rules.question!r}")
    else:
        question = flow.questions[positions[rules.question]]
        if not question.is_choice:
            yield Problem("contact.question", f"{rules.question!r} is not a choice question")
        for key in ("right_now", "updates", "on_request"):
            option = getattr(rules, key)
            if option is not None and question.option(option) is None:
                yield Problem(f"contact.{key}", f"{rules.question!r} has no option {option!r}")
    for k, detail in enumerate(rules.detail_questions):
        if detail not in positions:
            yield Problem(f"contact.details[{k}]", f"unknown question {detail!r}")
        elif flow.questions[positions[detail]].is_note:
            yield Problem(f"contact.details[{k}]", f"{detail!r} is a note; details are answered")
