from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import PerDialect, make_engine, normalize_url, ping


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


@pytest.mark.parametrize(("given", "expected"), [("", 5), ("none", None), ("0", 0)])
def test_prepare_threshold_comes_from_the_url(
    db_url: str, given: str, expected: int | None
) -> None:
    """Behind a PgBouncer before 1.21 in transaction pooling mode, `?prepare_threshold=none`
    keeps the hot path from preparing statements on the server (docs/runbook.md); psycopg
    itself never prepares (its ROLLBACK would DEALLOCATE ALL: storage.libpq_pipeline)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements")
    from storage.libpq_pipeline import PREPARE_THRESHOLD

    url = f"{db_url}&prepare_threshold={given}" if given else db_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None  # type: ignore[union-attr]
            assert conn.info[PREPARE_THRESHOLD] == expected
    finally:
        engine.dispose()
