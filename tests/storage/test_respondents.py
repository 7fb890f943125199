from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from flows.state import SessionState, Status
from storage import reminders
from storage.broadcasts import hold
from storage.claim_and_lock import claim_and_lock
from storage.models import Reminder, Respondent
from storage.respondents import (
    lock_respondent,
    save_session_row,
    set_respondent_active,
    subscribed_respondents,
    update_respondent,
)
from storage.transactions import transaction
from tests.storage.sample import NOW, Waiter, at


def test_lock_respondent_creates_once_then_updates_last_inbound(engine: Engine) -> None:
    with transaction(engine) as session:
        first = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=NOW, source="qr-expo"
        )
    with transaction(engine) as session:
        again = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=at(5), source="other"
        )
        other = lock_respondent(session=session, channel="telegram", channel_user_id="o1", now=NOW)
    assert again.id == first.id
    assert other.id == (first.id or 0) + 1  # no id burnt by the repeated message
    assert again.source == "qr-expo"  # the first scene is kept
    assert again.created_at == NOW and again.last_inbound_at == at(5)
    assert again.lang == "both" and again.active and not again.subscribed_updates


def test_lock_respondent_serializes_two_messages_of_one_respondent(engine: Engine) -> None:
    """The second transaction waits at lock_respondent until the first has committed."""
    with transaction(engine) as session:
        lock_respondent(session=session, channel="wechat", channel_user_id="o1", now=NOW)
    timeline: list[tuple[str, float]] = []

    def second() -> None:
        with transaction(engine) as session:
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id="o1", now=at(2)
            )
            timeline.append(("second locked", time.monotonic()))
            # It sees what the first one wrote (loaded after the lock, never before).
            timeline.append((f"lang={respondent.lang}", 0))

    waiter = Waiter(engine, second)
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=at(1)
        )
        # The second transaction is under way (and, on PostgreSQL, waiting on our row)
        # before we write and commit.
        waiter.start()
        update_respondent(session=session, respondent_id=respondent.id, lang="en")
        timeline.append(("first commits", time.monotonic()))
    waiter.join()
    (_, committing), (_, second_locked), (seen, _) = timeline
    assert second_locked >= committing
    assert seen == "lang=en"


def test_concurrent_first_messages_create_one_respondent(engine: Engine) -> None:
    barrier = threading.Barrier(4)
    ids: list[int | None] = []

    def first_message() -> None:
        barrier.wait(5)
        with transaction(engine) as session:
            ids.append(
                lock_respondent(
                    session=session, channel="wechat", channel_user_id="new", now=NOW
                ).id
            )

    threads = [threading.Thread(target=first_message) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(ids) == 4 and len(set(ids)) == 1


def test_unsubscribe_keeps_the_respondent_inactive_until_they_return(engine: Engine) -> None:
    with transaction(engine) as session:
        lock_respondent(session=session, channel="wechat", channel_user_id="o1", now=NOW)
    with transaction(engine) as session:
        set_respondent_active(
            session=session, channel="wechat", channel_user_id="o1", active=False, now=at(1)
        )
    with transaction(engine) as session:
        respondent = session.exec(select(Respondent)).one()
        assert not respondent.active
        assert lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=at(2)
        ).active


def test_subscribed_respondents_are_the_active_ones_who_asked(engine: Engine) -> None:
    with transaction(engine) as session:
        for user in ("a", "b", "c"):
            respondent = lock_respondent(
                session=session, channel="telegram", channel_user_id=user, now=NOW
            )
            update_respondent(
                session=session, respondent_id=respondent.id, subscribed_updates=user != "c"
            )
        set_respondent_active(
            session=session, channel="telegram", channel_user_id="b", active=False, now=NOW
        )
    with transaction(engine) as session:
        audience = subscribed_respondents(session=session)
        assert [r.channel_user_id for r in audience] == ["a"]
        assert subscribed_respondents(session=session, channel="wechat") == []


def test_the_locked_row_is_a_snapshot_changed_through_update_respondent(engine: Engine) -> None:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=NOW
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            respondent.lang = "en"  # type: ignore[misc]
        update_respondent(session=session, respondent_id=respondent.id, lang="en")
        update_respondent(session=session, respondent_id=respondent.id)  # nothing to change
    with transaction(engine) as session:
        again = lock_respondent(session=session, channel="wechat", channel_user_id="o1", now=NOW)
        update_respondent(session=session, respondent_id=again.id, subscribed_updates=True)
    assert (again.lang, again.subscribed_updates) == ("en", False)
    with transaction(engine) as session:
        stored = session.get(Respondent, respondent.id)
        assert stored is not None
        assert (stored.lang, stored.subscribed_updates) == ("en", True)


def test_the_lock_tells_whether_broadcasts_are_held(engine: Engine) -> None:
    with transaction(engine) as session:
        first = lock_respondent(session=session, channel="wechat", channel_user_id="o1", now=NOW)
        hold(session=session, channel="wechat", recipient="o1", text="news", now=NOW)
        hold(session=session, channel="telegram", recipient="o2", text="news", now=NOW)
    assert not first.has_held_broadcasts  # nothing was held yet when it was locked
    with transaction(engine) as session:
        held = lock_respondent(session=session, channel="wechat", channel_user_id="o1", now=NOW)
        # Same user id on another channel is someone else.
        other = lock_respondent(session=session, channel="wechat", channel_user_id="o2", now=NOW)
    assert held.has_held_broadcasts is True and other.has_held_broadcasts is False


@pytest.mark.parametrize("lock", ["lock_respondent", "claim_and_lock"])
def test_the_lock_tells_whether_a_reminder_awaits_their_return(engine: Engine, lock: str) -> None:
    """Read with the lock (PostgreSQL: in the claim's one statement too): a message marks
    the reminder returned only when one awaits, and then the next lock says none does."""

    def locked(user: str, key: str) -> bool:
        with transaction(engine) as session:
            if lock == "lock_respondent":
                row = lock_respondent(
                    session=session, channel="wechat", channel_user_id=user, now=NOW
                )
            else:
                claimed = claim_and_lock(
                    session=session,
                    channel="wechat",
                    channel_user_id=user,
                    dedupe_key=key,
                    now=NOW,
                )
                assert claimed.respondent is not None
                row = claimed.respondent
            if row.return_awaited:
                reminders.note_return(session=session, respondent_id=row.id, now=at(3))
            return row.return_awaited

    assert locked("o1", "k1") is False and locked("o2", "k2") is False
    with transaction(engine) as session:
        for user in ("o1", "o2"):
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=user, now=NOW
            )
            state = SessionState("f", 1, status=Status.ACTIVE)
            saved = save_session_row(
                session=session, respondent_id=respondent.id, state=state, now=NOW
            )
            session.add(Reminder(survey_session_id=saved.id, respondent_id=respondent.id,
                                 flow_id="f", sent_at=at(1)))  # fmt: skip
    assert locked("o1", "k3") is True  # marked returned in that transaction
    assert locked("o1", "k4") is False
    assert locked("o2", "k5") is True  # another respondent's reminder is theirs
    with transaction(engine) as session:
        assert reminders.reminder_counts(session=session, flow_ids=["f"]) == (2, 2)
