"""Cross-tabulation of two questions from the answer rows (e.g. methodology by OEM/supplier).

Counted per respondent (survey session), not per selection: a cell is how many
respondents chose row option R *and* column option C. A column's base is how many
respondents chose C and answered the row question at all, so a cell's share is "of the
suppliers who answered, x % use ISO14064" (multiple choice columns may exceed 100 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, distinct, func, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

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
    if session.get_bind().dialect.name == "postgresql":
        return _in_one_pass(session, flow_id, row_question, col_question, rows, cols, answered_both)
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


def _in_one_pass(
    session: Session,
    flow_id: str,
    row_question: str,
    col_question: str,
    rows: type[Answer],
    cols: type[Answer],
    answered_both: tuple[ColumnElement[bool], ...],
) -> CrossTab:
    """PostgreSQL: cells, bases and total from one join (GROUPING SETS), not three; the
    join of two questions' answer rows is what costs at a million respondents."""
    r, c = col(rows.option_id), col(cols.option_id)
    found = session.exec(
        select(r, c, func.grouping(r, c), func.count(distinct(col(rows.session_id))))
        .select_from(rows)
        .join(cols, col(cols.session_id) == col(rows.session_id))
        .where(*answered_both)
        .group_by(func.grouping_sets(tuple_(r, c), tuple_(c), tuple_()))
    ).all()
    cells: dict[tuple[str, str], int] = {}
    bases: dict[str, int] = {}
    total = 0
    for row_option, col_option, grouped, n in found:
        if grouped == 0 and row_option is not None and col_option is not None:
            cells[(row_option, col_option)] = int(n)
        elif grouped == 2 and col_option is not None:  # (column option) alone
            bases[col_option] = int(n)
        elif grouped == 3:  # ()
            total = int(n)
    return CrossTab(flow_id, row_question, col_question, cells, bases, total)
