"""Engines per dialect, and statements built per dialect. Nothing is built at import
time: call `make_engine(url)`. Transactions on these engines: `storage.transactions`.

SQLite: WAL, a busy timeout, foreign keys, and every transaction opened with
BEGIN IMMEDIATE, so two writers queue on the write lock instead of both reading and then
deadlocking on the lock upgrade ("database is locked" right away).
PostgreSQL (psycopg 3): short connect/statement/lock timeouts, so a request fails fast
instead of hanging past WeChat's 5 s reply window.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 4000
SQLITE_MIGRATION_BUSY_MS = 120_000  # start-up: queue behind another worker migrating
PG_CONNECT_TIMEOUT_S = 3
PG_STATEMENT_TIMEOUT_MS = 4000
PG_LOCK_TIMEOUT_MS = 4000
# Connections kept open per process. SQLAlchemy's default (5, +10 overflow closed again on
# return) opened and closed a PostgreSQL connection on most pushes at 16 concurrent ones
# (docs/benchmarks.md). 20 at most per worker: 4 workers stay under max_connections=100.
PG_POOL_SIZE = 16
PG_MAX_OVERFLOW = 4
# The execution option that makes SQLite's BEGIN a deferred one (`readonly_engine`).
_READONLY = "surveybot_readonly"
# A Connection's execution option: its SQLite BEGIN IMMEDIATE does not wait for the write
# lock ("database is locked" at once; storage.transactions.transaction(nowait=True)).
NOWAIT_BEGIN = "surveybot_nowait"


def normalize_url(url: str) -> URL:
    """`postgres://` and `postgresql://` (Heroku/libpq style) → the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, request_timeouts: bool = True) -> Engine:
    """An engine for `url` (SQLite file or memory, or PostgreSQL).

    `request_timeouts=False` drops PostgreSQL's statement timeout and lets SQLite wait
    for the write lock much longer (migrations may take longer than a request may, and
    workers starting together queue behind the one migrating).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if request_timeouts else SQLITE_MIGRATION_BUSY_MS
        return _sqlite_engine(parsed, busy_ms)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed, request_timeouts=request_timeouts)
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)}")


def _use_wal(cursor: Any, busy_ms: int) -> None:
    """Switch the file to WAL once (it stays so). SQLite answers a switch that races with
    another connection "database is locked" at once, without its busy handler: retry."""
    deadline = time.monotonic() + busy_ms / 1000
    delay = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _sqlite_engine(url: URL, busy_ms: int) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every checkout would see a new empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from sqlite3 (SQLAlchemy's pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            if not in_memory:
                _use_wal(cursor, busy_ms)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read-only transaction (reports, exports) must not hold up the writers.
        options = conn.get_execution_options()
        readonly = options.get(_READONLY, False)
        begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        nowait = not readonly and options.get(NOWAIT_BEGIN, False)
        # On the sqlite3 connection itself: SQLAlchemy's execution context around it cost
        # more than the BEGIN (once per transaction on the writer's path). Its errors
        # ("database is locked") are SQLAlchemy's, as before, for the retries.
        driver = conn.connection.driver_connection
        try:
            if nowait:  # the busy handler off for this BEGIN only
                driver.execute("PRAGMA busy_timeout=0")
                try:
                    driver.execute(begin)
                finally:
                    driver.execute(f"PRAGMA busy_timeout={busy_ms}")
            else:
                driver.execute(begin)
        except sqlite3.Error as error:
            raise DBAPIError.instance(
                begin, None, error, sqlite3.Error, dialect=conn.dialect
            ) from error

    _counters_at_commit(engine)
    return engine


def _postgres_engine(url: URL, *, request_timeouts: bool) -> Engine:
    # Options given in the URL (e.g. a test's search_path) are kept and extended.
    given = url.query.get("options", ())
    options = [given] if isinstance(given, str) else list(given)
    if request_timeouts:
        options.append(f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
    options.append(f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}")
    from storage.libpq_pipeline import DEFAULT_PREPARE_THRESHOLD, PREPARE_THRESHOLD

    prepare = _prepare_threshold(url.query.get("prepare_threshold"), DEFAULT_PREPARE_THRESHOLD)
    url = url.difference_update_query(["options", "prepare_threshold"])
    engine = create_engine(
        url,
        # No ping on every checkout (a round trip per message, docs/benchmarks.md): a
        # connection the server dropped fails its first statement instead, the pool's
        # connections are marked stale (storage.precompiled, SQLAlchemy) and
        # storage.transactions runs the message again on a fresh connection.
        pool_pre_ping=False,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": " ".join(options)},
    )
    _counters_at_commit(engine)
    _send_queued_writes(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # The hot path's statements are prepared by storage.libpq_pipeline, with the
        # URL's threshold; psycopg prepares none of its own, because its ROLLBACK then
        # sends DEALLOCATE ALL, which would take the hot path's statements with them.
        dbapi_connection.prepare_threshold = None
        record.info[PREPARE_THRESHOLD] = prepare

    return engine


def _prepare_threshold(given: str | tuple[str, ...] | None, default: int) -> int | None:
    """`?prepare_threshold=N` in the URL (`none`: never prepare, for a PgBouncer before
    1.21 in transaction pooling mode; see docs/runbook.md)."""
    if given is None:
        return default
    value = given if isinstance(given, str) else given[-1]
    if value.lower() == "none":
        return None
    if not value.isdigit():
        raise ValueError(f"prepare_threshold must be a number or none, not {value!r}")
    return int(value)


def _counters_at_commit(engine: Engine) -> None:
    """Counter changes kept with the transaction (`storage.counter_ledger`) are written
    just before it commits, in one order; a rollback or a new BEGIN forgets them.
    Registered before `_send_queued_writes`, whose COMMIT then carries them."""
    from storage import counter_ledger  # imports nothing from here; keeps db.py first

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        counter_ledger.forget(conn)

    @event.listens_for(engine, "commit")
    def _before_commit(conn: Connection) -> None:
        counter_ledger.write_now(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        counter_ledger.forget(conn)


def _send_queued_writes(engine: Engine) -> None:
    """Writes queued by `storage.precompiled` go out before anything SQLAlchemy runs on
    the connection, and with the COMMIT (one round trip); a rollback forgets them."""
    from storage import precompiled  # it imports nothing from here; keeps db.py first

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(conn: Connection, *_args: Any) -> None:
        precompiled.send_queued(conn)

    @event.listens_for(engine, "commit")
    def _before_commit(conn: Connection) -> None:
        precompiled.send_queued(conn, then_commit=True)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        precompiled.drop_queued(conn)


def readonly_engine(engine: Engine) -> Engine:
    """`engine` for read-only transactions: a consistent snapshot that never holds up the
    writers (PostgreSQL: REPEATABLE READ, READ ONLY; SQLite: a deferred BEGIN)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine.execution_options(**{_READONLY: True})


def upsert(session: Session, model: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `model`'s table that supports ON CONFLICT (PostgreSQL, and
    SQLite ≥ 3.24) for this session's database."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` with ON CONFLICT support for the named dialect.

    The hot path builds its statements once per dialect (see `PerDialect`) so that
    SQLAlchemy compiles each of them once per engine instead of on every message.
    """
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")


class PerDialect(Generic[T]):
    """A statement built on first use for each dialect name, then reused.

    Core statements built once have a stable cache key, so SQLAlchemy's compiled cache
    serves them; building them per call cost more than running them (docs/benchmarks.md).
    """

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}

    def __call__(self, conn: Connection) -> T:
        name = conn.dialect.name
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = self._build(name)
        return built


def ping(engine: Engine) -> bool:
    """True when the database answers (for /healthz)."""
    try:
        with readonly_engine(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except (SQLAlchemyError, OSError) as error:
        log.warning("database ping failed: %s", error)
        return False
