"""Peer segments of the completion summary, as counter contributions (pure).

A respondent's peers are the suppliers of the same commodity: a survey session is in
segment X when it answered `role` = `supplier` and chose X among its commodities (one
segment per commodity chosen). Storage keeps exact per-segment counters in the answer's
transaction, as it does for the whole survey: each step adds `delta(before, after)`, the
difference of what the session contributed before and after it. So the summary reads a
few counters however many respondents there are, instead of scanning answer rows.

A session contributes, for each of its segments:
- (segment, "", "") = 1: the segment's size;
- (segment, question, "") = 1 for each question it answered (any answer row);
- (segment, question, option) = 1 for each option it selected.
`Answered` is what the answer rows say: question id → selected option ids, for the
questions with at least one row (an option or a text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from flows.state import Answer

SEGMENT_WITHIN = ("role", "supplier")  # (question, option) every member answered
SEGMENT_BY = "commodity"  # one segment per option chosen here
RESPONDENTS = ""  # option id of "answered the question"; question id "" too: the size
SegmentKey = tuple[str, str, str]  # segment (option of SEGMENT_BY), question id, option id
Answered = Mapping[str, Collection[str]]


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


def segments_of(answered: Answered) -> tuple[str, ...]:
    """The segments a session is in (none: not a supplier, or no commodity yet)."""
    question_id, option_id = SEGMENT_WITHIN
    if option_id not in answered.get(question_id, ()):
        return ()
    return tuple(sorted(answered.get(SEGMENT_BY, ())))


def contributions(answered: Answered) -> Counter[SegmentKey]:
    """What one session adds to the segment counters."""
    out: Counter[SegmentKey] = Counter()
    for segment in segments_of(answered):
        out[(segment, RESPONDENTS, RESPONDENTS)] += 1
        for question_id, options in answered.items():
            out[(segment, question_id, RESPONDENTS)] += 1
            for option_id in set(options):
                out[(segment, question_id, option_id)] += 1
    return out


def delta(before: Answered, after: Answered) -> Counter[SegmentKey]:
    """The change to the segment counters when a session's answers go from `before` to
    `after` (zero entries left out)."""
    segments, segments_before = segments_of(after), segments_of(before)
    if not segments and not segments_before:
        return Counter()  # not a supplier with a commodity: the common case, no work
    if segments != segments_before:
        change = contributions(after)
        change.subtract(contributions(before))
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
