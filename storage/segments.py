"""Statistics of a peer segment: the respondents whose answers include given options.

E.g. suppliers of the same commodity: `segment_stats(where=[("role", "supplier"),
("commodity", "chassis")])`. Computed from the answer rows (the live counters only hold
totals), in two grouped queries; the result has the shape of `question_stats`, so the
same formatting serves both. Free texts never leave through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    FromClause,
    Select,
    Table,
    bindparam,
    distinct,
    func,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from flows.model import Flow
from storage.aggregates import QuestionStats, tally
from storage.models import Answer

Condition = tuple[str, str]  # (question id, option id)
_ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SegmentStats:
    respondents: int  # in the segment (survey sessions matching every condition)
    questions: dict[str, QuestionStats]  # choice questions only, in flow order


class _Queries(NamedTuple):
    size: Select[Any]
    option_counts: Select[Any]
    respondent_counts: Select[Any]


@cache
def _queries(conditions: int) -> _Queries:
    """The statements for a segment of `conditions` conditions, built (and so compiled)
    once: the completion summary asks for one on every completed survey."""
    if conditions < 1:
        raise ValueError("a segment needs at least one condition")
    flow: BindParameter[str] = bindparam("flow")
    picks = [_ANSWER.alias(f"cond_{i}") for i in range(conditions)]
    base = picks[0]
    joined: FromClause = base
    for alias in picks[1:]:
        joined = joined.join(alias, alias.c.session_id == base.c.session_id)
    members = (
        select(base.c.session_id)
        .select_from(joined)
        .where(
            *(
                criterion
                for i, alias in enumerate(picks)
                for criterion in (
                    alias.c.flow_id == flow,
                    alias.c.question_id == bindparam(f"question_{i}"),
                    alias.c.option_id == bindparam(f"option_{i}"),
                )
            )
        )
        .distinct()
    )
    in_segment = _ANSWER.c.session_id.in_(members)
    return _Queries(
        size=select(func.count()).select_from(members.subquery()),
        option_counts=select(_ANSWER.c.question_id, _ANSWER.c.option_id, func.count())
        .where(_ANSWER.c.flow_id == flow, in_segment, _ANSWER.c.option_id.is_not(None))
        .group_by(_ANSWER.c.question_id, _ANSWER.c.option_id),
        respondent_counts=select(_ANSWER.c.question_id, func.count(distinct(_ANSWER.c.session_id)))
        .where(_ANSWER.c.flow_id == flow, in_segment)
        .group_by(_ANSWER.c.question_id),
    )


def _params(flow_id: str, where: Sequence[Condition]) -> dict[str, str]:
    params = {"flow": flow_id}
    for i, (question_id, option_id) in enumerate(where):
        params[f"question_{i}"] = question_id
        params[f"option_{i}"] = option_id
    return params


def segment_size(*, session: Session, flow_id: str, where: Sequence[Condition]) -> int:
    queries = _queries(len(where))
    return int(session.connection().execute(queries.size, _params(flow_id, where)).scalar_one())


def segment_stats(*, session: Session, flow: Flow, where: Sequence[Condition]) -> SegmentStats:
    queries = _queries(len(where))
    conn = session.connection()
    params = _params(flow.id, where)
    option_counts = conn.execute(queries.option_counts, params).all()
    respondent_counts = conn.execute(queries.respondent_counts, params).all()
    chosen: dict[str, dict[str, int]] = {}
    for question_id, option_id, n in option_counts:
        if option_id is not None:
            chosen.setdefault(question_id, {})[option_id] = int(n)
    answered = {q: int(n) for q, n in respondent_counts}
    questions: dict[str, QuestionStats] = {}
    for question in flow.questions:
        if not question.is_choice:
            continue
        questions[question.id] = tally(
            question, answered.get(question.id, 0), chosen.get(question.id, {})
        )
    size = int(conn.execute(queries.size, params).scalar_one())
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
