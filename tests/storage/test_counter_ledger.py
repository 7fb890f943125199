"""Counter changes kept with the transaction and written at its commit, in one order."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.definition import load_flow
from flows.peer_segments import segment_id
from flows.surveys import DEFAULT_FLOW
from storage import counter_ledger, session_counts
from storage.aggregates import LEDGER as AGGREGATES
from storage.aggregates import bump_counters, counters
from storage.counter_models import AggregateCounter
from storage.filters import ReportFilter
from storage.segment_counters import bump_segments, segment_counter_stats
from storage.session_counters import SessionKey, bump_sessions
from storage.transactions import connection_of, transaction

HOUR = datetime(2026, 3, 2, 1, tzinfo=UTC)
AIAG = load_flow(DEFAULT_FLOW)
(SUPPLIERS,) = AIAG.segments


def _stored(session: Session) -> dict[tuple[str, str, str], int]:
    """The counter rows as written (not what the transaction keeps)."""
    table = AggregateCounter.__table__  # type: ignore[attr-defined]
    rows = connection_of(session).execute(select(table)).all()
    return {(r.flow_id, r.question_id, r.option_id): r.count for r in rows}


def _committed(engine: Engine) -> dict[tuple[str, str, str], int]:
    with transaction(engine, readonly=True) as session:
        return _stored(session)


def test_changes_are_summed_seen_by_their_transaction_and_written_at_commit(
    engine: Engine,
) -> None:
    with transaction(engine) as session:
        bump_counters(session=session, deltas={("s", "q1", "a"): 1, ("s", "q1", ""): 1})
        bump_counters(session=session, deltas={("s", "q1", "a"): 1, ("s", "q2", "b"): 1})
        bump_counters(session=session, deltas={("other", "q1", "a"): 5})
        # Nothing written yet: the transaction's own reads add what it keeps.
        assert _stored(session) == {}
        assert counters(session=session, flow_id="s", question_id="q1") == {
            ("q1", "a"): 2,
            ("q1", ""): 1,
        }
        assert counters(session=session, flow_id="s")[("q2", "b")] == 1
    assert _committed(engine) == {
        ("s", "q1", "a"): 2,
        ("s", "q1", ""): 1,
        ("s", "q2", "b"): 1,
        ("other", "q1", "a"): 5,
    }
    with transaction(engine) as session:  # added to what is stored, and read so
        bump_counters(session=session, deltas={("s", "q1", "a"): -1})
        assert counters(session=session, flow_id="s", question_id="q1")[("q1", "a")] == 1
    assert _committed(engine)[("s", "q1", "a")] == 1


def test_a_rollback_forgets_the_changes_and_the_next_transaction_starts_clean(
    engine: Engine,
) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as session:
        bump_counters(session=session, deltas={("s", "q1", "a"): 3})
        raise RuntimeError("the message failed")
    with transaction(engine) as session:
        assert counter_ledger.pending(connection_of(session), AGGREGATES) == {}
        assert counters(session=session, flow_id="s") == {}
    assert _committed(engine) == {}


def test_segment_and_session_counters_are_seen_before_the_commit(engine: Engine) -> None:
    interior = segment_id(SUPPLIERS, "interior")
    key = SessionKey(AIAG.id, 1, "wechat", "en", False, HOUR, -1)
    with transaction(engine) as session:
        bump_segments(session=session, flow_id=AIAG.id, deltas={(interior, "", ""): 1})
        bump_segments(
            session=session,
            flow_id=AIAG.id,
            deltas={(interior, "methodology", "iso14064"): 1, (interior, "methodology", ""): 1},
        )
        stats = segment_counter_stats(session=session, flow=AIAG, segment=interior)
        assert stats.respondents == 1
        assert stats.questions["methodology"].respondents == 1
        bump_sessions(session=session, deltas=Counter({key: 1}))
        # Any other reader of the counters writes the changes first.
        assert [c.sessions for c in _counted(session)] == [1]
    with transaction(engine, readonly=True) as session:
        stats = segment_counter_stats(session=session, flow=AIAG, segment=interior)
        assert stats.respondents == 1
        assert [c.sessions for c in _counted(session)] == [1]


def _counted(session: Session) -> list[session_counts.Counted]:
    return session_counts.counted(
        session=session,
        flow_id=AIAG.id,
        report_filter=ReportFilter(include_test=True),
    )


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_transactions_of_several_messages_each_do_not_deadlock(engine: Engine) -> None:
    """Two batches (one per worker) that change the same counters in opposite orders,
    message by message: before the ledger, PostgreSQL found a deadlock (40P01) after its
    deadlock_timeout and one of them failed. (SQLite has one writer at a time.)"""
    with transaction(engine) as session:  # the rows exist, as they do after a few answers
        bump_counters(session=session, deltas={("s", "q1", "a"): 1, ("s", "q2", "b"): 1})
    first_done = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def batch(first: tuple[str, str, str], second: tuple[str, str, str]) -> None:
        try:
            with transaction(engine) as session:
                bump_counters(session=session, deltas={first: 1})
                # The message's other statements: what used to send the change out.
                connection_of(session).exec_driver_sql("SELECT 1")
                first_done.wait()  # each batch holds its first message's writes now
                bump_counters(session=session, deltas={second: 1})
                connection_of(session).exec_driver_sql("SELECT 1")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    a, b = ("s", "q1", "a"), ("s", "q2", "b")
    threads = [
        threading.Thread(target=batch, args=(a, b)),
        threading.Thread(target=batch, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert _committed(engine) == {a: 3, b: 3}
