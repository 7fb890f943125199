"""The one dispatcher every channel calls: dedupe → lock → load → step → save → render.

One inbound message is one database transaction (STYLE.md, aiogram #1317): the
processed-message row is inserted first under a unique constraint, then the respondent
is locked, and only then is the state loaded. A retried push therefore either waits for
the first attempt and gets its stored reply, or (if the first rolled back) processes it
afresh: an answer is never lost and never counted twice.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.envelope import ChannelEvent, Choice, Envelope, Message, Outcome
from bot.messages import to_messages
from bot.observability import metrics
from bot.render import Renderer
from bot.snapshots import Enricher
from bot.staff_alerts import alert_staff
from flows import engine as flow_engine
from flows.events import SurveyCompleted
from flows.model import Flow
from flows.state import SessionState
from storage import repositories as repo
from storage.broadcasts import take_held
from storage.chart_queue import queue_chart
from storage.db import run_in_transaction

log = logging.getLogger(__name__)

StaffHandler = Callable[[Session, Envelope], "Outcome | None"]


@dataclass(frozen=True)
class ServiceConfig:
    snapshot_min_respondents: int = 5
    staff: Sequence[tuple[str, str]] = ()  # (channel, user id) pairs notified of contacts


class Service:
    def __init__(
        self,
        engine: Engine,
        flow: Flow,
        *,
        config: ServiceConfig | None = None,
        renderer: Renderer | None = None,
        staff_handler: StaffHandler | None = None,
    ) -> None:
        self.engine = engine
        self.flow = flow
        self.config = config or ServiceConfig()
        self.renderer = renderer or Renderer()
        self.staff_handler = staff_handler

    async def handle(self, envelope: Envelope) -> Outcome:
        # SQLAlchemy here is synchronous: keep it off the event loop.
        return await anyio.to_thread.run_sync(self.handle_sync, envelope)

    def handle_sync(self, envelope: Envelope) -> Outcome:
        channel = envelope.channel.value
        started = time.perf_counter()
        try:
            outcome = run_in_transaction(
                self.engine, lambda session: self._process(session, envelope)
            )
        except Exception:
            metrics.record_message(channel, "error")
            metrics.record_error("dispatcher")
            raise
        metrics.record_dispatch(channel, time.perf_counter() - started)
        metrics.record_message(channel, "duplicate" if outcome.duplicate else "ok")
        return outcome

    def _process(self, session: Session, envelope: Envelope) -> Outcome:
        now = envelope.inbound.now
        processed = repo.claim_inbound(
            session=session,
            channel=envelope.channel.value,
            dedupe_key=envelope.dedupe_key,
            now=now,
        )
        if processed is None:
            stored = repo.stored_reply(
                session=session, channel=envelope.channel.value, dedupe_key=envelope.dedupe_key
            )
            return Outcome(_decode(stored or []), duplicate=True)
        if envelope.event is ChannelEvent.UNSUBSCRIBE:
            repo.set_respondent_active(
                session=session,
                channel=envelope.channel.value,
                channel_user_id=envelope.user_id,
                active=False,
                now=now,
            )
            repo.save_reply(session=session, processed=processed, messages=[])
            return Outcome(())
        respondent = repo.lock_respondent(
            session=session,
            channel=envelope.channel.value,
            channel_user_id=envelope.user_id,
            now=now,
            source=envelope.source,
        )
        # Broadcasts held back (WeChat's 48-hour window) go out with this reply.
        held = take_held(session=session, respondent=respondent, now=now)
        outcome = self.staff_handler(session, envelope) if self.staff_handler else None
        if outcome is None:
            outcome = self._survey_step(session, envelope, respondent)
        if held:
            messages = (*(Message(text) for text in held), *outcome.messages)
            outcome = dataclasses.replace(outcome, messages=messages)
        repo.save_reply(
            session=session,
            processed=processed,
            messages=_encode(outcome.messages),
            respondent_id=respondent.id,
        )
        return outcome

    def _survey_step(
        self, session: Session, envelope: Envelope, respondent: repo.Respondent
    ) -> Outcome:
        now = envelope.inbound.now
        assert respondent.id is not None  # flushed by lock_respondent
        row = repo.load_session_row(
            session=session, respondent_id=respondent.id, flow_id=self.flow.id
        )
        state = SessionState.from_json(row.state_json) if row is not None else None
        result = flow_engine.step(self.flow, state, envelope.inbound)
        saved = repo.save_session_row(
            session=session, respondent_id=respondent.id, state=result.state, now=now
        )
        contacts = repo.apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            effects=result.effects,
            now=now,
        )
        for contact in contacts:
            alert_staff(session=session, contact=contact, staff=self.config.staff, now=now)
        enricher = Enricher(
            session=session,
            flow=self.flow,
            state=result.state,
            min_respondents=self.config.snapshot_min_respondents,
            contacts=contacts,
        )
        replies = enricher.enrich(result.replies)
        if any(isinstance(e, SurveyCompleted) for e in result.effects):
            # The completion chart takes ~0.5 s of CPU to draw: neither inside this
            # transaction (finishing respondents queued behind it into lock timeouts) nor
            # before the reply (many at once overran WeChat's 5 s). Queued here, drawn and
            # sent by bot.completion_charts.ChartWorker through the outbox.
            queue_chart(
                session=session,
                channel=respondent.channel,
                recipient=respondent.channel_user_id,
                respondent_id=respondent.id,
                now=now,
            )
        return Outcome(to_messages(self.renderer, replies, result.state))


def _encode(messages: Sequence[Message]) -> list[str]:
    """The rendered reply, kept so a retried push gets exactly the same answer."""
    out = []
    for message in messages:
        data = dataclasses.asdict(message)
        data.pop("image_png", None)  # images are re-rendered, not stored per message
        out.append(json.dumps(data, ensure_ascii=False))
    return out


def _decode(stored: Sequence[str]) -> tuple[Message, ...]:
    messages = []
    for raw in stored:
        data = json.loads(raw)
        choices = tuple(Choice(**c) for c in data.pop("choices", []))
        known = {f.name for f in dataclasses.fields(Message)} - {"choices", "image_png"}
        messages.append(Message(choices=choices, **{k: v for k, v in data.items() if k in known}))
    return tuple(messages)
