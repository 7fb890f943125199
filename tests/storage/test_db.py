from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from storage.db import PerDialect, make_engine, normalize_url, ping
from storage.kv import kv_get, kv_set
from storage.transactions import run_in_transaction, transaction
from tests.storage.sample import NOW


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db/x", "postgresql://u:p@db/x", "postgresql+psycopg://u:p@db/x"],
)
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert normalize_url(url).drivername == "postgresql+psycopg"


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@h/db")


def test_sqlite_file_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    engine.dispose()


def test_transaction_commits_once_or_rolls_back(engine: Engine) -> None:
    with transaction(engine) as session:
        kv_set(session=session, key="kept", value="1", expires_at=None)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        kv_set(session=session, key="lost", value="1", expires_at=None)
        raise RuntimeError("boom")
    with transaction(engine) as session:
        assert kv_get(session=session, key="kept", now=NOW) == "1"
        assert kv_get(session=session, key="lost", now=NOW) is None


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    from storage.audit import audit, recent_audit

    beijing = datetime.fromisoformat("2025-01-27T16:00:00+08:00")
    with transaction(engine) as session:
        audit(session=session, actor="a", action="x", detail="", now=beijing)
    with transaction(engine) as session:
        (entry,) = recent_audit(session=session)
    assert entry.created_at == beijing
    assert entry.created_at.tzinfo == UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    from storage.audit import audit

    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        audit(session=session, actor="a", action="x", detail="", now=datetime(2025, 1, 1))


def _locked() -> OperationalError:
    return OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))


def test_run_in_transaction_retries_transient_conflicts(engine: Engine) -> None:
    calls: list[int] = []
    delays: list[float] = []

    def work(session: Session) -> str:
        calls.append(1)
        kv_set(session=session, key="k", value=str(len(calls)), expires_at=None)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert run_in_transaction(engine, work, sleep=delays.append) == "done"
    assert len(calls) == 3 and len(delays) == 2 and delays[1] > delays[0] / 2
    with transaction(engine) as session:
        assert kv_get(session=session, key="k", now=NOW) == "3"


def test_run_in_transaction_gives_up_after_the_retries(engine: Engine) -> None:
    def work(session: Session) -> None:
        raise _locked()

    with pytest.raises(OperationalError):
        run_in_transaction(engine, work, retries=2, sleep=lambda _: None)


def test_run_in_transaction_does_not_retry_other_errors(engine: Engine) -> None:
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        raise IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        run_in_transaction(engine, work, sleep=lambda _: None)
    assert calls == [1]


def test_concurrent_read_modify_write_loses_no_update(engine: Engine) -> None:
    """Ten threads each add 1 to a shared value 10 times: 100 in the end, no error.

    SQLite: BEGIN IMMEDIATE queues writers (no lock-upgrade deadlock). PostgreSQL: the
    row lock taken by kv_get(for_update=True) does the same.
    """
    with transaction(engine) as session:
        kv_set(session=session, key="n", value="0", expires_at=None)

    def add_one(session: Session) -> None:
        value = kv_get(session=session, key="n", now=NOW, for_update=True)
        assert value is not None
        kv_set(session=session, key="n", value=str(int(value) + 1), expires_at=None)

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                run_in_transaction(engine, add_one)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(engine) as session:
        assert kv_get(session=session, key="n", now=NOW) == "100"


def test_a_readonly_transaction_does_not_hold_up_writers(engine: Engine) -> None:
    with transaction(engine) as session:
        kv_set(session=session, key="k", value="before", expires_at=None)
    written = threading.Event()

    def writer() -> None:
        with transaction(engine) as session:
            kv_set(session=session, key="k", value="after", expires_at=None)
        written.set()

    with transaction(engine, readonly=True) as session:
        assert kv_get(session=session, key="k", now=NOW) == "before"
        thread = threading.Thread(target=writer)
        thread.start()
        assert written.wait(3), "the writer waited for the reader"
        assert kv_get(session=session, key="k", now=NOW) == "before"  # its snapshot
    thread.join()


def test_ping(engine: Engine, tmp_path: Path) -> None:
    assert ping(engine)
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert not ping(dead)
    dead.dispose()


def test_sqlite_memory_engine_is_shared_between_sessions() -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalar() == 1
    engine.dispose()


def test_a_per_dialect_statement_is_built_once_per_kind_of_database(engine: Engine) -> None:
    built: list[str] = []

    @PerDialect
    def statement(dialect: str) -> str:
        built.append(dialect)
        return f"for {dialect}"

    with engine.connect() as first, engine.connect() as second:
        assert statement(first) == statement(second) == f"for {engine.dialect.name}"
    assert built == [engine.dialect.name]


def _open_after(barrier: Any, url: str, results: Any) -> None:
    barrier.wait()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            results.put(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())
    except BaseException as error:
        results.put(repr(error))
    finally:
        engine.dispose()


def test_connections_racing_to_create_a_new_file_all_get_wal(tmp_path: Path) -> None:
    """SQLite refuses a WAL switch that races another one at once ("database is locked",
    no busy wait): processes opening a new file together must all come up in WAL."""
    context = multiprocessing.get_context("fork")
    for attempt in range(20):
        url = f"sqlite:///{tmp_path / f'race{attempt}.db'}"
        barrier, results = context.Barrier(6), context.Queue()
        processes = [
            context.Process(target=_open_after, args=(barrier, url, results)) for _ in range(6)
        ]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(30)
        assert outcomes == ["wal"] * 6


def test_a_long_read_outlasts_the_request_statement_timeout(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff pages and exports may run past the 4 s a chat reply gets; nothing else may."""
    import storage.db

    monkeypatch.setattr(storage.db, "PG_STATEMENT_TIMEOUT_MS", 100)
    engine = make_engine(db_url)
    try:
        with pytest.raises(ValueError), transaction(engine, long_read=True):
            pass  # a long write is not a thing
        if engine.dialect.name != "postgresql":  # no statement timeout: nothing to lift
            with transaction(engine, readonly=True, long_read=True) as session:
                assert session.exec(text("SELECT 1")).one() == (1,)  # type: ignore[call-overload]
            return
        with (
            pytest.raises(OperationalError, match="statement timeout"),
            transaction(engine, readonly=True) as session,
        ):
            session.exec(text("SELECT pg_sleep(0.3)"))  # type: ignore[call-overload]
        with transaction(engine, readonly=True, long_read=True) as session:
            session.exec(text("SELECT pg_sleep(0.3)"))  # type: ignore[call-overload]
            timeout = session.exec(text("SHOW statement_timeout")).one()  # type: ignore[call-overload]
        assert timeout == ("1min",)
        with transaction(engine, readonly=True) as session:  # SET LOCAL: gone afterwards
            again = session.exec(text("SHOW statement_timeout")).one()  # type: ignore[call-overload]
        assert again == ("100ms",)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("given", "expected"), [("", 5), ("none", None), ("0", 0)])
def test_prepare_threshold_comes_from_the_url(
    db_url: str, given: str, expected: int | None
) -> None:
    """Behind a PgBouncer before 1.21 in transaction pooling mode, `?prepare_threshold=none`
    keeps psycopg from preparing statements on the server (docs/runbook.md)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements")
    url = f"{db_url}&prepare_threshold={given}" if given else db_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold == expected  # type: ignore[union-attr]
    finally:
        engine.dispose()
