"""Held broadcasts: kept out of delivery, handed over once when the recipient writes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.broadcasts import HELD, MAX_HOLD, hold, take_held
from storage.models import Outbox, Respondent
from storage.outbox import claim_due
from storage.respondents import lock_respondent, update_respondent
from storage.transactions import transaction
from tests.storage.sample import NOW


def subscriber(engine: Engine, user: str, *, subscribed: bool = True) -> None:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW
        )
        update_respondent(
            session=session, respondent_id=respondent.id, subscribed_updates=subscribed
        )


def take(engine: Engine, user: str, *, after: timedelta = timedelta(hours=1)) -> list[str]:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW + after
        )
        return take_held(session=session, respondent=respondent, now=NOW + after)


def test_held_texts_are_not_delivered_but_handed_over_once_in_order(engine: Engine) -> None:
    subscriber(engine, "w1")
    with transaction(engine) as session:
        hold(session=session, channel="wechat", recipient="w1", text="first", now=NOW)
        hold(session=session, channel="wechat", recipient="w1", text="second", now=NOW)
        hold(session=session, channel="wechat", recipient="w2", text="other", now=NOW)
    with transaction(engine) as session:
        assert claim_due(session=session, now=NOW + timedelta(days=1), limit=10) == []
    assert take(engine, "w1") == ["first", "second"]
    assert take(engine, "w1") == []
    with transaction(engine) as session:
        statuses = {r.payload_json: r.status for r in session.exec(select(Outbox)).all()}
    assert statuses == {'{"text": "first"}': "sent", '{"text": "second"}': "sent",
                        '{"text": "other"}': HELD}  # fmt: skip


def test_dropped_after_unsubscribing_or_when_stale(engine: Engine) -> None:
    subscriber(engine, "gone", subscribed=False)
    subscriber(engine, "late")
    with transaction(engine) as session:
        hold(session=session, channel="wechat", recipient="gone", text="news", now=NOW)
        hold(session=session, channel="wechat", recipient="late", text="old news", now=NOW)
    assert take(engine, "gone") == []
    assert take(engine, "late", after=MAX_HOLD + timedelta(hours=1)) == []
    with transaction(engine) as session:
        assert session.exec(select(Outbox)).all() == []
        assert len(session.exec(select(Respondent)).all()) == 2


def test_one_take_hands_over_the_fresh_and_drops_the_stale(engine: Engine) -> None:
    subscriber(engine, "w1")
    with transaction(engine) as session:
        hold(session=session, channel="wechat", recipient="w1", text="stale", now=NOW)
        later = NOW + timedelta(days=20)
        hold(session=session, channel="wechat", recipient="w1", text="fresh", now=later)
    assert take(engine, "w1", after=MAX_HOLD + timedelta(days=1)) == ["fresh"]
    with transaction(engine) as session:
        assert [r.status for r in session.exec(select(Outbox)).all()] == ["sent"]


def test_nothing_held_costs_no_query(engine: Engine) -> None:
    subscriber(engine, "w1")
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="w1", now=NOW
        )
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert take_held(session=session, respondent=respondent, now=NOW) == []
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert statements == []
