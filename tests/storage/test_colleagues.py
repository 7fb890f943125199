"""Whose answers a counting unit counts (storage.colleagues.counted): the latest take-over,
else the first completed session, else the first started one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.colleagues import Member, counted

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def member(
    n: int, *, started: int, completed: int | None = None, took: int | None = None
) -> Member:
    def at(minutes: int | None) -> datetime | None:
        return None if minutes is None else T0 + timedelta(minutes=minutes)

    return Member(n, n, T0 + timedelta(minutes=started), at(completed), at(took))


def test_the_latest_take_over_counts() -> None:
    first = member(1, started=0, completed=5, took=30)
    second = member(2, started=1, completed=6, took=40)
    third = member(3, started=2, completed=3)
    assert counted([first, second, third]) == second


def test_without_a_take_over_the_first_completed_counts() -> None:
    early_start = member(1, started=0)
    early_finish = member(2, started=1, completed=4)
    late_finish = member(3, started=0, completed=9)
    assert counted([early_start, late_finish, early_finish]) == early_finish


def test_when_nobody_completed_the_first_started_counts() -> None:
    assert counted([member(2, started=3), member(1, started=1)]) == member(1, started=1)
    assert counted([]) is None


def test_zoneless_timestamps_compare_with_zoned_ones() -> None:
    """SQLite hands back timestamps without a zone, PostgreSQL with one."""
    naive = Member(
        1, 1, T0.replace(tzinfo=None), None, (T0 + timedelta(hours=1)).replace(tzinfo=None)
    )
    zoned = member(2, started=0, took=30)
    assert counted([naive, zoned]) == naive
