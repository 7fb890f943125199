"""The hot path's Core statements run on the DBAPI cursor, and PostgreSQL's queued writes.

`Connection.execute` of a Core statement costs ~20 µs of SQLAlchemy even when its
compiled form is cached (cache-key lookup, execution context, parameter and result
processing); the same statement on the sqlite3 cursor takes ~5 µs. A survey step runs
about ten of them (docs/benchmarks.md). Here a statement is compiled by SQLAlchemy once
per dialect, with the same type processing (`UTCDateTime`, booleans on SQLite; see
`storage.compiled_statements`), and run on the connection's DBAPI cursor inside the
session's transaction.

What is given up is deliberately small: no statement events (`before_cursor_execute`),
no `IN` lists that expand, no Python-side column defaults (statements pass every value).
DBAPI errors are re-raised as SQLAlchemy's `DBAPIError` subclasses, so retries
(`storage.transactions.is_retryable`) and error handling see what they saw before.

PostgreSQL: every statement is a round trip to the server, and a survey step used to
wait for ~16 of them (docs/benchmarks.md). Writes whose result nobody reads (`later`,
`execute_many`) wait on the connection instead and go out together with the next
statement whose answer is needed, or with the COMMIT, in one write and one wait on
libpq's pipeline (`storage.libpq_pipeline`, which also sends the transaction's BEGIN
with the first of them). A queued write that fails raises from that next statement (or
the commit), inside the same transaction, with its own SQLSTATE; `storage.db` drains the
queue before any statement SQLAlchemy runs and before commit, and drops it on rollback.
SQLite runs every statement at once, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ClauseElement

from storage.compiled_statements import (
    Compiled,
    bind_values,
    compile_multi_row,
    compile_once,
    result_row,
)

# PostgreSQL: writes queued on a connection (its `info`), in order, with their bound values.
_QUEUED = "surveybot.queued_writes"
# PostgreSQL: the connection's `libpq_pipeline.Wire` (`_run`).
_WIRE = "surveybot.libpq_pipeline"
# SQLite: the DBAPI cursor kept with a connection (`_cursor`).
_CURSOR = "surveybot.cursor"
_Queued = list[tuple[Compiled, Sequence[Any] | dict[str, Any]]]
# A step's counter and answer INSERTs write a few rows: one statement for them, compiled
# once per row count. Larger batches (seed-fake, rebuilds) stay a statement a row, so
# that neither the compiled forms nor the bound parameters (65,535 at most) grow.
MULTI_ROW_MAX = 16


def _raise(conn: Connection, compiled: Compiled, error: Exception) -> NoReturn:
    dbapi = conn.dialect.loaded_dbapi
    if isinstance(error, dbapi.Error):
        dropped = _dropped(conn, error)
        raise DBAPIError.instance(
            compiled.sql,
            None,
            error,
            dbapi.Error,
            dialect=conn.dialect,
            connection_invalidated=dropped,
        ) from error
    raise error


def _dropped(conn: Connection, error: Exception) -> bool:
    """The server dropped the connection (e.g. it restarted): this connection is thrown
    away and so is every other pooled one, as SQLAlchemy does for its own statements,
    so that the next transaction starts on a fresh one (storage.transactions.is_retryable).

    Not `engine.dispose()`: that replaces the pool, and a connection in use elsewhere
    at that moment went back to the old one on return, never closed (a psycopg
    ResourceWarning when the old pool was collected). Marked stale instead, each is
    closed and replaced when next taken from the pool, or when the engine is disposed."""
    dropped = conn.dialect.is_disconnect(error, conn.connection, None)  # type: ignore[arg-type]
    if conn.invalidated or not dropped:
        return False
    conn.engine.pool._invalidate(conn.connection, error)  # as Connection does on a disconnect
    conn.invalidate(error)
    return True


def rows(
    conn: Connection, statement: ClauseElement, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run `statement` with `params` (by bind key); its result rows as plain tuples."""
    compiled = compile_once(conn, statement, ())
    bound = bind_values(compiled, params or {})
    if conn.dialect.name == "postgresql":  # with the queued writes: one write, one wait
        queued = _take_queued(conn)
        queued.append((compiled, bound))
        wanted = (len(queued) - 1,) if compiled.has_results else ()
        fetched = _run(conn, queued, rows_of=wanted)
        return _processed(compiled, fetched[0]) if fetched else []
    cursor = _cursor(conn)
    try:
        cursor.execute(compiled.sql, bound)
        return _processed(compiled, cursor.fetchall()) if compiled.has_results else []
    except Exception as error:
        _raise(conn, compiled, error)


def rows_together(
    conn: Connection, *statements: tuple[ClauseElement, Mapping[str, Any] | None]
) -> list[list[tuple[Any, ...]]]:
    """Run each `(statement, params)` in order; the rows of each. On PostgreSQL they go
    with the queued writes in one write and one wait (each statement still takes its own
    snapshot, after the one before it finished: a read after a locking statement sees
    what the lock's previous holders committed). SQLite: as `rows`, one after another."""
    if conn.dialect.name != "postgresql":
        return [rows(conn, statement, params) for statement, params in statements]
    bound: _Queued = []
    for statement, params in statements:
        compiled = compile_once(conn, statement, ())
        bound.append((compiled, bind_values(compiled, params or {})))
    queued = _take_queued(conn)
    start = len(queued)
    queued.extend(bound)
    wanted = [start + i for i, (compiled, _) in enumerate(bound) if compiled.has_results]
    fetched = iter(_run(conn, queued, rows_of=wanted))
    found = [next(fetched) if compiled.has_results else [] for compiled, _ in bound]
    return [_processed(compiled, rows) for (compiled, _), rows in zip(bound, found, strict=True)]


def _processed(compiled: Compiled, fetched: Sequence[Any]) -> list[tuple[Any, ...]]:
    if not any(compiled.results):
        return [tuple(row) for row in fetched]
    return [result_row(compiled, row) for row in fetched]


def later(
    conn: Connection, statement: ClauseElement, params: Mapping[str, Any] | None = None
) -> None:
    """Run a statement without results whose effect nothing reads before the next
    statement: on PostgreSQL it is queued and sent with that statement (or the commit)."""
    if conn.dialect.name != "postgresql":
        rows(conn, statement, params)
        return
    compiled = compile_once(conn, statement, ())
    _queue(conn).append((compiled, bind_values(compiled, params or {})))


def send_queued(conn: Connection, *, then_commit: bool = False) -> None:
    """Send the writes queued on `conn` now, in one round trip (`storage.db` calls this
    before a statement of SQLAlchemy's own, and just before it commits: `then_commit`
    sends the COMMIT in the same round trip, and SQLAlchemy's own commit that follows
    finds the transaction ended, which psycopg takes as nothing to do)."""
    queued = _take_queued(conn)
    if queued:
        _run(conn, queued, commit=then_commit)


def drop_queued(conn: Connection) -> None:
    """Forget the writes queued on `conn` (its transaction rolled back). An invalidated
    connection's `info` went with it."""
    if not conn.invalidated:
        conn.info.pop(_QUEUED, None)


def _queue(conn: Connection) -> _Queued:
    queued: _Queued | None = conn.info.get(_QUEUED)
    if queued is None:
        queued = conn.info[_QUEUED] = []
    return queued


def _take_queued(conn: Connection) -> _Queued:
    if conn.dialect.name != "postgresql":
        return []
    queued: _Queued = conn.info.pop(_QUEUED, None) or []
    return queued


def _cursor(conn: Connection) -> Any:
    """SQLite: the DBAPI connection's cursor, made once and kept with the connection
    (its `info` lives as long as the DBAPI connection)."""
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    kept = conn.info.get(_CURSOR)
    if kept is not None and kept[0] is dbapi_connection:
        return kept[1]
    cursor = dbapi_connection.cursor()
    conn.info[_CURSOR] = (dbapi_connection, cursor)
    return cursor


def _run(
    conn: Connection, statements: _Queued, *, commit: bool = False, rows_of: Sequence[int] = ()
) -> list[list[tuple[Any, ...]]]:
    """PostgreSQL: `statements` (and the COMMIT) in one write and one wait, the rows of
    those at the indices `rows_of`, on the
    connection's `libpq_pipeline.Wire`, made once and kept with it (its `info` lives as
    long as the DBAPI connection)."""
    from storage.libpq_pipeline import (  # psycopg: imported where PostgreSQL is used
        DEFAULT_PREPARE_THRESHOLD,
        PREPARE_THRESHOLD,
        StatementFailed,
        Wire,
    )

    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    kept = conn.info.get(_WIRE)
    if kept is None or kept.connection is not dbapi_connection:
        threshold = conn.info.get(PREPARE_THRESHOLD, DEFAULT_PREPARE_THRESHOLD)
        kept = conn.info[_WIRE] = Wire(dbapi_connection, prepare_threshold=threshold)
    try:
        return kept.run(
            [(compiled.sql, bound) for compiled, bound in statements],
            commit=commit,
            rows_of=rows_of,
        )
    except StatementFailed as failed:
        _raise(conn, statements[failed.index][0], failed.error)


def first(
    conn: Connection, statement: ClauseElement, params: Mapping[str, Any] | None = None
) -> tuple[Any, ...] | None:
    """The first result row, or None."""
    found = rows(conn, statement, params)
    return found[0] if found else None


def scalar(
    conn: Connection, statement: ClauseElement, params: Mapping[str, Any] | None = None
) -> Any:
    """The first column of the first row, or None."""
    row = first(conn, statement, params)
    return row[0] if row else None


def execute_many(
    conn: Connection, statement: ClauseElement, params: Sequence[Mapping[str, Any]]
) -> None:
    """Run a statement without results once per parameter set (`executemany`; queued
    like `later` on PostgreSQL). An INSERT without `.values()` writes the columns of the
    first parameter set."""
    if not params:
        return
    columns = tuple(params[0]) if getattr(statement, "is_insert", False) else ()
    if conn.dialect.name == "postgresql":
        if columns and 1 < len(params) <= MULTI_ROW_MAX:  # one INSERT, not one a row
            rows_sql = compile_multi_row(conn, statement, columns, len(params))
            flat = {f"{k}__{i}": v for i, p in enumerate(params) for k, v in p.items()}
            _queue(conn).append((rows_sql, bind_values(rows_sql, flat)))
        else:
            compiled = compile_once(conn, statement, columns)
            _queue(conn).extend((compiled, bind_values(compiled, p)) for p in params)
        return
    compiled = compile_once(conn, statement, columns)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(compiled.sql, [bind_values(compiled, p) for p in params])  # type: ignore[arg-type]
    except Exception as error:
        _raise(conn, compiled, error)
    finally:
        cursor.close()
