"""AIAG's staff work in China time (UTC+8, no daylight saving): days and times they see."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA_OFFSET = timedelta(hours=8)
CHINA = timezone(CHINA_OFFSET, "UTC+8")


def local_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def local_midnight(now: datetime) -> datetime:
    return now.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)


def as_of(moment: datetime) -> str:
    """ "2026-03-02 09:00 北京时间 China time (UTC+8)": when figures were read, labelled."""
    return f"{local_time(moment)} 北京时间 China time (UTC+8)"
