"""Held broadcasts: kept out of delivery, handed over once when the recipient writes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.broadcasts import HELD, MAX_HOLD, hold, take_held
from storage.db import transaction
from storage.models import Outbox, Respondent
from storage.outbox import claim_due
from storage.respondents import lock_respondent
from tests.storage.sample import NOW


def subscriber(engine: Engine, user: str, *, subscribed: bool = True) -> None:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW
        )
        respondent.subscribed_updates = subscribed
        session.add(respondent)


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
