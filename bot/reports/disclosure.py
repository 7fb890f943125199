"""What a respondent may be told about a group's answers: the privacy rule (pure).

docs/snapshots.md explains it with examples. In short, every figure is about one
question and states its base (the respondents who answered it, the viewer included),
and the viewer knows their own answer, so a figure really tells them about the *others*:
`x` of the `n = base - 1` others chose the option.

- Nothing is shown about a group smaller than `min_group` (k; segments: `min_segment`),
  nor smaller than `min_cell + 2` (else "most" could only mean "all"); `min_cell` is 2
  at least (a "few" of at most 0 would be exact).
- A count is shown exactly only when `min_cell <= x <= n - min_cell`; otherwise it is
  coarsened: "a few" (x below min_cell: at most min_cell - 1 others, possibly none) or
  "most" (all but at most min_cell - 1 others).
- "Nobody else chose it" (x = 0, the viewer's own option) is said only when it cannot
  pin down anyone's answer: the others still had at least two answers to choose from.

`tests/bot/test_disclosure.py` proves it by brute force: for random small groups, no
figure set this module returns, with the viewer's answer, is consistent only with worlds
in which another member's answer is always the same.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from math import comb

from flows.model import Question, QuestionType

_WHOLE = Decimal(1)
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Thresholds:
    min_group: int = 5  # k: respondents of a question before anything is shown
    min_segment: int = 10  # k for a peer segment's figures
    min_cell: int = 3  # a count, or its complement, below this is coarsened


class Shown(StrEnum):
    EXACT = "exact"  # the count and its percentage
    ALONE = "alone"  # the viewer's own option, nobody else chose it
    FEW = "few"  # fewer than min_cell others
    MOST = "most"  # all but fewer than min_cell others


@dataclass(frozen=True)
class Figure:
    option_id: str
    shown: Shown
    mine: bool
    count: int | None = None  # exact only: respondents who chose it, the viewer included
    others: int | None = None  # exact only: count without the viewer
    pct: str | None = None  # exact only: count of the base, formatted (`percent_text`)


@dataclass(frozen=True)
class QuestionFigures:
    question_id: str
    base: int  # respondents of the question, the viewer included
    figures: tuple[Figure, ...]

    @property
    def coarse(self) -> bool:
        return any(f.shown in (Shown.FEW, Shown.MOST) for f in self.figures)


def percent_text(part: int, whole: int) -> str:
    """Whole percentages below 100 respondents, one decimal from 100 on (rounded half
    up): two decimals on five people claim a precision the figure does not have."""
    if whole <= 0:
        return "0"
    step = _WHOLE if whole < 100 else _TENTH
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(step, rounding=ROUND_HALF_UP))


def _option_ids(question: Question) -> tuple[str, ...]:
    return tuple(o.id for o in question.options)


def _answers_left(question: Question, excluded: Collection[str]) -> int:
    """How many answers (2 at most: enough to tell) remain without the `excluded` options."""
    rest = [o for o in _option_ids(question) if o not in excluded]
    if question.type is not QuestionType.MULTI:
        return min(len(rest), 2)
    low = max(1, question.min_selected)
    high = min(len(rest), question.max_selected or len(rest))
    return min(sum(comb(len(rest), size) for size in range(low, high + 1)), 2)


def figure(option_id: str, count: int, base: int, mine: bool, min_cell: int) -> Figure:
    """One option's figure for a viewer in the base (`count` includes the viewer)."""
    others, n = count - int(mine), base - 1
    if min_cell <= others <= n - min_cell:
        return Figure(option_id, Shown.EXACT, mine, count, others, percent_text(count, base))
    if others == 0 and mine:
        return Figure(option_id, Shown.ALONE, mine)  # kept only if `_alone_is_safe`
    return Figure(option_id, Shown.FEW if others < min_cell else Shown.MOST, mine)


def _alone_is_safe(question: Question, figures: Sequence[Figure]) -> bool:
    """Whether "nobody else chose it", said of every such option together, still leaves
    the others at least two possible answers (so it reveals nobody's)."""
    alone = {f.option_id for f in figures if f.shown is Shown.ALONE}
    return not alone or _answers_left(question, alone) >= 2


def question_figures(
    question: Question,
    counts: Mapping[str, int],
    base: int,
    mine: Collection[str],
    *,
    min_group: int,
    min_cell: int,
    options: Sequence[str] | None = None,
    top: int | None = None,
) -> QuestionFigures | None:
    """The figures a viewer who answered `question` with `mine` may see, or None (group
    too small). `options`: only these (the snapshot after an answer: the viewer's
    choices); `top`: the leading N, the viewer's own choices always added."""
    # "Most" must be at least two counts wide, or it would mean "all of them".
    if base < max(min_group, min_cell + 2) or min_cell < 2:
        return None
    ids = _option_ids(question) if options is None else tuple(options)
    # Every option's figure first: whether "nobody else" may be said depends on all.
    every = [
        figure(o.id, counts.get(o.id, 0), base, o.id in mine, min_cell) for o in question.options
    ]
    if not _alone_is_safe(question, every):
        every = [replace(f, shown=Shown.FEW) if f.shown is Shown.ALONE else f for f in every]
    figures = [f for f in every if f.option_id in ids]
    if top is not None:
        figures = _leading(figures, top)
    return QuestionFigures(question.id, base, tuple(figures)) if figures else None


def _leading(figures: list[Figure], top: int) -> list[Figure]:
    """The `top` leading figures, ranked on what is shown only (most, then exact counts
    in flow order on ties), plus the viewer's own choices: the ranking tells no more than
    the figures themselves. "A few" leads nothing: listed only as the viewer's choice."""
    order = {Shown.MOST: 0, Shown.EXACT: 1, Shown.FEW: 2, Shown.ALONE: 2}
    ranked = sorted(
        enumerate(figures), key=lambda item: (order[item[1].shown], -(item[1].count or 0), item[0])
    )
    leading = [index for index, f in ranked if f.shown in (Shown.MOST, Shown.EXACT)][:top]
    picked = set(leading) | {index for index, f in enumerate(figures) if f.mine}
    return [f for index, f in ranked if index in picked]
