"""Two small tables for the SQLite writer's tests: the jobs done, and how often any ran."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event

from storage.db import make_engine


def writer_engine(path: Path) -> Engine:
    """A fresh SQLite file with `done(job)` and `runs(n)`."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE done (job TEXT PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE runs (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO runs VALUES (0)")
    return engine


def commits(engine: Engine) -> list[int]:
    """Grows by one at each commit on `engine` from now on."""
    seen: list[int] = []
    event.listen(engine, "commit", lambda _conn: seen.append(1))
    return seen


def table(engine: Engine) -> tuple[list[str], int]:
    """The jobs done (sorted) and the runs counted."""
    with engine.connect() as conn:
        jobs = [r[0] for r in conn.exec_driver_sql("SELECT job FROM done ORDER BY job")]
        runs = conn.exec_driver_sql("SELECT n FROM runs").scalar_one()
    return jobs, runs
