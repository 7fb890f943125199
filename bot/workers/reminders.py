"""One reminder to respondents who stop mid-survey (issue 17 §7), a background job.

Each round, per open survey, finds the sessions stopped for the flow's
`reminder_after_hours` whose respondent is still inside WeChat's 48-hour window, claims
each (a row keyed by the session: never a second reminder, whatever the number of
workers or hosts) and queues the message in the outbox in the same transaction. On
WeChat the message carries a tap link that sends "继续"; Telegram gets the words.
Staff's `/remind` (`remind_now`) sends the same reminder at once, under the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch.render import Renderer
from bot.surveys.catalog import SurveyCatalog
from flows import numbering
from flows.outside_step_replies import Reminder
from flows.state import SessionState
from storage import reminders
from storage.outbox import enqueue
from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)

INTERVAL_S = 300.0
BATCH = 200  # sessions per query; the job takes one batch per survey per round
# `/remind` skips the flow's wait but not someone answering right now: silent for an hour.
NOW_AFTER_HOURS = 1.0


def remind_due(
    *, session: Session, catalog: SurveyCatalog, renderer: Renderer, now: datetime
) -> int:
    """Queue the reminders due now; how many were queued by this worker."""
    catalog.refresh(session)
    queued = 0
    for flow_id in catalog.survey_ids():
        if not catalog.is_open(flow_id):
            continue
        newest = catalog.newest_flow(session, flow_id)
        if newest is None:
            continue
        queued += remind_survey(
            session=session,
            catalog=catalog,
            renderer=renderer,
            flow_id=flow_id,
            after_hours=newest.reminder_after_hours,
            now=now,
        )
    return queued


def remind_now(
    *, session: Session, catalog: SurveyCatalog, renderer: Renderer, flow_id: str, now: datetime
) -> int | None:
    """Staff's `/remind`: the one reminder, now, to everyone of `flow_id` due under the
    job's rules except the wait (those silent for `NOW_AFTER_HOURS` are enough).
    None when the survey is closed (the job reminds nobody there either)."""
    catalog.refresh(session)
    if not catalog.is_open(flow_id):
        return None
    return remind_survey(
        session=session,
        catalog=catalog,
        renderer=renderer,
        flow_id=flow_id,
        after_hours=NOW_AFTER_HOURS,
        now=now,
        batches=None,
    )


def remind_survey(
    *,
    session: Session,
    catalog: SurveyCatalog,
    renderer: Renderer,
    flow_id: str,
    after_hours: float,
    now: datetime,
    batches: int | None = 1,
) -> int:
    """Claim and queue the reminders of one survey; `batches` of `BATCH` (None: all)."""
    queued = 0
    rounds = 0
    while batches is None or rounds < batches:
        rounds += 1
        due_now = reminders.due_reminders(
            session=session, flow_id=flow_id, after_hours=after_hours, now=now, limit=BATCH
        )
        for due in due_now:
            if not reminders.claim(session=session, due=due, now=now):
                continue  # another worker reminded them a moment ago
            _queue(session, catalog, renderer, due, now)
            queued += 1
        if len(due_now) < BATCH:
            break
    return queued


def _queue(
    session: Session, catalog: SurveyCatalog, renderer: Renderer, due: reminders.Due, now: datetime
) -> None:
    flow = catalog.flow(session, due.flow_id, due.flow_version)
    state = SessionState.from_json(due.state_json)
    number = numbering.label(flow, state.current) if state.current else None
    reminder = Reminder(number, numbering.total(flow), flow.title, tap_link=due.channel == "wechat")
    text = renderer.render(reminder, state.lang)
    enqueue(
        session=session,
        channel=due.channel,
        recipient=due.channel_user_id,
        kind="text",
        payload={"text": text},
        now=now,
    )


class Reminders:
    def __init__(
        self,
        engine: Engine,
        catalog: SurveyCatalog,
        *,
        renderer: Renderer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.renderer = renderer or Renderer()
        self.clock = clock

    def run_once(self) -> int:
        now = self.clock()
        return run_in_transaction(
            self.engine,
            lambda session: remind_due(
                session=session, catalog=self.catalog, renderer=self.renderer, now=now
            ),
        )

    async def run_forever(self, interval: float = INTERVAL_S) -> None:
        while True:
            try:
                queued = await anyio.to_thread.run_sync(self.run_once)
                if queued:
                    log.info("queued %d respondent reminders", queued)
            except Exception:  # the loop must survive a database outage; it is logged
                log.exception("respondent reminder round failed")
            await anyio.sleep(interval)
