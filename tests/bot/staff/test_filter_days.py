"""A day typed without a year, as staff mean it (China calendar): a start is never in the
future, an end is the nearer of this year's and last year's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.staff.filter_words import parse_day

DEC_5 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 2026-12-05 04:00 in Beijing
JAN_5 = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "now", "end", "day"),
    [
        ("12-01", DEC_5, False, date(2026, 12, 1)),
        ("12-31", DEC_5, False, date(2025, 12, 31)),  # a start in the future: last year's
        ("12-31", DEC_5, True, date(2026, 12, 31)),  # this year's end
        ("12月31日", DEC_5, True, date(2026, 12, 31)),
        ("12-31", JAN_5, True, date(2026, 12, 31)),  # last year's end, a few days ago
        ("06-30", DEC_5, True, date(2026, 6, 30)),  # in the past: this year's
        ("2025-12-31", DEC_5, True, date(2025, 12, 31)),  # a year given is kept
        ("today", DEC_5, True, date(2026, 12, 5)),
        ("02-29", datetime(2028, 1, 10, tzinfo=UTC), False, date(2027, 2, 28)),
    ],
)
def test_parse_day(text: str, now: datetime, end: bool, day: date) -> None:
    assert parse_day(text, now, end=end) == day
