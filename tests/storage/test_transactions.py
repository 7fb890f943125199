"""storage.transactions: one transaction per message, committed once, retried on conflict."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from storage.db import make_engine
from storage.kv import kv_get, kv_set
from storage.transactions import run_in_transaction, transaction
from tests.storage.sample import NOW


def test_transaction_commits_once_or_rolls_back(engine: Engine) -> None:
    with transaction(engine) as session:
        kv_set(session=session, key="kept", value="1", expires_at=None)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        kv_set(session=session, key="lost", value="1", expires_at=None)
        raise RuntimeError("boom")
    with transaction(engine) as session:
        assert kv_get(session=session, key="kept", now=NOW) == "1"
        assert kv_get(session=session, key="lost", now=NOW) is None


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
