"""Queued completion charts: leased to one worker, turned into pending image rows."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.chart_queue import (
    LEASE,
    MAX_ATTEMPTS,
    RENDER,
    chart_drawn,
    claim_charts,
    queue_chart,
    respondent_of,
    survey_of,
)
from storage.models import Outbox
from storage.outbox import claim_due
from storage.transactions import transaction
from tests.storage.sample import NOW


def queue(engine: Engine, channel: str = "wechat", respondent_id: int = 7) -> None:
    with transaction(engine) as session:
        queue_chart(
            session=session, channel=channel, recipient="u", respondent_id=respondent_id, now=NOW
        )


def claim(engine: Engine, *, at: timedelta = timedelta(0)) -> list[Outbox]:
    with transaction(engine) as session:
        return claim_charts(session=session, now=NOW + at, limit=10, channels=["wechat"])


def test_a_queued_chart_is_leased_drawn_and_handed_to_delivery(engine: Engine) -> None:
    queue(engine)
    queue(engine, channel="console")  # no worker draws for a channel nobody delivers to
    with transaction(engine) as session:
        assert claim_due(session=session, now=NOW + timedelta(hours=1), limit=10) == []
    (item,) = claim(engine)
    assert respondent_of(item) == 7
    assert claim(engine) == []  # leased
    with transaction(engine) as session:
        chart_drawn(session=session, item=item, png=b"PNG", deliver_at=NOW + timedelta(seconds=2))
    with transaction(engine) as session:
        due = claim_due(session=session, now=NOW + timedelta(seconds=2), limit=10)
    assert [(i.kind, json.loads(i.payload_json)) for i in due] == [
        ("image", {"images": [base64.b64encode(b"PNG").decode()]})
    ]


def test_nothing_to_draw_drops_the_row_and_failures_are_given_up(engine: Engine) -> None:
    queue(engine)
    (item,) = claim(engine)
    with transaction(engine) as session:
        chart_drawn(session=session, item=item, png=None, deliver_at=NOW)
    queue(engine)
    for attempt in range(MAX_ATTEMPTS):
        assert len(claim(engine, at=LEASE * attempt + timedelta(seconds=attempt))) == 1
    assert claim(engine, at=LEASE * (MAX_ATTEMPTS + 1)) == []
    with transaction(engine) as session:
        remaining = session.exec(select(Outbox).where(Outbox.status == RENDER)).all()
        assert [r.channel for r in remaining] == []


def test_the_chart_names_the_survey_version_it_is_for(engine: Engine) -> None:
    with transaction(engine) as session:
        queue_chart(
            session=session,
            channel="wechat",
            recipient="u",
            respondent_id=3,
            now=NOW,
            survey=("aiag_pcf_followup", 2),
        )
    queue(engine)  # without a survey: a row from before versions (the default survey)
    first, second = claim(engine)
    assert survey_of(first) == ("aiag_pcf_followup", 2) and respondent_of(first) == 3
    assert survey_of(second) is None
