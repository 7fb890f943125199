"""The numbers given to a numeric question, for sums, medians and quartiles.

A numeric answer is one row with the canonical number as its text and no option
(`flows.quantities`, `storage.answers`). The counters only count respondents, so the
figures are read from the rows: one query on `ix_answer_flow_question_option`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from storage.filters import NO_FILTER, ReportFilter, answer_condition
from storage.models import Answer

__all__ = ["numeric_values"]


def numeric_values(
    *,
    session: Session,
    flow_id: str,
    question_id: str,
    report_filter: ReportFilter = NO_FILTER,
) -> list[Decimal]:
    """Every number given to the question by the sessions the filter keeps (any order)."""
    kept = answer_condition(
        col(Answer.respondent_id), col(Answer.session_id), flow_id, report_filter
    )
    rows = session.exec(
        select(Answer.text).where(
            Answer.flow_id == flow_id,
            Answer.question_id == question_id,
            col(Answer.option_id).is_(None),
            col(Answer.text).is_not(None),
            kept,
        )
    ).all()
    values: list[Decimal] = []
    for text in rows:
        try:
            value = Decimal(text or "")
        except InvalidOperation:
            continue  # a text stored before the question became numeric: not a figure
        if value.is_finite():
            values.append(value)
    return values
