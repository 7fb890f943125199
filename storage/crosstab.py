"""Cross-tabulation of two questions from the answer rows (e.g. methodology by OEM/supplier).

Counted per respondent (survey session), not per selection: a cell is how many
respondents chose row option R *and* column option C. A column's base is how many
respondents chose C and answered the row question at all, so a cell's share is "of the
suppliers who answered, x % use ISO14064" (multiple choice columns may exceed 100 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, distinct, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import choice_masks
from storage.filters import NO_FILTER, ReportFilter, answer_condition
from storage.models import Answer


@dataclass(frozen=True)
class CrossTab:
    flow_id: str
    row_question: str
    col_question: str
    cells: dict[tuple[str, str], int]  # (row option, column option) → respondents
    col_bases: dict[str, int]  # column option → respondents who also answered the row question
    respondents: int  # answered both questions


def crosstab(
    *,
    session: Session,
    flow_id: str,
    row_question: str,
    col_question: str,
    report_filter: ReportFilter = NO_FILTER,
) -> CrossTab:
    if session.get_bind().dialect.name == "postgresql":
        # One scan of the sessions' choice masks (storage.choice_masks); from the answer
        # rows when a question has more options than a mask holds.
        found = choice_masks.option_sets(
            session, flow_id, row_question, col_question, report_filter
        )
        if found is None:
            found = in_one_pass(session, flow_id, row_question, col_question, report_filter)
        return _expanded(flow_id, row_question, col_question, found)
    return from_rows(session, flow_id, row_question, col_question, report_filter)


def from_rows(
    session: Session,
    flow_id: str,
    row_question: str,
    col_question: str,
    report_filter: ReportFilter = NO_FILTER,
) -> CrossTab:
    """Three statements on the answer rows (SQLite; on PostgreSQL the reference the tests
    hold the faster ways to)."""
    rows = aliased(Answer)
    cols = aliased(Answer)
    same_respondent = col(cols.session_id) == col(rows.session_id)
    answered_both: tuple[ColumnElement[bool], ...] = (
        col(rows.flow_id) == flow_id,
        col(cols.flow_id) == flow_id,
        col(rows.question_id) == row_question,
        col(cols.question_id) == col_question,
    )
    kept = answer_condition(col(rows.respondent_id), col(rows.session_id), flow_id, report_filter)
    answered_both = (*answered_both, kept)
    respondents = func.count(distinct(col(rows.session_id)))
    cells = session.exec(
        select(rows.option_id, cols.option_id, respondents)
        .select_from(rows)
        .join(cols, same_respondent)
        .where(*answered_both, col(rows.option_id).is_not(None), col(cols.option_id).is_not(None))
        .group_by(col(rows.option_id), col(cols.option_id))
    ).all()
    bases = session.exec(
        select(cols.option_id, respondents)
        .select_from(rows)
        .join(cols, same_respondent)
        .where(*answered_both, col(cols.option_id).is_not(None))
        .group_by(col(cols.option_id))
    ).all()
    total = session.exec(
        select(respondents).select_from(rows).join(cols, same_respondent).where(*answered_both)
    ).one()
    return CrossTab(
        flow_id=flow_id,
        row_question=row_question,
        col_question=col_question,
        cells={(r, c): int(n) for r, c, n in cells if r is not None and c is not None},
        col_bases={c: int(n) for c, n in bases if c is not None},
        respondents=int(total),
    )


def in_one_pass(
    session: Session,
    flow_id: str,
    row_question: str,
    col_question: str,
    report_filter: ReportFilter,
) -> choice_masks.OptionSets:
    """PostgreSQL: each session's options of each question as one string (option ids are
    slugs, so a space separates them; free text rows, option NULL, add none), read in
    session order from ix_answer_flow_question_session so the two questions and an answer
    filter meet in merge joins; then the respondents per pair of option sets: a few dozen
    rows, expanded into cells, bases and the total by `_expanded`. No join of the raw answer rows,
    no sort, no distinct count. (string_agg: a third cheaper than array_agg per session.)"""
    rows = aliased(Answer)
    kept = answer_condition(col(rows.respondent_id), col(rows.session_id), flow_id, report_filter)
    row_sets = _option_sets(rows, flow_id, row_question, kept)
    col_sets = _option_sets(aliased(Answer), flow_id, col_question)
    # The planner guesses far fewer sessions than there are (1M) and would hash one side
    # (1.3 s at a million); both sides come in session order, so merge them. Only for
    # this statement: the rest of the transaction plans as before.
    hash_joins = session.exec(select(func.current_setting("enable_hashjoin"))).one()
    session.exec(select(func.set_config("enable_hashjoin", "off", True)))
    found = session.exec(
        select(row_sets.c.options, col_sets.c.options, func.count())
        .select_from(row_sets)
        .join(col_sets, col_sets.c.session_id == row_sets.c.session_id)
        .group_by(row_sets.c.options, col_sets.c.options)
    ).all()
    session.exec(select(func.set_config("enable_hashjoin", hash_joins, True)))
    return [
        (frozenset((r or "").split()), frozenset((c or "").split()), int(n)) for r, c, n in found
    ]


def _option_sets(
    answers: type[Answer], flow_id: str, question_id: str, *where: ColumnElement[bool]
) -> Subquery:
    """session_id, options: each session's options of the question, space-separated."""
    return (
        select(
            col(answers.session_id).label("session_id"),
            func.string_agg(answers.option_id, " ").label("options"),
        )
        .where(col(answers.flow_id) == flow_id, col(answers.question_id) == question_id, *where)
        .group_by(col(answers.session_id))
        .subquery()
    )


def _expanded(
    flow_id: str, row_question: str, col_question: str, found: choice_masks.OptionSets
) -> CrossTab:
    """Respondents per pair of option sets (a few dozen) → cells, bases and the total."""
    cells: dict[tuple[str, str], int] = {}
    bases: dict[str, int] = {}
    total = 0
    for chosen_rows, chosen_cols, n in found:
        for c in chosen_cols:
            bases[c] = bases.get(c, 0) + n
            for r in chosen_rows:
                cells[(r, c)] = cells.get((r, c), 0) + n
        total += n
    return CrossTab(flow_id, row_question, col_question, cells, bases, total)
