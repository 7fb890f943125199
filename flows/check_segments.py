"""Rules for the flow file's `segments:` declarations (peer comparisons).

A segment names choice questions and options that exist, and comes before what it
compares: the figures shown for a segment are those of the choice questions after its
last defining question (comparing a segment on the answer that defines it tells
nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

from flows.errors import Problem
from flows.model import Flow, Question, Segment


def compared_questions(flow: Flow, segment: Segment) -> tuple[Question, ...]:
    """The choice questions a segment's members are compared on, in flow order."""
    defining = [segment.by, *(q for q, _ in segment.within)]
    if not all(flow.has_question(q) for q in defining):
        return ()
    last = max(flow.position(q) for q in defining)
    return tuple(q for q in flow.questions[last + 1 :] if q.is_choice and q.snapshot)


def check_segments(flow: Flow, positions: dict[str, int]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, segment in enumerate(flow.segments):
        place = f"segments[{index}]"
        if segment.key in seen:
            yield Problem(place, f"the same segment as segments[{seen[segment.key]}]")
        seen.setdefault(segment.key, index)
        problems = list(_check_question(flow, positions, segment.by, f"{place}.by"))
        for question_id, option_id in segment.within:
            within = f"{place}.within.{question_id}"
            found = list(_check_question(flow, positions, question_id, within))
            problems += found
            if not found and flow.question(question_id).option(option_id) is None:
                problems.append(Problem(within, f"{question_id!r} has no option {option_id!r}"))
            if question_id == segment.by:
                problems.append(Problem(within, "a segment cannot be within its own `by`"))
        yield from problems
        if not problems and not compared_questions(flow, segment):
            yield Problem(
                place,
                "no choice question (with a snapshot) comes after the questions that define "
                "this segment: there is nothing to compare",
            )


def _check_question(
    flow: Flow, positions: dict[str, int], question_id: str, place: str
) -> Iterator[Problem]:
    if question_id not in positions:
        yield Problem(place, f"unknown question {question_id!r}")
    elif not flow.questions[positions[question_id]].is_choice:
        yield Problem(place, f"{question_id!r} is not a choice question")
