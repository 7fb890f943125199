"""Transactions: one per inbound message, opened, committed once and retried here.

`transaction` opens a connection's transaction with a Session joined to it (read-only
and long-read variants for reports and exports) and `connection_of` finds that
connection again; `run_in_transaction` re-runs a message's work on a transient conflict
that `is_retryable` recognises (SQLite busy/locked, PostgreSQL serialization failure or
deadlock, a dropped connection); SQLite writers take their turn through an in-process
queue. The engines themselves, per dialect, are built in `storage.db`.
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
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from storage import precompiled
from storage.db import NOWAIT_BEGIN, SQLITE_BUSY_TIMEOUT_MS, readonly_engine

log = logging.getLogger(__name__)

T = TypeVar("T")

# Staff pages and exports (`long_read`): no 5 s WeChat wait; a 1M-row cross-tab takes 2-3 s.
PG_LONG_READ_TIMEOUT_MS = 60_000
# … and sort a cross-tab's million joined rows in memory, not in temporary files
# (PostgreSQL's default 4 MB spilled them: docs/benchmarks.md, 2026-12-03).
PG_LONG_READ_WORK_MEM = "64MB"
# serialization_failure, deadlock_detected, and a prepared statement the server lost
# (storage.libpq_pipeline forgets them all, and the next run prepares them again): the
# whole transaction may simply be re-run.
_PG_RETRYABLE = {"40001", "40P01", "26000"}
_SQLITE_RETRYABLE = ("database is locked", "database is busy", "database table is locked")


class WriterBusy(Exception):
    """`transaction(nowait=True)`: another writer has SQLite's write lock right now."""


@contextmanager
def transaction(
    engine: Engine, *, readonly: bool = False, long_read: bool = False, nowait: bool = False
) -> Iterator[Session]:
    """A session in one transaction: committed once at the end, rolled back on error.

    `readonly=True` (statistics, exports): one consistent snapshot that never holds up
    the writers (SQLite: a deferred BEGIN instead of taking the write lock; PostgreSQL:
    REPEATABLE READ, READ ONLY). `long_read=True` (read-only staff pages and exports, not
    a chat reply): PostgreSQL statements may run PG_LONG_READ_TIMEOUT_MS instead of the
    request's PG_STATEMENT_TIMEOUT_MS. `nowait=True` (a writer on the event loop's thread,
    which must not sleep on a lock): `WriterBusy` instead of waiting for another writer
    (SQLite: at once, or SQLite's "database is locked"; PostgreSQL: for a row lock held
    longer than PG_NOWAIT_LOCK_MS).
    """
    if long_read and not readonly:
        raise ValueError("long_read is for read-only transactions")
    if nowait and readonly:
        raise ValueError("nowait is for writers")
    bind = readonly_engine(engine) if readonly else engine
    postgres = engine.dialect.name == "postgresql"
    try:
        # The connection's own transaction, with a Session joined to it for the ORM
        # writes (contacts, outbox, audit): the Session's transaction bookkeeping cost
        # ~0.1 ms a message, a third of an empty transaction's SQLAlchemy time.
        with _writer_turn(engine, readonly=readonly, nowait=nowait), bind.connect() as conn:
            if nowait:  # this connection's BEGIN (storage.db); gone with the Connection object
                conn.execution_options(**{NOWAIT_BEGIN: True})
            with conn.begin():
                if long_read and postgres:
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {PG_LONG_READ_TIMEOUT_MS}")
                    conn.exec_driver_sql(f"SET LOCAL work_mem = '{PG_LONG_READ_WORK_MEM}'")
                    # Compiling a plan's expressions cost 1-2 s of a 5-7 s cross-tab, and
                    # saved less.
                    conn.exec_driver_sql("SET LOCAL jit = off")
                if nowait and postgres:  # sent with the first statement, no wait of its own
                    precompiled.later(conn, _NOWAIT_LOCKS)
                session = Session(bind=conn, expire_on_commit=False)
                session.info[_CONNECTION] = conn
                try:
                    yield session
                    session.flush()  # ORM changes go out before the connection commits
                finally:
                    session.info.pop(_CONNECTION, None)
                    session.close()
    except DBAPIError as error:
        if nowait and getattr(error.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
            raise WriterBusy("another transaction holds a row lock this one needs") from error
        raise


# PostgreSQL, `transaction(nowait=True)`: how long a statement on the event loop's thread
# may wait for a row lock (a WeChat retry's claim while the first copy's batch is open in
# another worker, counters while another worker commits) before its batch goes to the
# writer thread, which waits as long as PG_LOCK_TIMEOUT_MS (bot.dispatch.batch_writer).
PG_NOWAIT_LOCK_MS = 100
_NOWAIT_LOCKS = text(f"SET LOCAL lock_timeout = {PG_NOWAIT_LOCK_MS}")
_PG_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout


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
def _writer_turn(engine: Engine, *, readonly: bool, nowait: bool = False) -> Iterator[None]:
    if readonly or engine.dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.setdefault(engine, threading.Lock())
    if nowait:
        if not lock.acquire(blocking=False):
            raise WriterBusy("another writer of this process has the turn")
        acquired = True
    else:
        acquired = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        yield
    finally:
        if acquired:
            lock.release()


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
