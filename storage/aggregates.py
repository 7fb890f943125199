"""The live statistics: exact counters kept in each answer's transaction, read back fast.

`AggregateCounter(flow, question, option)` counts selections of an option; option ""
counts the respondents who answered the question. `recount`/`verify` check the
counters against the answer rows (they should never differ).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Table, bindparam
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from flows.model import NO, YES, Flow, Question, QuestionType
from storage import counter_ledger, counter_read_ahead, precompiled
from storage.answer_recount import recount
from storage.counter_models import RESPONDENTS, AggregateCounter
from storage.counter_read_ahead import QuestionCounts
from storage.db import PerDialect, dialect_insert
from storage.filters import NO_FILTER, ReportFilter, answer_condition
from storage.models import Answer
from storage.transactions import connection_of

# Test respondents' answers are counted under the flow id plus this (storage.test_data).
TEST_SUFFIX = "~test"
CounterKey = tuple[str, str, str]  # flow_id, question_id, option_id
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class OptionStat:
    option_id: str
    count: int
    pct_of_selections: Decimal  # the seed's convention: a column adds up to ~100 %
    pct_of_respondents: Decimal  # multiple choice: may add up to more than 100 %


@dataclass(frozen=True)
class FreeText:
    respondent_id: int
    text: str


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    respondents: int
    selections: int
    options: tuple[OptionStat, ...]
    texts: tuple[FreeText, ...] = ()  # newest first, at most `text_limit` of them
    # How many texts the question has (free-text questions; 0 for the others): what
    # "20 newest of 553,211" counts, from the counters, not from the texts loaded.
    text_total: int = 0


_COUNTER: Table = AggregateCounter.__table__  # type: ignore[attr-defined]


@PerDialect
def _bump(dialect: str) -> Insert:
    insert = dialect_insert(dialect, _COUNTER)
    return insert.on_conflict_do_update(
        index_elements=["flow_id", "question_id", "option_id"],
        set_={"count": _COUNTER.c.count + insert.excluded["count"]},
    )


# Written at commit, after the session counters, before the segment counters.
LEDGER = counter_ledger.CounterTable(
    "aggregate_counter", 2, ("flow_id", "question_id", "option_id"), _bump
)


def bump_counters(*, session: Session, deltas: Mapping[CounterKey, int]) -> None:
    """Add `deltas` to the counters when the transaction commits (storage.counter_ledger:
    every transaction locks the counters in one order, and only for its commit)."""
    counter_ledger.add(connection_of(session), LEDGER, deltas.items())


def percent(part: int, whole: int) -> Decimal:
    """`part` of `whole` in percent, two decimals, rounded half up (never float rounding)."""
    if whole <= 0:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_CENT, rounding=ROUND_HALF_UP)


def option_ids(question: Question) -> tuple[str, ...]:
    """The question's option ids in flow order (yes/no questions may leave them implicit)."""
    if question.options:
        return tuple(o.id for o in question.options)
    if question.type is QuestionType.YES_NO:
        return (YES, NO)
    return ()


_COUNTERS = select(_COUNTER.c.question_id, _COUNTER.c.option_id, _COUNTER.c.count).where(
    _COUNTER.c.flow_id == bindparam("match_flow")
)
_QUESTION_COUNTERS = _COUNTERS.where(_COUNTER.c.question_id == bindparam("match_question"))


def counters(
    *,
    session: Session,
    flow_id: str,
    question_id: str | None = None,
    include_test: bool = False,
    ahead: QuestionCounts | None = None,
) -> dict[tuple[str, str], int]:
    """{(question id, option id): count} of a flow, or of one of its questions; test
    respondents' answers only with `include_test`. `ahead`: that question's counters as
    read with the respondent's lock (storage.counter_read_ahead), used if still current."""
    counts = _counters(session, flow_id, question_id, ahead)
    if include_test:
        for key, n in _counters(session, flow_id + TEST_SUFFIX, question_id, None).items():
            counts[key] = counts.get(key, 0) + n
    return counts


def _counters(
    session: Session, flow_id: str, question_id: str | None, ahead: QuestionCounts | None
) -> dict[tuple[str, str], int]:
    # Plain tuples from a statement built once, not ORM objects: read after every answer
    # (the live snapshot), unless it was read ahead.
    conn = connection_of(session)
    read = None
    if question_id is not None:
        read = counter_read_ahead.usable(conn, ahead, flow_id, question_id)
    counts: dict[tuple[str, str], int]
    if question_id is not None and read is not None:
        counts = {(question_id, option): count for option, count in read.items()}
    else:
        params = {"match_flow": flow_id}
        statement = _COUNTERS
        if question_id is not None:
            statement = _QUESTION_COUNTERS
            params["match_question"] = question_id
        rows = precompiled.rows(conn, statement, params)
        counts = {(question, option): count for question, option, count in rows}
    for (flow, question, option), delta in counter_ledger.pending(conn, LEDGER).items():
        if flow == flow_id and question_id in (None, question):  # this transaction's own
            counts[(question, option)] = counts.get((question, option), 0) + delta
    return counts


def question_stats(
    *,
    session: Session,
    flow: Flow,
    text_limit: int | None = 0,
    report_filter: ReportFilter = NO_FILTER,
) -> dict[str, QuestionStats]:
    """Per-question statistics from the counters, every option listed in flow order.

    A small read however many respondents there are. Free texts cost one indexed query
    per text question (`ix_answer_free_text_newest`): by default none are loaded
    (`text_limit` = how many, newest first; None = all, for offline reports only: half a
    million texts at a million respondents). They come from TEXT and INTEGER questions
    only: form fields (FIELD, the contact details) are personal information and never
    leave through statistics. `text_total` is exact whatever the limit: a free-text
    answer is one row with a text and no option (`storage.answers`), so the question's
    respondent counter counts its texts.
    The flow's counting rule applies (`flow.counting`, storage.unit_sessions): per
    organisation or plant the figures come from the counted sessions' rows.
    """
    report_filter = report_filter.for_flow(flow.counting)
    if report_filter.narrows:  # some sessions only: counted from their answer rows
        counts = recount(session=session, flow_id=flow.id, report_filter=report_filter)
    else:
        counts = counters(session=session, flow_id=flow.id, include_test=report_filter.include_test)
    by_question: dict[str, dict[str, int]] = {}
    for (question_id, option_id), count in counts.items():
        by_question.setdefault(question_id, {})[option_id] = count
    stats: dict[str, QuestionStats] = {}
    for question in flow.questions:
        if question.is_note:
            continue  # display-only: never answered
        respondents = counts.get((question.id, RESPONDENTS), 0)
        texts: tuple[FreeText, ...] = ()
        listed = (question.type is QuestionType.TEXT or question.is_numeric) and (
            not _is_contact_detail(flow, question.id)
        )
        if listed and text_limit != 0:
            texts = tuple(
                FreeText(r, t)
                for r, t in free_texts(
                    session=session,
                    flow_id=flow.id,
                    question_id=question.id,
                    limit=text_limit,
                    report_filter=report_filter,
                )
            )
        stats[question.id] = tally(
            question,
            respondents,
            by_question.get(question.id, {}),
            texts=texts,
            text_total=respondents if listed else 0,
        )
    return stats


def tally(
    question: Question,
    respondents: int,
    chosen: Mapping[str, int],
    *,
    texts: tuple[FreeText, ...] = (),
    text_total: int = 0,
) -> QuestionStats:
    """One question's statistics from its respondents and each option's count."""
    ids = option_ids(question) if question.is_choice else ()
    per_option = [(o, chosen.get(o, 0)) for o in ids]
    selections = sum(c for _, c in per_option)
    return QuestionStats(
        question_id=question.id,
        respondents=respondents,
        selections=selections,
        options=tuple(
            OptionStat(o, c, percent(c, selections), percent(c, respondents)) for o, c in per_option
        ),
        texts=texts,
        text_total=text_total,
    )


def _is_contact_detail(flow: Flow, question_id: str) -> bool:
    return flow.contact is not None and question_id in flow.contact.detail_questions


def free_texts(
    *,
    session: Session,
    flow_id: str,
    question_id: str,
    limit: int | None = None,
    report_filter: ReportFilter = NO_FILTER,
) -> list[tuple[int, str]]:
    """(respondent id, text) of a free-text question, newest first."""
    query = free_texts_query(flow_id, question_id, limit, report_filter=report_filter)
    return [(r, t) for r, t in session.exec(query).all() if t is not None]


def free_texts_query(
    flow_id: str,
    question_id: str,
    limit: int | None,
    *,
    report_filter: ReportFilter = NO_FILTER,
) -> Select[int, str | None]:
    """The statement behind `free_texts`: `ix_answer_free_text_newest` read in index order.

    `text IS NOT NULL` must stay in the WHERE clause: a planner uses a partial index only
    for a query whose conditions imply the index's own.
    """
    query = (
        select(Answer.respondent_id, Answer.text)
        .where(
            Answer.flow_id == flow_id,
            Answer.question_id == question_id,
            col(Answer.text).is_not(None),
        )
        .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
    )
    kept = answer_condition(
        col(Answer.respondent_id), col(Answer.session_id), flow_id, report_filter
    )
    query = query.where(kept)
    if limit is not None:
        query = query.limit(limit)
    return query
