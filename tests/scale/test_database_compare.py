"""`surveybot bench databases`: what a round measures and how the summary reads it."""

from __future__ import annotations

from benchmarks.database_compare import ASYNC_COMMIT, Measured, Setup, plan, summary
from benchmarks.results import RunResult


def _measured(database: str, workers: int, total_ms: float) -> Measured:
    result = RunResult(label=database, elapsed_s=1.0, latencies_s=[0.01] * 1000)
    seconds = total_ms  # 1,000 pushes: total_ms of CPU a push
    backend = 0.0 if database == "sqlite" else seconds / 4
    return Measured(Setup("this", database, workers), result, seconds - backend, backend, True, 0.5)


def test_a_round_measures_postgresql_at_each_durability_asked_for() -> None:
    """`--synchronous-commit both`: PostgreSQL as configured and at SQLite's durability,
    1 and 2 workers each, beside one SQLite run; `on` (the default) leaves the latter out."""
    both = plan(before=False, synchronous_commit="both")
    assert [(s.database, s.workers) for s in both] == [
        ("sqlite", 1), ("postgresql", 1), ("postgresql", 2), (ASYNC_COMMIT, 1), (ASYNC_COMMIT, 2)
    ]  # fmt: skip
    assert {s.database for s in plan(before=True)} == {"sqlite", "postgresql"}
    assert {s.tree for s in plan(before=True)} == {"this", "before"}


def test_the_summary_gives_each_postgresql_setting_its_own_ratio_to_sqlite() -> None:
    lines = summary(
        [
            _measured("sqlite", 1, 1.0),
            _measured("postgresql", 1, 2.0),
            _measured("postgresql", 2, 2.5),
            _measured(ASYNC_COMMIT, 1, 1.4),
        ]
    )
    assert (
        "this: PostgreSQL server + backend CPU per push 2.00-2.50 ms, SQLite 1.00-1.00 ms: "
        "2.00-2.50 x (target <= 1.5 x)"
    ) in lines
    assert (
        "this: PostgreSQL (synchronous_commit=off) server + backend CPU per push 1.40-1.40 ms, "
        "SQLite 1.00-1.00 ms: 1.40-1.40 x (target <= 1.5 x)"
    ) in lines
    assert "this: PostgreSQL 2 worker(s): 1000.0 pushes/s" in lines
