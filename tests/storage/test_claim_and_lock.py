"""The claim-and-lock statement reads the sender's newest session in the same round trip,
after the lock: what the lock's previous holder committed is what the route sees."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from flows.state import SessionState, Status
from storage.claim_and_lock import Claimed, claim_and_lock
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.storage.sample import NOW, Waiter, at

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _claim(engine: Engine, user: str, key: str) -> Claimed:
    with transaction(engine) as session:
        return claim_and_lock(
            session=session, channel="wechat", channel_user_id=user, dedupe_key=key, now=NOW
        )


def _with_session(engine: Engine, user: str, flow_id: str, status: Status) -> int:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW
        )
        saved = save_session_row(
            session=session,
            respondent_id=respondent.id,
            state=SessionState(flow_id, 1, status=status),
            now=NOW,
        )
    return saved.id


def test_the_newest_session_comes_with_the_lock(engine: Engine) -> None:
    """Someone known: their newest session row (of any survey), or a read that found none;
    someone new or a retry: nothing read ahead (the route reads for them)."""
    new = _claim(engine, "o_new", "k1")
    assert new.respondent is not None and new.latest is None
    assert _claim(engine, "o_new", "k1").latest is None  # the retry
    known = _claim(engine, "o_new", "k2")
    assert known.latest is not None and known.latest.row is None  # read: no session yet
    _with_session(engine, "o1", "first", Status.COMPLETED)
    newest = _with_session(engine, "o1", "second", Status.ACTIVE)
    _with_session(engine, "o2", "other", Status.ACTIVE)
    claimed = _claim(engine, "o1", "k3")
    assert claimed.latest is not None and claimed.latest.row is not None
    assert (claimed.latest.row.id, claimed.latest.row.flow_id) == (newest, "second")


def test_what_the_lock_holder_committed_is_read(engine: Engine) -> None:
    """A message waits for the sender's lock while another message of theirs saves a new
    session state: the row read ahead with the lock is the one saved (aiogram #1317)."""
    session_id = _with_session(engine, "o1", "f", Status.ACTIVE)
    seen: list[Claimed] = []
    waiter = Waiter(engine, lambda: seen.append(_claim(engine, "o1", "second")))
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=at(1)
        )
        waiter.start()
        save_session_row(
            session=session,
            respondent_id=respondent.id,
            state=SessionState("f", 1, status=Status.COMPLETED),
            now=at(2),
        )
    waiter.join()
    (claimed,) = seen
    assert claimed.latest is not None and claimed.latest.row is not None
    assert claimed.latest.row.id == session_id
    assert claimed.latest.row.status == Status.COMPLETED.value
    assert claimed.latest.row.updated_at == at(2)
