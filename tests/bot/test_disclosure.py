"""The privacy rule (bot.reports.disclosure): figures on a named base, and never enough, with the
viewer's own answer, to tell how another member of a small group answered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations, combinations_with_replacement

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reports.disclosure import Shown, Thresholds, percent_text, question_figures
from flows.model import NO, YES, Option, Question, QuestionType, Text

Answer = frozenset[str]


def make_question(kind: QuestionType, n_options: int, min_selected: int = 1) -> Question:
    if kind is QuestionType.YES_NO:
        ids: Sequence[str] = (YES, NO)
    else:
        ids = [f"o{i}" for i in range(n_options)]
    options = tuple(Option(i, Text(i, i)) for i in ids)
    return Question("q", kind, Text("q", "q"), options=options, min_selected=min_selected)


def possible_answers(question: Question) -> list[Answer]:
    ids = [o.id for o in question.options]
    if question.type is not QuestionType.MULTI:
        return [frozenset({i}) for i in ids]
    return [
        frozenset(c)
        for size in range(max(1, question.min_selected), len(ids) + 1)
        for c in combinations(ids, size)
    ]


def shown(question: Question, viewer: Answer, others: Sequence[Answer], top: int, cell: int):  # type: ignore[no-untyped-def]
    """Everything a viewer is told about the question: the snapshot after their answer
    and the summary row (the two texts' figures together: the worst case)."""
    counts = Counter(o for answer in (viewer, *others) for o in answer)
    base = len(others) + 1
    snapshot = question_figures(
        question, counts, base, viewer, min_group=5, min_cell=cell, options=sorted(viewer)
    )
    summary = question_figures(question, counts, base, viewer, min_group=5, min_cell=cell, top=top)
    return snapshot, summary


@st.composite
def groups(draw: st.DrawFn) -> tuple[Question, Answer, tuple[Answer, ...], int, int]:
    kind = draw(st.sampled_from([QuestionType.SINGLE, QuestionType.YES_NO, QuestionType.MULTI]))
    n_options = draw(st.integers(2, 3 if kind is QuestionType.MULTI else 4))
    min_selected = draw(st.integers(1, 2)) if kind is QuestionType.MULTI else 1
    question = make_question(kind, n_options, min(min_selected, n_options - 1))
    answers = possible_answers(question)  # two at least: no question's answer is a given
    others = draw(st.integers(4, 8 if kind is QuestionType.MULTI else 11))
    viewer = draw(st.sampled_from(answers))
    group = tuple(draw(st.lists(st.sampled_from(answers), min_size=others, max_size=others)))
    top = draw(st.integers(1, n_options))
    cell = draw(st.integers(2, 4))
    return question, viewer, group, top, cell


@settings(max_examples=300, deadline=None)
@given(groups())
def test_no_figure_tells_a_viewer_another_member_s_answer(
    case: tuple[Question, Answer, tuple[Answer, ...], int, int],
) -> None:
    question, viewer, others, top, cell = case
    seen = shown(question, viewer, others, top, cell)
    # Every world the viewer cannot tell from the real one (the others' answers as a
    # multiset: figures depend on counts only, so any member may hold any of its answers).
    consistent = [
        world
        for world in combinations_with_replacement(possible_answers(question), len(others))
        if shown(question, viewer, world, top, cell) == seen
    ]
    assert consistent  # the real world is one of them
    member_answers = {answer for world in consistent for answer in world}
    assert len(member_answers) >= 2, (seen, consistent)


def test_the_seen_case_nobody_else_chose_it_is_said_without_a_percentage() -> None:
    # Seen: "Of 5 respondents, 20.00% also chose Assy Components" about the viewer alone.
    question = make_question(QuestionType.MULTI, 4)
    counts = {"o0": 1, "o1": 3, "o2": 4}
    figures = question_figures(question, counts, 5, {"o0"}, min_group=5, min_cell=2, options=["o0"])
    assert figures is not None
    (alone,) = figures.figures
    assert alone.shown is Shown.ALONE and alone.pct is None and alone.count is None


def test_a_group_of_five_with_unanimous_others_is_coarsened() -> None:
    # Seen: "Compared with 5 suppliers like you … No 100.00%" told each supplier how the
    # other four answered.
    question = make_question(QuestionType.YES_NO, 2)
    figures = question_figures(question, {NO: 5}, 5, {NO}, min_group=5, min_cell=3)
    assert figures is not None
    assert [(f.option_id, f.shown) for f in figures.figures] == [
        (YES, Shown.FEW),
        (NO, Shown.MOST),
    ]
    assert question_figures(question, {NO: 4}, 4, {NO}, min_group=5, min_cell=3) is None


def test_exact_figures_name_count_and_base() -> None:
    question = make_question(QuestionType.SINGLE, 3)
    figures = question_figures(
        question, {"o0": 4, "o1": 4}, 8, {"o0"}, min_group=5, min_cell=3, options=["o0"]
    )
    assert figures is not None and figures.base == 8
    (mine,) = figures.figures
    assert (mine.shown, mine.count, mine.others, mine.pct) == (Shown.EXACT, 4, 3, "50")


def test_top_n_never_hides_the_viewer_s_choice() -> None:
    question = make_question(QuestionType.SINGLE, 4)
    counts = {"o0": 10, "o1": 9, "o2": 8, "o3": 3}
    figures = question_figures(question, counts, 30, {"o3"}, min_group=5, min_cell=3, top=2)
    assert figures is not None
    assert [f.option_id for f in figures.figures] == ["o0", "o1", "o3"]
    assert figures.figures[-1].mine


def test_percentages_whole_below_100_one_decimal_from_100() -> None:
    assert percent_text(4, 7) == "57"
    assert percent_text(1, 8) == "13"  # 12.5 rounds half up
    assert percent_text(1, 3) == "33"
    assert percent_text(1, 300) == "0.3"
    assert percent_text(2, 3000) == "0.1"
    assert percent_text(0, 0) == "0"


def test_default_thresholds() -> None:
    assert Thresholds() == Thresholds(min_group=5, min_segment=10, min_cell=3)
