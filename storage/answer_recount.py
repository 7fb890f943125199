"""The live counters as they should be, counted from the answer rows (slow, exact).

Used where the counters cannot answer (a filter that keeps some sessions only:
`storage.aggregates.question_stats`) and to check them (`storage.consistency`).
"""

from __future__ import annotations

from sqlalchemy import and_, distinct, func
from sqlmodel import Session, col, select

from storage.counter_models import RESPONDENTS
from storage.filters import NO_FILTER, ReportFilter, answer_condition
from storage.models import Answer


def recount(
    *,
    session: Session,
    flow_id: str,
    report_filter: ReportFilter = NO_FILTER,
    question_id: str | None = None,
) -> dict[tuple[str, str], int]:
    """The counters as they should be, computed from the answer rows (slow, exact); with
    a filter, the counts of the sessions it keeps; of one question, or of all."""
    real = answer_condition(
        col(Answer.respondent_id), col(Answer.session_id), flow_id, report_filter
    )
    if question_id is not None:
        real = and_(real, col(Answer.question_id) == question_id)
    options = session.exec(
        select(Answer.question_id, Answer.option_id, func.count())
        .where(Answer.flow_id == flow_id, col(Answer.option_id).is_not(None), real)
        .group_by(col(Answer.question_id), col(Answer.option_id))
    ).all()
    respondents = session.exec(
        select(Answer.question_id, func.count(distinct(col(Answer.session_id))))
        .where(Answer.flow_id == flow_id, real)
        .group_by(col(Answer.question_id))
    ).all()
    result = {(q, o or RESPONDENTS): int(n) for q, o, n in options}
    result.update({(q, RESPONDENTS): int(n) for q, n in respondents})
    return result
