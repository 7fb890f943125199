"""Statistics of a peer segment: the respondents whose answers include given options.

E.g. suppliers of the same commodity: `segment_stats(where=[("role", "supplier"),
("commodity", "chassis")])`. Computed from the answer rows (the live counters only hold
totals), in two grouped queries; the result has the shape of `question_stats`, so the
same formatting serves both. Free texts never leave through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from flows.model import Flow
from storage.aggregates import OptionStat, QuestionStats, option_ids, percent
from storage.models import Answer

Condition = tuple[str, str]  # (question id, option id)


@dataclass(frozen=True)
class SegmentStats:
    respondents: int  # in the segment (survey sessions matching every condition)
    questions: dict[str, QuestionStats]  # choice questions only, in flow order


def _members(flow_id: str, where: Sequence[Condition]) -> SelectOfScalar[int]:
    """The sessions matching every condition, as a select of distinct session ids."""
    if not where:
        raise ValueError("a segment needs at least one condition")
    picks = [aliased(Answer) for _ in where]
    base = picks[0]
    query = select(base.session_id)
    for alias, (question_id, option_id) in zip(picks, where, strict=True):
        if alias is not base:
            query = query.join(alias, col(alias.session_id) == col(base.session_id))
        query = query.where(
            col(alias.flow_id) == flow_id,
            col(alias.question_id) == question_id,
            col(alias.option_id) == option_id,
        )
    return query.distinct()


def segment_size(*, session: Session, flow_id: str, where: Sequence[Condition]) -> int:
    members = _members(flow_id, where).subquery()
    return int(session.exec(select(func.count()).select_from(members)).one())


def segment_stats(*, session: Session, flow: Flow, where: Sequence[Condition]) -> SegmentStats:
    members = _members(flow.id, where)
    in_segment = col(Answer.session_id).in_(members)
    option_counts = session.exec(
        select(Answer.question_id, Answer.option_id, func.count())
        .where(Answer.flow_id == flow.id, in_segment, col(Answer.option_id).is_not(None))
        .group_by(col(Answer.question_id), col(Answer.option_id))
    ).all()
    respondent_counts = session.exec(
        select(Answer.question_id, func.count(distinct(col(Answer.session_id))))
        .where(Answer.flow_id == flow.id, in_segment)
        .group_by(col(Answer.question_id))
    ).all()
    counts = {(q, o): int(n) for q, o, n in option_counts if o is not None}
    answered = {q: int(n) for q, n in respondent_counts}
    questions: dict[str, QuestionStats] = {}
    for question in flow.questions:
        if not question.is_choice:
            continue
        respondents = answered.get(question.id, 0)
        per_option = [(o, counts.get((question.id, o), 0)) for o in option_ids(question)]
        selections = sum(c for _, c in per_option)
        questions[question.id] = QuestionStats(
            question_id=question.id,
            respondents=respondents,
            selections=selections,
            options=tuple(
                OptionStat(o, c, percent(c, selections), percent(c, respondents))
                for o, c in per_option
            ),
        )
    size = segment_size(session=session, flow_id=flow.id, where=where)
    return SegmentStats(respondents=size, questions=questions)


# Peer segments are a nicety of the completion summary: on a very large database they may
# not delay a reply past WeChat's 5 s (at 1,000,000 respondents one took 4.5 s).
SEGMENT_BUDGET_MS = 500


def segment_stats_within_budget(
    *, session: Session, flow: Flow, where: Sequence[Condition], budget_ms: int = SEGMENT_BUDGET_MS
) -> SegmentStats | None:
    """`segment_stats`, or None when PostgreSQL cannot answer within `budget_ms`."""
    if session.get_bind().dialect.name != "postgresql":
        return segment_stats(session=session, flow=flow, where=where)
    previous = session.execute(text("SHOW statement_timeout")).scalar_one()
    try:
        with session.begin_nested():
            session.execute(text(f"SET LOCAL statement_timeout = {int(budget_ms)}"))
            return segment_stats(session=session, flow=flow, where=where)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != "57014":  # query_canceled
            raise
        return None
    finally:
        # SET LOCAL outlives the savepoint: put the request's own timeout back.
        session.execute(text("SELECT set_config('statement_timeout', :v, true)"), {"v": previous})
