"""Peer segments of the completion summary, as counter contributions (pure).

The segments are the flow file's `segments:` declarations (`flows.model.Segment`), e.g.
`{within: {role: supplier}, by: commodity}`: a survey session is in segment
`role=supplier/commodity:X` when it answered `role` = `supplier` and chose X among its
commodities (one segment per option chosen at `by`). Storage keeps exact per-segment
counters in the answer's transaction, as it does for the whole survey: each step adds
`delta(before, after)`, the difference of what the session contributed before and after
it. So the summary reads a few counters however many respondents there are, instead of
scanning answer rows.

A session contributes, for each of its segments:
- (segment, "", "") = 1: the segment's size;
- (segment, question, "") = 1 for each question it answered (any answer row);
- (segment, question, option) = 1 for each option it selected.
`Answered` is what the answer rows say: question id → selected option ids, for the
questions with at least one row (an option or a text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

from flows.model import Segment
from flows.state import Answer

RESPONDENTS = ""  # option id of "answered the question"; question id "" too: the size
SegmentKey = tuple[str, str, str]  # segment (`segment_id`), question id, option id
Answered = Mapping[str, Collection[str]]
Declared = Sequence[Segment]


def segment_id(segment: Segment, option_id: str) -> str:
    """The counters' name of one segment: the declaration's key and the `by` option."""
    return f"{segment.key}:{option_id}"


def answered_in_state(answers: Mapping[str, Answer]) -> dict[str, frozenset[str]]:
    """The `Answered` of a session state: answers without an option or a text (a skip)
    write no answer row, so they are left out."""
    return {
        question_id: frozenset(answer.options)
        for question_id, answer in answers.items()
        if answer.options or answer.text is not None
    }


def answered_in_rows(rows: Iterable[tuple[str, str | None]]) -> dict[str, frozenset[str]]:
    """The `Answered` of one session's answer rows, (question id, option id or None)."""
    out: dict[str, set[str]] = {}
    for question_id, option_id in rows:
        chosen = out.setdefault(question_id, set())
        if option_id is not None:
            chosen.add(option_id)
    return {question_id: frozenset(chosen) for question_id, chosen in out.items()}


def segments_of(answered: Answered, declared: Declared) -> tuple[str, ...]:
    """The segments a session is in (none: e.g. not a supplier, or no commodity yet)."""
    out: list[str] = []
    for segment in declared:
        if all(option_id in answered.get(q, ()) for q, option_id in segment.within):
            out += (segment_id(segment, option) for option in answered.get(segment.by, ()))
    return tuple(sorted(out))


def contributions(answered: Answered, declared: Declared) -> Counter[SegmentKey]:
    """What one session adds to the segment counters."""
    out: Counter[SegmentKey] = Counter()
    for segment in segments_of(answered, declared):
        out[(segment, RESPONDENTS, RESPONDENTS)] += 1
        for question_id, options in answered.items():
            out[(segment, question_id, RESPONDENTS)] += 1
            for option_id in set(options):
                out[(segment, question_id, option_id)] += 1
    return out


def delta(before: Answered, after: Answered, declared: Declared) -> Counter[SegmentKey]:
    """The change to the segment counters when a session's answers go from `before` to
    `after` (zero entries left out)."""
    if not declared:
        return Counter()
    segments, segments_before = segments_of(after, declared), segments_of(before, declared)
    if not segments and not segments_before:
        return Counter()  # in no segment (e.g. not a supplier): the common case, no work
    if segments != segments_before:
        change = contributions(after, declared)
        change.subtract(contributions(before, declared))
    else:  # the same segments (most steps): only the questions whose answer changed
        change = Counter()
        for question_id in _changed(before, after):
            for answered, sign in ((after, 1), (before, -1)):
                if question_id not in answered:
                    continue
                for segment in segments:
                    change[(segment, question_id, RESPONDENTS)] += sign
                    for option_id in set(answered[question_id]):
                        change[(segment, question_id, option_id)] += sign
    return Counter({key: n for key, n in change.items() if n})


def _changed(before: Answered, after: Answered) -> list[str]:
    """Questions answered in one and not the other, or with other options."""
    return [
        question_id
        for question_id in before.keys() | after.keys()
        if question_id not in before
        or question_id not in after
        or set(before[question_id]) != set(after[question_id])
    ]
