"""PostgreSQL's groups of statements on libpq's pipeline: one write and one wait each, the
transaction's BEGIN with the first, statements prepared as psycopg would, errors as
psycopg raises them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from benchmarks.round_trips import Traffic, parse_trace
from storage import precompiled
from storage.db import make_engine
from storage.models import Respondent
from storage.transactions import connection_of, run_in_transaction, transaction

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

NOW = datetime(2026, 3, 2, 1, 0, 30, tzinfo=UTC)
_TABLE = Respondent.__table__  # type: ignore[attr-defined]
_READ = select(_TABLE.c.id, _TABLE.c.active).where(_TABLE.c.channel_user_id == bindparam("user"))
_DEACTIVATE = update(_TABLE).where(_TABLE.c.channel_user_id == bindparam("user"))


def _row(user: str) -> dict[str, Any]:
    return {
        "channel": "wechat",
        "channel_user_id": user,
        "lang": "both",
        "active": True,
        "subscribed_updates": False,
        "created_at": NOW,
    }


class _Traced:
    """libpq's trace of the one connection of an engine with a pool of one."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self.path = directory / "conn.trace"
        self.handle = self.path.open("w")
        self.read = 0
        self.prepared: dict[str, str] = {}
        event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        from psycopg import pq

        dbapi_connection.pgconn.trace(self.handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(
            pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
        )

    def text(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return self.path.read_text(errors="replace")

    def take(self) -> Traffic:
        text = self.text()
        traffic = parse_trace(text[self.read :], self.prepared)
        self.read = len(text)
        return traffic


@pytest.fixture
def traced(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, _Traced]]:
    """A second engine on the migrated database, one connection, traced; with a row."""
    with transaction(engine) as session:
        precompiled.execute_many(connection_of(session), _TABLE.insert(), [_row("c0")])
    one = make_engine(db_url)
    one.pool._pool.maxsize = 1  # type: ignore[attr-defined]
    trace = _Traced(one, tmp_path)
    with transaction(one):  # connected, SQLAlchemy's first queries done
        pass
    trace.take()
    yield one, trace
    one.dispose()
    trace.handle.close()


def test_queued_writes_a_read_and_the_begin_are_one_round_trip(
    traced: tuple[Engine, _Traced],
) -> None:
    """Three queued writes and a read go with the transaction's BEGIN: one wait; the
    writes and the COMMIT at the end: one more."""
    engine, trace = traced
    with transaction(engine) as session:
        conn = connection_of(session)
        for _ in range(3):
            precompiled.later(conn, _DEACTIVATE.values(active=False), {"user": "c0"})
        assert precompiled.first(conn, _READ, {"user": "c0"})[1] is False  # type: ignore[index]
        precompiled.later(conn, _DEACTIVATE.values(active=True), {"user": "c0"})
    traffic = trace.take()
    assert traffic.statements[0] == "BEGIN"
    assert [s.split()[0] for s in traffic.statements] == [
        "BEGIN", "UPDATE", "UPDATE", "UPDATE", "SELECT", "UPDATE", "COMMIT"
    ]  # fmt: skip
    assert traffic.round_trips == 2


def test_a_statement_is_prepared_once_it_ran_the_threshold_times(
    traced: tuple[Engine, _Traced],
) -> None:
    """psycopg's `prepare_threshold` (5 by default): the sixth run of a statement on a
    connection is prepared, under a name psycopg never uses, and later runs bind it; two
    runs in one group at the threshold prepare it once."""
    engine, trace = traced
    for _ in range(4):
        with transaction(engine) as session:
            precompiled.first(connection_of(session), _READ, {"user": "c0"})
    assert 'Parse\t "_sb_' not in trace.text()
    with transaction(engine) as session:
        conn = connection_of(session)
        precompiled.later(conn, _DEACTIVATE.values(active=False), {"user": "c0"})
        precompiled.first(conn, _READ, {"user": "c0"})  # the fifth
        for _ in range(6):  # in one group: the sixth prepares, the rest bind it
            precompiled.later(conn, _DEACTIVATE.values(active=False), {"user": "c0"})
        precompiled.first(conn, _READ, {"user": "c0"})  # the sixth: prepared
    for _ in range(3):
        with transaction(engine) as session:
            assert precompiled.first(connection_of(session), _READ, {"user": "c0"})
    named = [line for line in trace.text().splitlines() if '\tParse\t "_sb_' in line]
    assert len(named) == 2  # the read and the update, once each
    binds = [line for line in trace.text().splitlines() if '\tBind\t "" "_sb_' in line]
    assert len(binds) >= 3 + 1 + 2


@pytest.mark.parametrize("threshold", ["none", "0"])
def test_the_url_sets_when_statements_are_prepared(
    db_url: str, engine: Engine, tmp_path: Path, threshold: str
) -> None:
    """`?prepare_threshold=none` (a PgBouncer before 1.21 in transaction pooling mode):
    nothing is prepared; `0`: everything at its first run."""
    with transaction(engine) as session:
        precompiled.execute_many(connection_of(session), _TABLE.insert(), [_row("c0")])
    one = make_engine(f"{db_url}&prepare_threshold={threshold}")
    trace = _Traced(one, tmp_path)
    try:
        for _ in range(8):
            with transaction(one) as session:
                assert precompiled.first(connection_of(session), _READ, {"user": "c0"})
    finally:
        one.dispose()
        trace.handle.close()
    named = [line for line in trace.text().splitlines() if '\tParse\t "_sb_' in line]
    assert len(named) == (0 if threshold == "none" else 1)


def test_a_failed_statement_raises_its_own_error_and_the_connection_goes_on(
    traced: tuple[Engine, _Traced],
) -> None:
    """A statement that fails in the middle of a group: psycopg's error with its
    SQLSTATE, named after that statement; the group's later statements did nothing;
    after the rollback the same connection runs the next transaction, its prepared
    statements intact (a prepare the failure skipped is sent again, not assumed)."""
    engine, trace = traced
    for _ in range(5):
        with transaction(engine) as session:
            precompiled.first(connection_of(session), _READ, {"user": "c0"})
    with pytest.raises(IntegrityError) as raised, transaction(engine) as session:
        conn = connection_of(session)
        precompiled.execute_many(conn, _TABLE.insert(), [_row("c0")])  # unique
        precompiled.later(conn, _DEACTIVATE.values(active=False), {"user": "c0"})
        precompiled.first(conn, _READ, {"user": "c0"})  # its prepare: skipped
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert "INSERT INTO respondent" in str(raised.value)
    for _ in range(2):
        with transaction(engine) as session:
            found = precompiled.first(connection_of(session), _READ, {"user": "c0"})
        assert found is not None and found[1] is True
    lines = trace.text().splitlines()
    assert sum('\tParse\t "_sb_' in line for line in lines) == 2  # sent again after the skip
    with transaction(engine) as session:
        count = precompiled.rows(connection_of(session), select(_TABLE.c.id))
    assert len(count) == 1


def test_statements_the_server_lost_are_prepared_again_and_the_transaction_rerun(
    traced: tuple[Engine, _Traced],
) -> None:
    """A DEALLOCATE ALL behind the pipeline's back (SQLAlchemy's own statement here; a
    DISCARD ALL of a pooler's, elsewhere): the next group fails with SQLSTATE 26000,
    which is retryable; the connection forgets its prepared statements, and the
    transaction, run again, prepares what it needs and commits once. A ROLLBACK
    deallocates nothing (psycopg prepares none of its own)."""
    engine, trace = traced
    for _ in range(6):
        with transaction(engine) as session:
            precompiled.first(connection_of(session), _READ, {"user": "c0"})
    with pytest.raises(IntegrityError), transaction(engine) as session:
        precompiled.first(connection_of(session), _READ, {"user": "c0"})
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        precompiled.execute_many(connection_of(session), _TABLE.insert(), [_row("c0")])
        precompiled.first(connection_of(session), _READ, {"user": "c0"})
    with transaction(engine) as session:  # still prepared after the rollback
        assert precompiled.first(connection_of(session), _READ, {"user": "c0"})
    assert sum('\tParse\t "_sb_' in line for line in trace.text().splitlines()) == 1
    with transaction(engine) as session:
        session.connection().exec_driver_sql("DEALLOCATE ALL")
    runs: list[int] = []

    def step(session: Any) -> None:
        runs.append(1)
        conn = connection_of(session)
        precompiled.later(conn, _DEACTIVATE.values(active=False), {"user": "c0"})
        assert precompiled.first(conn, _READ, {"user": "c0"})

    run_in_transaction(engine, step)
    assert len(runs) == 2
    with transaction(engine) as session:
        found = precompiled.first(connection_of(session), _READ, {"user": "c0"})
    assert found is not None and found[1] is False
    assert sum('\tParse\t "_sb_' in line for line in trace.text().splitlines()) == 2


def test_a_dropped_connection_is_an_invalidated_error(traced: tuple[Engine, _Traced]) -> None:
    """The server ends the connection between two transactions: the next group fails
    as a disconnect (SQLAlchemy invalidates the connection; storage.transactions retries
    on a fresh one), and the engine's next transaction works."""
    engine, _trace = traced
    with transaction(engine) as session:
        pid = precompiled.scalar(connection_of(session), select(_func_pid()))
    with make_engine_admin(engine) as admin:
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    with pytest.raises(DBAPIError) as raised, transaction(engine) as session:
        precompiled.first(connection_of(session), _READ, {"user": "c0"})
    assert raised.value.connection_invalidated
    with transaction(engine) as session:
        assert precompiled.first(connection_of(session), _READ, {"user": "c0"})


def _func_pid() -> Any:
    from sqlalchemy import func

    return func.pg_backend_pid()


class make_engine_admin:  # noqa: N801 - a context manager named for what it gives
    """An autocommit connection beside `engine`'s pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = make_engine(engine.url.render_as_string(hide_password=False))

    def __enter__(self) -> Any:
        self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self.engine.dispose()
