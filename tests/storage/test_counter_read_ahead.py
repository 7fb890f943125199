"""The counters of the question a respondent is at, read with their lock
(storage.counter_read_ahead): the same figures a read at the snapshot would give, this
transaction's own changes included, and not used once they could differ."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from flows.state import SessionState, Status
from storage import counter_ledger
from storage.aggregates import bump_counters, counters
from storage.claim_and_lock import Claimed, claim_and_lock
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import connection_of, transaction
from tests.storage.sample import NOW

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _claim(session: Session, user: str, key: str) -> Claimed:
    return claim_and_lock(
        session=session, channel="wechat", channel_user_id=user, dedupe_key=key, now=NOW
    )


def _at(engine: Engine, user: str, flow_id: str, current: str | None, status: Status) -> None:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW
        )
        state = SessionState(flow_id, 1, status=status, current=current)
        save_session_row(session=session, respondent_id=respondent.id, state=state, now=NOW)


def _count(engine: Engine, deltas: dict[tuple[str, str, str], int]) -> None:
    with transaction(engine) as session:
        bump_counters(session=session, deltas=deltas)


def test_the_current_questions_counters_come_with_the_lock(engine: Engine) -> None:
    _count(engine, {("f", "q2", ""): 3, ("f", "q2", "a"): 2, ("f", "q2", "b"): 1})
    _count(engine, {("f", "q1", ""): 9, ("other", "q2", "a"): 7})
    _at(engine, "o1", "f", "q2", Status.ACTIVE)
    _at(engine, "o2", "f", "q3", Status.ACTIVE)  # no counters yet
    _at(engine, "o3", "f", None, Status.COMPLETED)  # at no question
    with transaction(engine) as session:
        latest = _claim(session, "o1", "k1").latest
        assert latest is not None and latest.counts is not None
        ahead = latest.counts
        assert (ahead.flow_id, ahead.question_id) == ("f", "q2")
        assert ahead.counts == {"": 3, "a": 2, "b": 1}
        # What the snapshot reads: the same as a read now.
        read = counters(session=session, flow_id="f", question_id="q2")
        assert counters(session=session, flow_id="f", question_id="q2", ahead=ahead) == read
        latest = _claim(session, "o2", "k2").latest
        assert latest is not None and latest.counts is not None
        assert (latest.counts.question_id, latest.counts.counts) == ("q3", {})
        latest = _claim(session, "o3", "k3").latest
        assert latest is not None and latest.row is not None and latest.counts is None


def test_own_changes_are_added_and_a_written_ledger_makes_it_read_again(engine: Engine) -> None:
    _count(engine, {("f", "q2", ""): 3, ("f", "q2", "a"): 3})
    _at(engine, "o1", "f", "q2", Status.ACTIVE)
    with transaction(engine) as session:
        latest = _claim(session, "o1", "k1").latest
        assert latest is not None
        ahead = latest.counts
        # Another transaction commits after the read ahead: the snapshot may show either.
        _count(engine, {("f", "q2", ""): 1, ("f", "q2", "b"): 1})
        bump_counters(session=session, deltas={("f", "q2", ""): 1, ("f", "q2", "a"): 1})
        mine = counters(session=session, flow_id="f", question_id="q2", ahead=ahead)
        assert mine == {("q2", ""): 4, ("q2", "a"): 4}  # read ahead, with its own change
        # Another question, or another survey: read, not taken from what was read ahead.
        assert counters(session=session, flow_id="f", question_id="q1", ahead=ahead) == {}
        other = counters(session=session, flow_id="g", question_id="q2", ahead=ahead)
        assert other == {}
        # The ledger wrote its changes into the table: what was read ahead lacks them
        # and `pending` no longer holds them, so the table is read again.
        counter_ledger.write_now(connection_of(session))
        again = counters(session=session, flow_id="f", question_id="q2", ahead=ahead)
        assert again == {("q2", ""): 5, ("q2", "a"): 4, ("q2", "b"): 1}
