"""Question numbers: one label per question for everyone, the survey's own.

A flow file may give each question its `number` ("1" … "14", "10a" for a conditional
follow-up). Numbers never depend on answers: a branch that skips a question skips its
number, nothing is renumbered, so respondents, staff commands, reports and the
dashboard all say the same thing. Notes, the contact form and the organisation step
are outside the count.
A flow without numbers is numbered by position (1, 2, 3 … over the counted questions),
which is just as stable. Pure functions; `check_numbers` is part of `surveybot check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from flows.errors import Problem, question_place
from flows.model import Flow, Question
from flows.navigation import contact_form

# "10" or "10a": a whole number, optionally one lower-case letter for a follow-up.
LABEL = re.compile(r"([1-9][0-9]{0,3})([a-z]?)")


def counted(flow: Flow) -> list[Question]:
    """The questions that carry a number: not notes, the contact form or the organisation step."""
    return list(flow.derived("numbering.counted", lambda: _counted(flow)))


def _counted(flow: Flow) -> tuple[Question, ...]:
    form = {q.id for q in contact_form(flow)}
    if flow.organisation is not None:
        form |= set(flow.organisation.question_ids)
    return tuple(q for q in flow.questions if not q.is_note and q.id not in form)


def _step(flow: Flow, question: Question) -> str:
    rules = flow.organisation
    in_step = rules is not None and question.id in rules.question_ids
    return "organisation step" if in_step else "contact form"


def _declared(flow: Flow) -> bool:
    return any(q.number is not None for q in flow.questions)


def labels(flow: Flow) -> dict[str, str]:
    """Question id → its number label, for every counted question."""
    return dict(_labels(flow))


def _labels(flow: Flow) -> Mapping[str, str]:
    def compute() -> Mapping[str, str]:
        questions = counted(flow)
        if _declared(flow):
            found = {q.id: q.number for q in questions if q.number is not None}
        else:
            found = {q.id: str(i) for i, q in enumerate(questions, 1)}
        return MappingProxyType(found)

    return flow.derived("numbering.labels", compute)


def label(flow: Flow, question_id: str) -> str | None:
    """ "5", "10a", or None for a note or a contact-form question."""
    return _labels(flow).get(question_id)


def total(flow: Flow) -> int:
    """How many main questions the survey has ("of 14"); follow-ups ("10a") not counted."""
    return flow.derived(
        "numbering.total", lambda: sum(1 for value in _labels(flow).values() if value.isdigit())
    )


def find(flow: Flow, wanted: str) -> Question | None:
    """The question numbered `wanted` ("5", "10A", "10a"), or None."""
    key = wanted.strip().casefold()
    for qid, value in _labels(flow).items():
        if value == key:
            return flow.question(qid)
    return None


def check_numbers(flow: Flow) -> Iterator[Problem]:
    """Numbers are all given or all absent, well-formed, unique, in order, without gaps."""
    if not _declared(flow):
        return
    questions = counted(flow)
    numbered = {q.id for q in questions}
    previous: tuple[int, str] = (0, "")
    bases: set[int] = set()
    for index, question in enumerate(flow.questions):
        place = f"{question_place(index, question.id)}.number"
        if question.id not in numbered:
            if question.number is not None:
                what = "a note" if question.is_note else f"part of the {_step(flow, question)}"
                yield Problem(place, f"{what} has no number (it is outside the count)")
            continue
        if question.number is None:
            yield Problem(place, "missing: when one question is numbered, all must be")
            continue
        match = LABEL.fullmatch(question.number)
        if match is None:
            yield Problem(place, f"{question.number!r} is not a number like 5 or 10a")
            continue
        key = (int(match[1]), match[2])
        if key <= previous:
            yield Problem(place, f"{question.number!r} does not come after the previous number")
            continue
        if match[2]:
            if key[0] not in bases:
                yield Problem(place, f"{question.number!r} follows no question {key[0]}")
            elif not question.when:
                yield Problem(place, "a lettered number is for a conditional follow-up (when:)")
        else:
            expected = previous[0] + 1
            if key[0] != expected:
                yield Problem(place, f"expected {expected}, got {question.number!r} (no gaps)")
            bases.add(key[0])
        previous = key
