"""Statements run on the DBAPI cursor: same values in and out as through SQLAlchemy."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from storage import precompiled
from storage.models import Respondent
from storage.respondents import lock_respondent
from storage.transactions import connection_of, is_retryable, transaction

NOW = datetime(2026, 3, 2, 1, 0, 30, 123456, tzinfo=UTC)
_TABLE = Respondent.__table__  # type: ignore[attr-defined]
_READ = select(_TABLE.c.id, _TABLE.c.active, _TABLE.c.created_at, _TABLE.c.source).where(
    _TABLE.c.channel_user_id == bindparam("user")
)


def test_types_and_literals_as_sqlalchemy_gives_them(engine: Engine) -> None:
    with transaction(engine) as session:
        made = lock_respondent(session=session, channel="wechat", channel_user_id="u1", now=NOW)
        conn = connection_of(session)
        raw = precompiled.first(conn, _READ, {"user": "u1"})
        via_sqlalchemy = conn.execute(_READ, {"user": "u1"}).first()
    assert raw == tuple(via_sqlalchemy)  # type: ignore[arg-type]
    assert raw is not None and raw[0] == made.id
    assert raw[1] is True and raw[2] == NOW and raw[2].tzinfo is not None
    deactivate = update(_TABLE).where(_TABLE.c.id == bindparam("rid")).values(active=False)
    with transaction(engine) as session:
        conn = connection_of(session)
        assert precompiled.rows(conn, deactivate, {"rid": made.id}) == []  # the literal False
        assert precompiled.scalar(conn, select(_TABLE.c.active)) is False
        assert precompiled.first(conn, _READ, {"user": "nobody"}) is None
        with pytest.raises(KeyError, match="user"):
            precompiled.rows(conn, _READ, {})


def test_database_errors_arrive_as_sqlalchemy_errors(engine: Engine) -> None:
    insert = _TABLE.insert()
    row = {
        "channel": "wechat",
        "channel_user_id": "dup",
        "lang": "both",
        "active": True,
        "subscribed_updates": False,
        "created_at": NOW,
    }
    with transaction(engine) as session:
        precompiled.execute_many(connection_of(session), insert, [row])
    with pytest.raises(DBAPIError) as raised, transaction(engine) as session:
        precompiled.execute_many(connection_of(session), insert, [row])  # unique (channel, id)
    assert "unique" in str(raised.value.orig).lower() or "UNIQUE" in str(raised.value)
    assert not is_retryable(raised.value)


def test_a_locked_sqlite_database_is_retryable(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    path = engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with transaction(engine, readonly=True) as session:
            other.execute("BEGIN IMMEDIATE")
            conn = connection_of(session)
            conn.exec_driver_sql("PRAGMA busy_timeout=10")
            with pytest.raises(DBAPIError) as raised:
                precompiled.rows(conn, _TABLE.delete())  # a write inside a reader: locked
        assert is_retryable(raised.value)
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("count", [1, 3, precompiled.MULTI_ROW_MAX + 4])
def test_queued_writes_are_read_back_in_the_same_transaction(engine: Engine, count: int) -> None:
    """Writes without results wait on the connection on PostgreSQL (one multi-row INSERT,
    or a statement a row past MULTI_ROW_MAX) and go out before the next read."""
    rows = [
        {
            "channel": "wechat",
            "channel_user_id": f"q{i}",
            "lang": "both",
            "active": True,
            "subscribed_updates": False,
            "created_at": NOW,
        }
        for i in range(count)
    ]
    deactivate = update(_TABLE).where(_TABLE.c.channel_user_id == bindparam("user"))
    with transaction(engine) as session:
        conn = connection_of(session)
        precompiled.execute_many(conn, _TABLE.insert(), rows)
        precompiled.later(conn, deactivate.values(active=False), {"user": "q0"})
        assert precompiled.first(conn, _READ, {"user": "q0"})[1:3] == (False, NOW)  # type: ignore[index]
        assert len(precompiled.rows(conn, select(_TABLE.c.id))) == count
    with transaction(engine) as session:  # and the rest went with the commit
        precompiled.later(connection_of(session), deactivate.values(active=False), {"user": "q1"})
    with transaction(engine) as session:
        active = precompiled.rows(connection_of(session), select(_TABLE.c.active))
    assert sorted(a for (a,) in active) == [False] * min(count, 2) + [True] * (count - 2)


def test_a_rollback_drops_the_queued_writes(engine: Engine) -> None:
    with transaction(engine) as session:
        made = lock_respondent(session=session, channel="wechat", channel_user_id="r", now=NOW)
    deactivate = update(_TABLE).where(_TABLE.c.id == bindparam("rid")).values(active=False)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        precompiled.later(connection_of(session), deactivate, {"rid": made.id})
        raise RuntimeError("the message failed")
    with transaction(engine) as session:  # the same pooled connection: nothing left queued
        assert precompiled.scalar(connection_of(session), select(_TABLE.c.active)) is True


def test_a_dropped_connection_leaves_no_connection_in_use_elsewhere_unclosed(
    engine: Engine,
) -> None:
    """A connection in use beside the one found dropped stays with the engine's pool:
    disposing of the engine closes it (it once went back to a replaced pool, open, and
    psycopg warned when that pool was collected)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connections")
    with engine.connect() as beside, engine.connect() as conn:
        beside_raw = beside.connection.dbapi_connection
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        conn.rollback()
        with engine.connect() as admin:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
        time.sleep(0.2)
        with pytest.raises(DBAPIError) as dropped:
            precompiled.rows(conn, select(_TABLE.c.id))
        assert dropped.value.connection_invalidated and is_retryable(dropped.value)
    # The next transaction gets a fresh connection, not the stale one beside it
    with engine.connect() as fresh:
        assert fresh.exec_driver_sql("SELECT 1").scalar() == 1
        assert fresh.connection.dbapi_connection is not beside_raw
    engine.dispose()
    assert beside_raw is not None and beside_raw.closed


def test_a_queued_write_that_fails_at_the_commit_leaves_nothing_committed(
    engine: Engine,
) -> None:
    """PostgreSQL sends the queued writes and the COMMIT as one pipeline: a write that
    fails there skips the COMMIT, raises with its own error, and the transaction's
    other writes are rolled back with it (SQLite ran each at once: the same outcome)."""
    row = {
        "channel": "wechat",
        "channel_user_id": "fails",
        "lang": "both",
        "active": True,
        "subscribed_updates": False,
        "created_at": NOW,
    }
    with transaction(engine) as session:
        precompiled.execute_many(connection_of(session), _TABLE.insert(), [row])
    deactivate = update(_TABLE).where(_TABLE.c.channel_user_id == bindparam("user"))
    with pytest.raises(DBAPIError) as raised, transaction(engine) as session:
        conn = connection_of(session)
        precompiled.later(conn, deactivate.values(active=False), {"user": "fails"})
        precompiled.execute_many(conn, _TABLE.insert(), [{**row, "channel_user_id": "new"}])
        precompiled.execute_many(conn, _TABLE.insert(), [row])  # unique (channel, user id)
    assert "unique" in str(raised.value).lower()
    with transaction(engine) as session:
        found = precompiled.rows(
            connection_of(session), select(_TABLE.c.channel_user_id, _TABLE.c.active)
        )
    assert found == [("fails", True)]  # neither the update nor the other insert stayed
