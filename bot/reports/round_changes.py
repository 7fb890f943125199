"""“What changed since last round” for one question: who changed, and from → to.

Pure: takes the (earlier answer, answer now) pairs of `storage.rounds.round_pairs`
and the survey's `previous_round` mapping; `/changes N` and the tests use it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.reports.labels import option_text
from bot.reports.text_report import option_label
from flows.model import Flow, Question
from flows.state import Answer
from storage.aggregates import percent

__all__ = ["ChangeReport", "Transition", "change_report"]


@dataclass(frozen=True)
class Transition:
    before: str  # the earlier answer's label, in this survey's words where mapped
    after: str
    count: int
    changed: bool


@dataclass(frozen=True)
class ChangeReport:
    respondents: int  # answered the question in both rounds
    changed: int
    pct_changed: Decimal
    transitions: tuple[Transition, ...]  # most frequent first


def change_report(
    flow: Flow, question: Question, earlier_question: str, pairs: Sequence[tuple[Answer, Answer]]
) -> ChangeReport:
    rules = flow.previous_round
    counts: Counter[tuple[str, str, bool]] = Counter()
    for then, now in pairs:
        if rules is not None:
            mapped = tuple(rules.option(earlier_question, o) for o in then.options)
            then = Answer(mapped, then.text, then.original)
        differs = set(then.options) != set(now.options) or then.text != now.text
        counts[(_label(question, then), _label(question, now), differs)] += 1
    changed = sum(n for (_, _, c), n in counts.items() if c)
    transitions = tuple(
        Transition(before, after, n, c)
        for (before, after, c), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return ChangeReport(len(pairs), changed, percent(changed, len(pairs)), transitions)


def _label(question: Question, answer: Answer) -> str:
    if answer.options:
        in_order = [o.id for o in question.options if o.id in answer.options]
        unknown = [o for o in answer.options if question.option(o) is None]
        return "; ".join(option_label(option_text(question, o)) for o in [*in_order, *unknown])
    text = answer.text or ""
    return f"{text} {question.unit}" if question.unit and text else text
