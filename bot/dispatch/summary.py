"""The completion summary's figures (also the menu's Results): everyone's, and the peers'
of the respondent's declared segment (`segments:` in the flow file).

Only the questions the respondent has answered are shown (no priming: figures of a
question not yet answered would sway the answer). When a peer segment is large enough,
its figures *replace* everyone's for the questions it compares, and the questions that
define it are left out of everyone's: both side by side would let the difference tell
the answers of the few outside the segment (docs/snapshots.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from bot.reports.disclosure import Figure, QuestionFigures, Thresholds, question_figures
from flows.check_segments import compared_questions
from flows.model import Flow, Question, Segment
from flows.state import SessionState
from storage.aggregates import RESPONDENTS
from storage.live_counts import live_counts, live_segment_stats

SUMMARY_TOP = 3  # options per question, the respondent's own always added


def figure_params(question: Question, figure: Figure) -> dict[str, Any]:
    option = question.option(figure.option_id)
    assert option is not None  # disclosure keeps only the question's options
    return {
        "text": option.text,
        "shown": figure.shown.value,
        "mine": figure.mine,
        "count": figure.count,
        "others": figure.others,
        "pct": figure.pct,
    }


def _row(question: Question, figures: QuestionFigures) -> dict[str, Any]:
    items = [figure_params(question, f) for f in figures.figures]
    return {"question": question, "base": figures.base, "figures": items}


def indexed(params: dict[str, Any]) -> dict[str, Any]:
    """`summary_params` with each row list also by question id (`row_of`; a question has
    one row at most): the completion message, walking the answers, finds each one's row
    at once instead of by a pass over all rows per answer (~1 ms a completion)."""
    segment = params["segment"]
    if segment is not None:
        segment = {**segment, "row_of": _by_question(segment["rows"])}
    return {**params, "row_of": _by_question(params["rows"]), "segment": segment}


def _by_question(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["question"].id: row for row in rows}


def summary_params(
    *,
    session: Session,
    flow: Flow,
    state: SessionState,
    thresholds: Thresholds,
    viewer: int | None = None,
) -> dict[str, Any]:
    """`viewer`: the respondent's survey session, which speaks for their unit when the
    survey counts per organisation or plant (storage.live_counts)."""
    answered = {q: a.options for q, a in state.answers.items() if a.options}
    asked = [q for q in flow.questions if q.is_choice and q.snapshot and q.id in answered]
    coarse = False
    segment = None
    covered: set[str] = set()
    for declared in flow.segments:
        found = _segment(session, flow, declared, answered, thresholds, viewer)
        if found is not None:
            segment, compared = found
            covered = {declared.by, *(q for q, _ in declared.within), *compared}
            coarse = any(f.coarse for f in compared.values())
            break
    by_question: dict[str, dict[str, int]] = {}
    counts_now = live_counts(session=session, flow=flow, viewer=viewer)
    for (question_id, option_id), n in counts_now.items():
        by_question.setdefault(question_id, {})[option_id] = n
    rows = []
    for question in asked:
        if question.id in covered:
            continue
        counts = by_question.get(question.id, {})
        figures = question_figures(
            question,
            counts,
            counts.get(RESPONDENTS, 0),
            set(answered[question.id]),
            min_group=thresholds.min_group,
            min_cell=thresholds.min_cell,
            top=SUMMARY_TOP,
        )
        if figures is not None:
            rows.append(_row(question, figures))
            coarse = coarse or figures.coarse
    return {
        "rows": rows,
        "segment": segment,
        "answered": bool(asked),
        "coarse": coarse,
        "at_most": thresholds.min_cell - 1,
        "counting": flow.counting.value,  # the base line names a unit rule
    }


def _segment(
    session: Session,
    flow: Flow,
    declared: Segment,
    answered: Mapping[str, tuple[str, ...]],
    thresholds: Thresholds,
    viewer: int | None,
) -> tuple[dict[str, Any], dict[str, QuestionFigures]] | None:
    """The first of the respondent's segments in this declaration with figures to show."""
    if not all(o in answered.get(q, ()) for q, o in declared.within):
        return None
    compared = [q for q in compared_questions(flow, declared) if q.id in answered]
    by = flow.question(declared.by)
    for option_id in answered.get(declared.by, ()):  # the core one first, as asked
        option = by.option(option_id)
        peers = live_segment_stats(
            session=session, flow=flow, declared=declared, option_id=option_id, viewer=viewer
        )
        if option is None or peers.respondents < thresholds.min_segment:
            continue
        shown: dict[str, QuestionFigures] = {}
        for question in compared:
            stats = peers.questions[question.id]
            figures = question_figures(
                question,
                {o.option_id: o.count for o in stats.options},
                stats.respondents,
                set(answered[question.id]),
                min_group=thresholds.min_segment,
                min_cell=thresholds.min_cell,
                top=SUMMARY_TOP,
            )
            if figures is not None:
                shown[question.id] = figures
        if shown:
            label = [_within_text(flow, q, o) for q, o in declared.within] + [option.text]
            rows = [_row(q, shown[q.id]) for q in compared if q.id in shown]
            return {"label": label, "respondents": peers.respondents, "rows": rows}, shown
    return None


def _within_text(flow: Flow, question_id: str, option_id: str) -> Any:
    option = flow.question(question_id).option(option_id)
    assert option is not None  # flows.check_segments
    return option.text
