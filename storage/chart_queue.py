"""Completion charts waiting to be drawn, as outbox rows with status "render".

Drawing a chart takes a good part of a second of CPU: too long for WeChat's 5-second
reply window when many respondents finish at once. So the dispatcher only queues a
row (in the answer's transaction, so it is never lost); a worker leases it, draws it
outside any transaction, and turns it into an ordinary pending image row for the
delivery worker (WeChat: media upload; Telegram: sendPhoto).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Outbox, OutboxStatus
from storage.outbox import enqueue

RENDER = "render"  # an Outbox.status beside storage.models.OutboxStatus
KIND = "completion_chart"
STAFF_KIND = "staff_chart"  # a staff member's /chart: one question's figures
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 3  # a chart that failed to draw three times is given up (and logged)


def queue_chart(
    *,
    session: Session,
    channel: str,
    recipient: str,
    respondent_id: int,
    now: datetime,
    survey: tuple[str, int] | None = None,
) -> int:
    """`survey`: the (flow id, version) just completed (None: the default survey)."""
    payload: dict[str, object] = {"respondent_id": respondent_id}
    if survey is not None:
        payload["flow_id"], payload["flow_version"] = survey
    return enqueue(
        session=session,
        channel=channel,
        recipient=recipient,
        kind=KIND,
        payload=payload,
        now=now,
        status=RENDER,
    )


def queue_staff_chart(
    *,
    session: Session,
    channel: str,
    recipient: str,
    survey: tuple[str, int],
    question_id: str,
    report_filter: dict[str, object],
    now: datetime,
) -> int:
    """A staff `/chart`: drawn by the chart worker, sent through the outbox (the reply
    itself goes at once: drawing took 3-4 s, past WeChat's 5 s with the rest)."""
    payload = {
        "flow_id": survey[0],
        "flow_version": survey[1],
        "question_id": question_id,
        "filter": report_filter,
    }
    return enqueue(
        session=session,
        channel=channel,
        recipient=recipient,
        kind=STAFF_KIND,
        payload=payload,
        now=now,
        status=RENDER,
    )


def respondent_of(item: Outbox) -> int:
    return int(json.loads(item.payload_json)["respondent_id"])


def survey_of(item: Outbox) -> tuple[str, int] | None:
    """The (flow id, version) the chart is for; None for rows queued before versions."""
    data = json.loads(item.payload_json)
    if "flow_id" not in data:
        return None
    return str(data["flow_id"]), int(data["flow_version"])


def claim_charts(
    *, session: Session, now: datetime, limit: int, channels: Collection[str]
) -> list[Outbox]:
    """Due rows for `channels`, leased for LEASE (a worker that dies mid-draw loses none).

    Rows that already failed MAX_ATTEMPTS times are dropped instead."""
    items = list(
        session.exec(
            select(Outbox)
            .where(
                Outbox.status == RENDER,
                col(Outbox.next_attempt_at) <= now,
                col(Outbox.channel).in_(list(channels)),
            )
            .order_by(col(Outbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
    )
    leased = []
    for item in items:
        if item.attempts >= MAX_ATTEMPTS:
            session.delete(item)
            continue
        item.next_attempt_at = now + LEASE
        item.attempts += 1
        session.add(item)
        leased.append(item)
    session.flush()
    return leased


def chart_drawn(*, session: Session, item: Outbox, png: bytes | None, deliver_at: datetime) -> None:
    """Hand the PNG to the delivery worker; None (nothing to show) drops the row."""
    row = session.get(Outbox, item.id, with_for_update=True, populate_existing=True)
    if row is None or row.status != RENDER:
        return  # already handled by another worker after a lease ran out
    if png is None:
        session.delete(row)
        return
    row.kind = "image"
    row.payload_json = json.dumps({"images": [base64.b64encode(png).decode("ascii")]})
    row.status = OutboxStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = deliver_at
    session.add(row)
