"""Each session's choice answers as bit masks, one narrow row per session (PostgreSQL).

Migration 0018 keeps `session_choice` by triggers on `answer`, in the writing
transaction: `masks[slot]` is 1 (the question answered: any row, a free text too) plus
2^bit of each chosen option, the slots and bits coming from `choice_code`. A filtered
cross-tab is then one scan of these rows (a million in about half a second, against
1.7 s for the answer rows grouped per session; docs/benchmarks.md) instead of three
index ranges of the answer rows. `verify` recounts them for `surveybot db verify`.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from storage.filters import ReportFilter, answer_condition

_META = MetaData()  # not the app's models: these tables exist on PostgreSQL only
_CODES = Table(
    "choice_code",
    _META,
    Column("flow_id", String),
    Column("question_id", String),
    Column("option_id", String),  # '' for the question's own slot (bit 0)
    Column("slot", Integer),
    Column("bit", Integer),  # None: past the 30 options a mask holds
)
_CHOICES = Table(
    "session_choice",
    _META,
    Column("session_id", Integer),
    Column("flow_id", String),
    Column("respondent_id", Integer),
    Column("masks", ARRAY(Integer)),
)
POSTGRESQL_ONLY = ("choice_code", "session_choice")  # migration 0018; no models
ANSWERED = 1  # bit 0 of a slot

OptionSets = list[tuple[frozenset[str], frozenset[str], int]]


def option_sets(
    session: Session,
    flow_id: str,
    row_question: str,
    col_question: str,
    report_filter: ReportFilter,
) -> OptionSets | None:
    """How many sessions the filter keeps per (row options, column options) pair, of those
    that answered both questions; None when a question has more options than a mask
    holds (the caller then counts the answer rows)."""
    asked = {row_question, col_question, *(a.question_id for a in report_filter.answers)}
    codes = session.exec(
        select(_CODES.c.question_id, _CODES.c.option_id, _CODES.c.slot, _CODES.c.bit).where(
            _CODES.c.flow_id == flow_id, _CODES.c.question_id.in_(sorted(asked))
        )
    ).all()
    slots = {q: slot for q, o, slot, _bit in codes if o == ""}
    bits = {(q, o): bit for q, o, _slot, bit in codes if o != ""}
    if any(bit is None for bit in bits.values()):
        return None
    if row_question not in slots or col_question not in slots:
        return []  # nobody answered one of them yet

    def mask(question_id: str) -> ColumnElement[int]:
        # The slot as a literal: SELECT and GROUP BY then name the same expression.
        return _CHOICES.c.masks[literal_column(str(int(slots[question_id])))]  # type: ignore[no-any-return]

    rows, cols = mask(row_question), mask(col_question)
    where = [
        _CHOICES.c.flow_id == flow_id,
        rows.op("&")(ANSWERED) == ANSWERED,
        cols.op("&")(ANSWERED) == ANSWERED,
    ]
    for answer in report_filter.answers:
        bit = bits.get((answer.question_id, answer.option_id))
        if bit is None:
            return []  # nobody ever chose it
        where.append(mask(answer.question_id).op("&")(1 << bit) != 0)
    # Dates, channel, language, test data and what else the filter says: the same
    # condition as on the answer rows, on this row's session and respondent.
    rest = replace(report_filter, answers=())
    where.append(answer_condition(_CHOICES.c.respondent_id, _CHOICES.c.session_id, flow_id, rest))
    # The planner cannot guess how many rows pass the bit tests (it says 5 of a million)
    # and sorts them to group: 0.8 s at a million against 0.4 s hashed. This statement only.
    sorts = session.exec(select(func.current_setting("enable_sort"))).one()
    session.exec(select(func.set_config("enable_sort", "off", True)))
    found = session.exec(
        select(rows, cols, func.count()).where(*where).group_by(rows, cols)  # type: ignore[call-overload]
    ).all()
    session.exec(select(func.set_config("enable_sort", sorts, True)))
    names = {
        q: {bit: o for (question, o), bit in bits.items() if question == q}
        for q in (row_question, col_question)
    }
    return [
        (_chosen(r, names[row_question]), _chosen(c, names[col_question]), int(n))
        for r, c, n in found
    ]


def _chosen(mask: int, names: dict[int, str]) -> frozenset[str]:
    return frozenset(option for bit, option in names.items() if mask & (1 << bit))


# The flow's masks recounted from all its answer rows, set-based: per session and slot
# the answered bit and the option bits, against the stored masks' nonzero slots (a
# stored array may hold NULL or 0 for a question not answered), and no stored row for
# a session without answers.
_RECOUNT = """
WITH recount AS (
    SELECT a.session_id, min(a.respondent_id) AS respondent_id, q.slot,
           1 | COALESCE(bit_or(1 << o.bit), 0) AS mask
    FROM answer a
    JOIN choice_code q
      ON q.flow_id = a.flow_id AND q.question_id = a.question_id AND q.option_id = ''
    LEFT JOIN choice_code o
      ON o.flow_id = a.flow_id AND o.question_id = a.question_id AND o.option_id = a.option_id
    WHERE a.flow_id = :flow_id
    GROUP BY a.session_id, q.slot
), stored AS (
    SELECT c.session_id, c.respondent_id, CAST(m.slot AS INTEGER) AS slot, m.mask
    FROM session_choice c CROSS JOIN LATERAL unnest(c.masks) WITH ORDINALITY AS m (mask, slot)
    WHERE c.flow_id = :flow_id AND m.mask <> 0
), differ AS (
    (SELECT * FROM stored EXCEPT SELECT * FROM recount)
    UNION
    (SELECT * FROM recount EXCEPT SELECT * FROM stored)
    UNION
    (SELECT c.session_id, c.respondent_id, 0, 0 FROM session_choice c
     WHERE c.flow_id = :flow_id
       AND NOT EXISTS (SELECT 1 FROM answer a WHERE a.session_id = c.session_id))
)
SELECT count(DISTINCT session_id), min(session_id) FROM differ
"""

_TRIGGER = "answer_choices"


def pause(conn: Connection) -> None:
    """Bulk loads: no trigger call per answer row in this transaction; `fill` then."""
    conn.exec_driver_sql(f"ALTER TABLE answer DISABLE TRIGGER {_TRIGGER}")


def fill(conn: Connection, session_ids: list[int]) -> None:
    """Codes and masks of new sessions whose answer rows came in while paused, in one
    statement each; the trigger is on again afterwards."""
    conn.exec_driver_sql(
        "SELECT choice_code_assign(f, q, o) FROM (SELECT DISTINCT flow_id AS f, question_id "
        "AS q, COALESCE(option_id, '') AS o FROM answer WHERE session_id = ANY(%(ids)s)) n "
        "ORDER BY f, q, o",
        {"ids": session_ids},
    )
    conn.exec_driver_sql(
        "INSERT INTO session_choice SELECT * FROM session_choice_masks(%(ids)s)",
        {"ids": session_ids},
    )
    conn.exec_driver_sql(f"ALTER TABLE answer ENABLE TRIGGER {_TRIGGER}")


def verify(*, session: Session, flow_id: str) -> list[str]:
    """Sessions whose stored masks differ from a recount of their answer rows (PostgreSQL;
    SQLite keeps no masks)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    differ, first = session.exec(text(_RECOUNT), params={"flow_id": flow_id}).one()  # type: ignore[call-overload]
    if not differ:
        return []
    return [
        f"{flow_id} choice masks: {differ} sessions differ from their answer rows (first {first})"
    ]
