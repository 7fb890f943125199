"""The live counters of the question a respondent is at, read with their lock.

After nearly every answer the respondent is shown the figures of the question they just
answered (bot.dispatch.snapshots): one small read of `aggregate_counter`. On PostgreSQL
that read was a round trip of its own, after the engine's step, with the session save and
the answer rows queued before it. The question is almost always the one the session was
at when the message came (its state's `current`), so the message's first round trip,
which reads the newest session row right after taking the lock
(storage.claim_and_lock), reads that question's counters in the same statement: one
column more, packed as JSON. The snapshot then takes them from here and the step needs
one wait for the server fewer (docs/benchmarks.md, 2026-12-05).

What was read is what a read at the snapshot would see, but for this transaction's own
counter changes: those are kept by `storage.counter_ledger` until the commit and added to
either read alike. Should the ledger write its changes in between (a reader that needs
them in the table), what was read here no longer matches and is not used; nor is it for
another survey or question than the one read.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import ColumnElement, Connection, String, Table, and_, cast, func, select
from sqlalchemy.dialects import postgresql

from storage import counter_ledger
from storage.counter_models import AggregateCounter

_COUNTER: Table = AggregateCounter.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QuestionCounts:
    """`aggregate_counter` of one question as read ahead: {option id: count}, option ""
    the question's respondents, without this transaction's own changes."""

    flow_id: str
    question_id: str
    counts: dict[str, int]
    ledger_writes: int  # counter_ledger.writes when read


def columns(session: Table) -> tuple[ColumnElement[str | None], ColumnElement[str | None]]:
    """Two columns for a PostgreSQL statement over `session` (survey_session): the question
    its state is at, and that question's counters as a JSON text [[option, count], …]
    (NULL when it has none yet)."""
    current = cast(session.c.state_json, postgresql.JSON)["current"].astext
    packed = (
        select(
            cast(
                func.json_agg(func.json_build_array(_COUNTER.c.option_id, _COUNTER.c.count)), String
            )
        )
        .where(and_(_COUNTER.c.flow_id == session.c.flow_id, _COUNTER.c.question_id == current))
        .scalar_subquery()
    )
    return current.label("current_question"), packed.label("current_counts")


def read(
    conn: Connection, flow_id: str, current: str | None, packed: str | None
) -> QuestionCounts | None:
    """What `columns` read, for the session of `flow_id` (None: it is at no question)."""
    if current is None:
        return None
    rows = orjson.loads(packed) if packed is not None else []
    counts = {str(option): int(count) for option, count in rows}
    return QuestionCounts(flow_id, current, counts, counter_ledger.writes(conn))


def usable(
    conn: Connection, ahead: QuestionCounts | None, flow_id: str, question_id: str
) -> dict[str, int] | None:
    """The counters read ahead, if they are of this question and still what a read now
    would see but for the ledger's pending changes; None: read them."""
    if ahead is None or (ahead.flow_id, ahead.question_id) != (flow_id, question_id):
        return None
    if counter_ledger.writes(conn) != ahead.ledger_writes:
        return None
    return ahead.counts
