"""The progress chart: per hour for a campaign's first days, per day after; China time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.reports.progress_chart import progress_chart_png
from bot.web.dashboard import HOURLY_DAYS, progress_series
from storage.transactions import transaction
from tests.storage.test_web_queries import LATE, _session

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_first_days_are_drawn_per_hour_then_per_day(engine: Engine) -> None:
    _session(engine, "a", LATE, completed=True)  # 23:00 in Beijing
    with transaction(engine, readonly=True) as session:
        days, hours = progress_series(session=session, flow_id="f")
    assert hours is not None and [h.hour for h in hours] == [datetime(2026, 3, 1, 23)]
    first_day = progress_chart_png(days, hours=hours)
    assert first_day.startswith(PNG)
    _session(engine, "b", LATE + timedelta(days=HOURLY_DAYS), completed=True)
    with transaction(engine, readonly=True) as session:
        days, hours = progress_series(session=session, flow_id="f")
    assert hours is None and len(days) == 2
    assert progress_chart_png(days).startswith(PNG)
    assert progress_chart_png(days[:1]) != first_day  # one day: a day bar, not an hour bar
