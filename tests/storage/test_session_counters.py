"""The session counters stay exact, and the figures read from them equal the rows' counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from flows.events import DataDeleted, LanguageChosen
from flows.model import Lang
from flows.state import SessionState, Status
from storage.answers import apply_effects
from storage.filters import AnswerIs, ReportFilter
from storage.progress import survey_progress
from storage.respondents import (
    RespondentRow,
    load_session_row,
    lock_respondent,
    save_session_row,
)
from storage.session_counters import NOT_COMPLETED, stored, verify
from storage.test_data import mark_test
from storage.transactions import transaction
from storage.web_queries import progress_by_channel, progress_by_day, progress_by_hour

FLOW = "f"
START = datetime(2026, 3, 1, 15, 20, tzinfo=UTC)
CHINA = timedelta(hours=8)


def _state(started: datetime, completed: datetime | None, version: int = 1) -> SessionState:
    return SessionState(
        flow_id=FLOW,
        flow_version=version,
        status=Status.COMPLETED if completed else Status.ACTIVE,
        started_at=started.isoformat(),
        completed_at=completed.isoformat() if completed else None,
    )


def _save(
    engine: Engine,
    user: str,
    started: datetime,
    completed: datetime | None,
    *,
    channel: str = "wechat",
    version: int = 1,
) -> RespondentRow:
    with transaction(engine) as session:
        who = lock_respondent(session=session, channel=channel, channel_user_id=user, now=started)
        assert who.id is not None
        state = _state(started, completed, version)
        save_session_row(session=session, respondent_id=who.id, state=state, now=started)
    return who


def _effects(
    engine: Engine, user: str, effect: object, now: datetime, channel: str = "wechat"
) -> None:
    with transaction(engine) as session:
        who = lock_respondent(session=session, channel=channel, channel_user_id=user, now=now)
        assert who.id is not None
        row = load_session_row(session=session, respondent_id=who.id, flow_id=FLOW)
        assert row is not None
        apply_effects(
            session=session, respondent=who, survey_session=row, effects=[effect], now=now
        )


def _exact(engine: Engine) -> dict[object, int]:
    with transaction(engine, readonly=True) as session:
        assert verify(session=session, flow_id=FLOW) == []
        return stored(session=session, flow_id=FLOW)


def test_a_session_moves_as_it_starts_completes_restarts_and_changes_version(
    engine: Engine,
) -> None:
    _save(engine, "a", START, None)
    (key,) = _exact(engine)
    assert key.completed_after == NOT_COMPLETED and key.started_hour == START.replace(minute=0)
    _save(engine, "a", START, START + timedelta(hours=2, minutes=50))
    (key,) = _exact(engine)
    assert key.completed_after == 3  # 15:20 → 18:10: hours 15 and 18
    _save(engine, "a", START + timedelta(days=1), None, version=2)  # restarted on v2
    (key,) = _exact(engine)
    assert (key.flow_version, key.completed_after) == (2, NOT_COMPLETED)
    _save(engine, "b", START, START, channel="telegram")
    assert sorted(k.channel for k in _exact(engine)) == ["telegram", "wechat"]


def test_language_test_marks_and_erasure_keep_them_exact(engine: Engine) -> None:
    _save(engine, "a", START, None)
    _save(engine, "b", START, START + timedelta(minutes=5))
    _effects(engine, "a", LanguageChosen(Lang.EN), START + timedelta(minutes=1))
    assert {k.lang for k in _exact(engine)} == {"en", "both"}
    b = _save(engine, "b", START, START + timedelta(minutes=5))
    with transaction(engine) as session:
        assert b.id is not None
        mark_test(session=session, respondent_id=b.id, is_test=True, now=START)
    assert {(k.lang, k.is_test) for k in _exact(engine)} == {("en", False), ("both", True)}
    _effects(engine, "a", DataDeleted(), START + timedelta(minutes=9))
    assert [(k.lang, k.is_test) for k in _exact(engine)] == [("both", True)]
    with transaction(engine) as session:
        assert b.id is not None
        mark_test(session=session, respondent_id=b.id, is_test=False, now=START)
    assert [k.is_test for k in _exact(engine)] == [False]


FILTERS = [
    ReportFilter(),
    ReportFilter(include_test=True),
    ReportFilter(channel="telegram"),
    ReportFilter(lang="en", include_test=True),
    ReportFilter(since=datetime(2026, 3, 2, 16, tzinfo=UTC)),  # China midnight: counters
    ReportFilter(until=datetime(2026, 3, 3, 16, 30, tzinfo=UTC)),  # inside an hour: rows
    ReportFilter(answers=(AnswerIs("role", "oem"),)),  # answers: rows
]


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_from_counters_equal_the_rows(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    for n in range(60):
        started = START + timedelta(minutes=rng.randint(0, 4 * 24 * 60))
        completed = started + timedelta(minutes=rng.randint(1, 600))
        channel = rng.choice(["wechat", "telegram"])
        who = _save(
            engine,
            f"u{n}",
            started,
            completed if rng.random() < 0.7 else None,
            channel=channel,
            version=rng.choice([1, 2]),
        )
        if rng.random() < 0.5:
            chosen = LanguageChosen(rng.choice(list(Lang)))
            _effects(engine, f"u{n}", chosen, started, channel)
        if rng.random() < 0.1:
            with transaction(engine) as session:
                assert who.id is not None
                mark_test(session=session, respondent_id=who.id, is_test=True, now=started)
    _exact(engine)
    since = START + timedelta(days=2, minutes=rng.randint(0, 600))  # inside an hour
    with transaction(engine, readonly=True) as session:
        for report_filter in FILTERS:
            got = [_figures(session, report_filter, since, counters) for counters in (True, False)]
            assert got[0] == got[1], report_filter
            assert got[0][2] or report_filter.narrows


def _figures(
    session: Session, report_filter: ReportFilter, since: datetime, counters: bool
) -> tuple[object, ...]:
    return (
        progress_by_day(
            session=session,
            flow_id=FLOW,
            utc_offset=CHINA,
            report_filter=report_filter,
            from_counters=counters,
        ),
        progress_by_hour(
            session=session,
            flow_id=FLOW,
            utc_offset=CHINA,
            report_filter=report_filter,
            from_counters=counters,
        ),
        progress_by_channel(
            session=session, flow_id=FLOW, report_filter=report_filter, from_counters=counters
        ),
        survey_progress(
            session=session,
            flow_id=FLOW,
            since=since,
            idle_before=since,
            report_filter=report_filter,
            from_counters=counters,
        ),
    )
