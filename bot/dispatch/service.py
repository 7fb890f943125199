"""The one dispatcher every channel calls: dedupe → lock → load → step → save → render.

One inbound message is one database transaction (STYLE.md, aiogram #1317): the
processed-message row is inserted first under a unique constraint, then the respondent
is locked, and only then is the state loaded. A retried push therefore either waits for
the first attempt and gets its stored reply, or (if the first rolled back) processes it
afresh: an answer is never lost and never counted twice.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch import reply_delivery
from bot.dispatch.delivery_plan import ReplyPlanner
from bot.dispatch.envelope import ChannelEvent, Choice, Envelope, Message, Outcome
from bot.dispatch.messages import to_messages
from bot.dispatch.pseudonyms import Pseudonyms
from bot.dispatch.render import Renderer
from bot.dispatch.snapshots import Enricher
from bot.dispatch.sqlite_writer import SQLiteWriter
from bot.dispatch.staff_alerts import alert_staff
from bot.observability import metrics
from bot.reports.disclosure import Thresholds
from bot.surveys import router
from bot.surveys.catalog import SurveyCatalog
from flows.events import (
    Inbound,
    NextSurveyChosen,
    RemindersDeclined,
    Reply,
    Step,
    SurveyCompleted,
)
from flows.model import Flow, Lang, SnapshotMode, Text
from storage import reminders
from storage.answers import apply_effects
from storage.broadcasts import take_held
from storage.chart_queue import queue_chart
from storage.db import run_in_transaction
from storage.inbound import claim_inbound, save_reply, stored_reply
from storage.respondents import (
    RespondentRow,
    lock_respondent,
    save_session_row,
    set_respondent_active,
)

log = logging.getLogger(__name__)

StaffHandler = Callable[[Session, Envelope], "Outcome | None"]


@dataclass(frozen=True)
class ServiceConfig:
    snapshot_min_respondents: int = 5
    snapshot_min_segment: int = 10  # a peer segment's figures (bot.reports.disclosure)
    snapshot_min_cell: int = 3  # a count or its complement below this is coarsened
    staff: Sequence[tuple[str, str]] = ()  # (channel, user id) pairs notified of contacts
    # PostgreSQL: messages dispatched at once (threads). 16 cost 7.7-7.8 ms of CPU a push
    # in GIL hand-offs where 4 cost 6.1 ms, for 25 % more pushes/s (docs/benchmarks.md).
    db_threads: int = 4
    # Dedupe keys are keyed hashes of (sender, message key): no user id in clear.
    pseudonyms: Pseudonyms = Pseudonyms()
    # A pause after which a message that is not an answer gets "welcome back" (issue 17).
    welcome_back_after: timedelta = timedelta(minutes=30)


class Service:
    def __init__(
        self,
        engine: Engine,
        surveys: Flow | SurveyCatalog,
        *,
        config: ServiceConfig | None = None,
        renderer: Renderer | None = None,
        staff_handler: StaffHandler | None = None,
        planners: Sequence[ReplyPlanner] = (),
    ) -> None:
        self.engine = engine
        # A bare Flow: that one survey, open, without the registry (tests, `surveybot chat`).
        self.catalog: SurveyCatalog = (
            surveys if isinstance(surveys, SurveyCatalog) else SurveyCatalog.fixed(surveys)
        )
        self.config = config or ServiceConfig()
        self.renderer = renderer or Renderer()
        self.staff_handler = staff_handler
        # Channels answering in their HTTP response (WeChat): their delivery plan is
        # applied in the answer's transaction (bot.dispatch.reply_delivery).
        self.planners: Mapping[str, ReplyPlanner] = {p.channel: p for p in planners}
        # SQLite takes one writer at a time: its messages queue for one thread, which
        # commits those waiting together (bot.dispatch.sqlite_writer, docs/benchmarks.md).
        self._writer: SQLiteWriter[Envelope, Outcome] | None = (
            SQLiteWriter(engine, lambda session, envelope: self.process(session, envelope))
            if engine.dialect.name == "sqlite"
            else None
        )
        self._threads = anyio.CapacityLimiter(self.config.db_threads)

    async def handle(self, envelope: Envelope) -> Outcome:
        """Dispatch one message; its reply once its transaction has committed."""
        if self._writer is not None:
            done = await self._writer.submit(envelope)
            if done.error is not None or done.result is None:
                _record_failure(envelope)
                raise done.error or RuntimeError("the dispatcher returned nothing")
            return _record_success(envelope, done.seconds, done.result)
        # SQLAlchemy here is synchronous: keep it off the event loop.
        return await anyio.to_thread.run_sync(self.handle_sync, envelope, limiter=self._threads)

    def close(self) -> None:
        """Stop the SQLite writer thread (after the last message)."""
        if self._writer is not None:
            self._writer.close()

    def handle_sync(self, envelope: Envelope) -> Outcome:
        """Dispatch one message in its own transaction, on the calling thread."""
        started = time.perf_counter()
        try:
            outcome = run_in_transaction(
                self.engine, lambda session: self.process(session, envelope)
            )
        except Exception:
            _record_failure(envelope)
            raise
        return _record_success(envelope, time.perf_counter() - started, outcome)

    def process(self, session: Session, envelope: Envelope) -> Outcome:
        """One message inside the caller's transaction (safe to re-run after a rollback)."""
        now = envelope.inbound.now
        channel = envelope.channel.value
        dedupe_key = self.config.pseudonyms.dedupe_key(
            channel, envelope.user_id, envelope.dedupe_key
        )
        processed = claim_inbound(session=session, channel=channel, dedupe_key=dedupe_key, now=now)
        planner = self.planners.get(envelope.channel.value)
        if processed is None:
            stored = stored_reply(session=session, channel=channel, dedupe_key=dedupe_key)
            kept = _decode(stored or [])
            if planner is not None:  # what was stored is the passive reply, nothing more
                return Outcome(kept, duplicate=True, passive=kept[0].text if kept else None)
            return Outcome(kept, duplicate=True)
        if envelope.event is ChannelEvent.UNSUBSCRIBE:
            set_respondent_active(
                session=session,
                channel=envelope.channel.value,
                channel_user_id=envelope.user_id,
                active=False,
                now=now,
            )
            save_reply(session=session, processed=processed, messages=[])
            return Outcome(())
        respondent = lock_respondent(
            session=session,
            channel=envelope.channel.value,
            channel_user_id=envelope.user_id,
            now=now,
            source=envelope.source,
        )
        page = reply_delivery.next_page(session, envelope, planner) if planner is not None else None
        if page is not None:
            outcome = page
        else:
            # Broadcasts held back (WeChat's 48-hour window) go out with this reply.
            held = take_held(session=session, respondent=respondent, now=now)
            staff = self.staff_handler(session, envelope) if self.staff_handler else None
            outcome = staff or self._survey_step(session, envelope, respondent, planner)
            if held:
                messages = (*(Message(text) for text in held), *outcome.messages)
                outcome = dataclasses.replace(outcome, messages=messages)
            if planner is not None:
                outcome = reply_delivery.plan(session, envelope, planner, outcome)
        # A planned channel's retry gets its passive reply again; the rest is queued.
        kept = outcome.messages
        if planner is not None:
            kept = (Message(outcome.passive),) if outcome.passive else ()
        if outcome.personal:
            kept = (Message(self.renderer.render(Reply("reply_not_kept"), Lang.BOTH)),)
        save_reply(
            session=session,
            processed=processed,
            messages=_encode(kept),
            respondent_id=respondent.id,
        )
        return outcome

    def _survey_step(
        self,
        session: Session,
        envelope: Envelope,
        respondent: RespondentRow,
        planner: ReplyPlanner | None = None,
    ) -> Outcome:
        now = envelope.inbound.now
        assert respondent.id is not None  # flushed by lock_respondent
        links = planner is not None  # WeChat: options and commands as tap links
        inbound, notes = envelope.inbound, tuple[Reply, ...]()
        if planner is not None and planner.is_more(inbound.text):
            # "更多" with no page left: said so, and the question asked again.
            inbound, notes = Inbound(now=now), (Reply("no_more_pages", lang=Lang.BOTH),)
        at = router.route(session=session, catalog=self.catalog, respondent_id=respondent.id)
        if at is None:  # nobody may start: the survey was closed
            closed = _closed_reply(self.catalog, session)
            return Outcome((Message(self.renderer.render(closed, Lang.BOTH)),))
        flow, result = router.advance(
            session=session,
            catalog=self.catalog,
            at=at,
            inbound=inbound,
            welcome_back_after=self.config.welcome_back_after,
        )
        chosen = [e.flow_id for e in result.effects if isinstance(e, NextSurveyChosen)]
        saved = save_session_row(
            session=session, respondent_id=respondent.id, state=result.state, now=now
        )
        contacts = apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            effects=[e for e in result.effects if not isinstance(e, NextSurveyChosen)],
            now=now,
            # Both states at hand: the peer-segment counters follow them without a read.
            answers=(at.state.answers if at.state is not None else {}, result.state.answers),
            segments=self.catalog.declared_segments(session),
        )
        for contact in contacts:
            alert_staff(
                session=session,
                contact=contact,
                staff=self.config.staff,
                now=now,
                flow=flow,
                renderer=self.renderer,
            )
        if not any(isinstance(e, RemindersDeclined) for e in result.effects):
            # Staff see how many reminded respondents came back (/progress).
            reminders.note_return(session=session, respondent_id=respondent.id, now=now)
        enricher = Enricher(
            session=session,
            flow=flow,
            state=result.state,
            thresholds=Thresholds(
                min_group=self.config.snapshot_min_respondents,
                min_segment=self.config.snapshot_min_segment,
                min_cell=self.config.snapshot_min_cell,
            ),
            contacts=contacts,
        )
        replies = (*notes, *enricher.enrich(result.replies))
        completed = any(isinstance(e, SurveyCompleted) for e in result.effects)
        if completed and flow.snapshots is not SnapshotMode.OFF:
            # The completion chart takes ~0.5 s of CPU to draw: neither inside this
            # transaction (finishing respondents queued behind it into lock timeouts) nor
            # before the reply (many at once overran WeChat's 5 s). Queued here, drawn and
            # sent by bot.workers.completion_charts.ChartWorker through the outbox.
            queue_chart(
                session=session,
                channel=respondent.channel,
                recipient=respondent.channel_user_id,
                respondent_id=respondent.id,
                now=now,
                survey=(flow.id, flow.version),
            )
        messages = to_messages(self.renderer, replies, result.state, links=links)
        if chosen:
            opened = self._open_next(session, envelope, respondent, chosen[0], result, links)
            messages = (*messages, *opened)
        return Outcome(messages)

    def _open_next(
        self,
        session: Session,
        envelope: Envelope,
        respondent: RespondentRow,
        flow_id: str,
        finished: Step,
        links: bool,
    ) -> tuple[Message, ...]:
        """The respondent asked for the survey offered next: start it in this transaction."""
        assert respondent.id is not None
        now = envelope.inbound.now
        started = router.start_next(
            session=session,
            catalog=self.catalog,
            respondent_id=respondent.id,
            flow_id=flow_id,
            finished=finished.state,
            inbound=envelope.inbound,
        )
        if started is None:
            unavailable = [Reply("next_unavailable")]
            return to_messages(self.renderer, unavailable, finished.state, links=links)
        _, step = started
        saved = save_session_row(
            session=session, respondent_id=respondent.id, state=step.state, now=now
        )
        apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            effects=step.effects,
            now=now,
        )
        return to_messages(self.renderer, step.replies, step.state, links=links)


def _record_failure(envelope: Envelope) -> None:
    metrics.record_message(envelope.channel.value, "error")
    metrics.record_error("dispatcher")


def _record_success(envelope: Envelope, seconds: float, outcome: Outcome) -> Outcome:
    channel = envelope.channel.value
    metrics.record_dispatch(channel, seconds)
    metrics.record_message(channel, "duplicate" if outcome.duplicate else "ok")
    return outcome


def _closed_reply(catalog: SurveyCatalog, session: Session) -> Reply:
    flow = catalog.newest_flow(session, catalog.default_flow_id)
    title = flow.title if flow is not None else Text("AIAG 调查", "AIAG survey")
    return Reply("survey_closed", {"title": title}, Lang.BOTH)


def _encode(messages: Sequence[Message]) -> list[str]:
    """The rendered reply, kept so a retried push gets exactly the same answer."""
    out = []
    for message in messages:
        # Shallow, not dataclasses.asdict (a deep copy, on every reply): fields are plain.
        data = {**vars(message), "choices": [vars(c) for c in message.choices]}
        image = data.pop("image_png", None)
        if image:  # rare (a staff /chart): kept, so a retry does not lose the picture
            data["image_png_b64"] = base64.b64encode(image).decode("ascii")
        out.append(json.dumps(data, ensure_ascii=False))
    return out


def _decode(stored: Sequence[str]) -> tuple[Message, ...]:
    messages = []
    for raw in stored:
        data = json.loads(raw)
        choices = tuple(Choice(**c) for c in data.pop("choices", []))
        image = data.pop("image_png_b64", None)
        known = {f.name for f in dataclasses.fields(Message)} - {"choices", "image_png"}
        fields = {k: v for k, v in data.items() if k in known}
        png = base64.b64decode(image) if image else None
        messages.append(Message(choices=choices, image_png=png, **fields))
    return tuple(messages)
