"""Engines and transactions. Nothing is built at import time: call `make_engine(url)`.

SQLite: WAL, a busy timeout, foreign keys, and every transaction opened with
BEGIN IMMEDIATE, so two writers queue on the write lock instead of both reading and then
deadlocking on the lock upgrade ("database is locked" right away).
PostgreSQL (psycopg 3): short connect/statement/lock timeouts, so a request fails fast
instead of hanging past WeChat's 5 s reply window.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
# Staff pages and exports (`long_read`): no 5 s WeChat wait; a 1M-row cross-tab takes 2-3 s.
PG_LONG_READ_TIMEOUT_MS = 60_000
# … and sort a cross-tab's million joined rows in memory, not in temporary files
# (PostgreSQL's default 4 MB spilled them: docs/benchmarks.md, 2026-12-03).
PG_LONG_READ_WORK_MEM = "64MB"
PG_LOCK_TIMEOUT_MS = 4000
# Connections kept open per process. SQLAlchemy's default (5, +10 overflow closed again on
# return) opened and closed a PostgreSQL connection on most pushes at 16 concurrent ones
# (docs/benchmarks.md). 20 at most per worker: 4 workers stay under max_connections=100.
PG_POOL_SIZE = 16
PG_MAX_OVERFLOW = 4
# serialization_failure, deadlock_detected: the whole transaction may simply be re-run.
_PG_RETRYABLE = {"40001", "40P01"}
_READONLY = "surveybot_readonly"
_SQLITE_RETRYABLE = ("database is locked", "database is busy", "database table is locked")


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
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: URL, *, request_timeouts: bool) -> Engine:
    # Options given in the URL (e.g. a test's search_path) are kept and extended.
    given = url.query.get("options", ())
    options = [given] if isinstance(given, str) else list(given)
    if request_timeouts:
        options.append(f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
    options.append(f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}")
    prepare = _prepare_threshold(url.query.get("prepare_threshold"))
    url = url.difference_update_query(["options", "prepare_threshold"])
    engine = create_engine(
        url,
        # No ping on every checkout (a round trip per message, docs/benchmarks.md): a
        # connection the server dropped fails its first statement instead, the pool's
        # connections are marked stale (storage.precompiled, SQLAlchemy) and
        # run_in_transaction runs the message again on a fresh connection.
        pool_pre_ping=False,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": " ".join(options)},
    )
    _send_queued_writes(engine)
    if prepare != _PSYCOPG_PREPARE_THRESHOLD:

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.prepare_threshold = prepare

    return engine


# psycopg prepares a statement on the server once it ran this often on a connection.
_PSYCOPG_PREPARE_THRESHOLD = 5


def _prepare_threshold(given: str | tuple[str, ...] | None) -> int | None:
    """`?prepare_threshold=N` in the URL (`none`: never prepare, for a PgBouncer before
    1.21 in transaction pooling mode; see docs/runbook.md)."""
    if given is None:
        return _PSYCOPG_PREPARE_THRESHOLD
    value = given if isinstance(given, str) else given[-1]
    if value.lower() == "none":
        return None
    if not value.isdigit():
        raise ValueError(f"prepare_threshold must be a number or none, not {value!r}")
    return int(value)


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


@contextmanager
def transaction(
    engine: Engine, *, readonly: bool = False, long_read: bool = False
) -> Iterator[Session]:
    """A session in one transaction: committed once at the end, rolled back on error.

    `readonly=True` (statistics, exports): one consistent snapshot that never holds up
    the writers (SQLite: a deferred BEGIN instead of taking the write lock; PostgreSQL:
    REPEATABLE READ, READ ONLY). `long_read=True` (read-only staff pages and exports, not
    a chat reply): PostgreSQL statements may run PG_LONG_READ_TIMEOUT_MS instead of the
    request's PG_STATEMENT_TIMEOUT_MS.
    """
    if long_read and not readonly:
        raise ValueError("long_read is for read-only transactions")
    bind = _readonly(engine) if readonly else engine
    # The connection's own transaction, with a Session joined to it for the ORM writes
    # (contacts, outbox, audit): the Session's transaction bookkeeping cost ~0.1 ms a
    # message, a third of an empty transaction's SQLAlchemy time.
    with _writer_turn(engine, readonly=readonly), bind.connect() as conn, conn.begin():
        if long_read and engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {PG_LONG_READ_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SET LOCAL work_mem = '{PG_LONG_READ_WORK_MEM}'")
            # Compiling a plan's expressions cost 1-2 s of a 5-7 s cross-tab, and saved less.
            conn.exec_driver_sql("SET LOCAL jit = off")
        session = Session(bind=conn, expire_on_commit=False)
        session.info[_CONNECTION] = conn
        try:
            yield session
            session.flush()  # ORM changes go out before the connection commits
        finally:
            session.info.pop(_CONNECTION, None)
            session.close()


_CONNECTION = "surveybot.connection"


def connection_of(session: Session) -> Connection:
    """The session's connection: the one `transaction` opened, kept for its lifetime (a
    dict lookup), else SQLAlchemy's `Session.connection()` (~15 µs a call; a survey
    step asks for it about ten times)."""
    conn = session.info.get(_CONNECTION)
    return conn if conn is not None else session.connection()


# One SQLite writer at a time, queued in-process. SQLite's own busy handler polls the
# file lock with sleeps of up to 100 ms and no order: with 16 concurrent pushes some
# waited seconds (p99 1.6-1.9 s, a few past WeChat's 4 s budget) while others got in
# at once. Queued here, p99 fell to 0.25-0.3 s and none went over, for ~20 % less peak
# throughput (docs/benchmarks.md). Bounded by the busy timeout: past it, SQLite's own
# locking (and run_in_transaction's retries) decide, as before.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS_GUARD = threading.Lock()


@contextmanager
def _writer_turn(engine: Engine, *, readonly: bool) -> Iterator[None]:
    if readonly or engine.dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.setdefault(engine, threading.Lock())
    acquired = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def _readonly(engine: Engine) -> Engine:
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine.execution_options(**{_READONLY: True})


def is_retryable(error: BaseException) -> bool:
    """SQLite busy/locked, PostgreSQL serialization failure or deadlock, or a connection
    found dropped (and replaced)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # the server went away: a fresh connection may do
        return True
    orig = error.orig
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        return any(m in message for m in _SQLITE_RETRYABLE)
    return getattr(orig, "sqlstate", None) in _PG_RETRYABLE


def run_in_transaction(
    engine: Engine,
    fn: Callable[[Session], T],
    *,
    retries: int = 5,
    base_delay: float = 0.02,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `fn(session)` in a transaction, re-running it on a transient conflict.

    `fn` must be safe to re-run: it sees a fresh session each time and should only
    touch the database through it. Other errors propagate at once.
    """
    attempt = 0
    while True:
        try:
            with transaction(engine) as session:
                return fn(session)
        except DBAPIError as error:
            if attempt >= retries or not is_retryable(error):
                raise
            delay = base_delay * 2**attempt * (0.5 + random.random())
            attempt += 1
            log.info(
                "transient database conflict (%s), retry %d in %.3fs", error.orig, attempt, delay
            )
            sleep(delay)


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
        with _readonly(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except (SQLAlchemyError, OSError) as error:
        log.warning("database ping failed: %s", error)
        return False
