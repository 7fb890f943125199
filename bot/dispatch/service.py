"""The one dispatcher every channel calls: dedupe → lock → load → step → save → render.

One inbound message is one database transaction (STYLE.md, aiogram #1317): the
processed-message row is inserted first under a unique constraint, then the respondent
is locked, and only then is the state loaded. A retried push therefore either waits for
the first attempt and gets its stored reply, or (if the first rolled back) processes it
afresh: an answer is never lost and never counted twice.

A staff member's command reads first, in a read-only transaction of its own, and only
its change and audit row join this path (bot.dispatch.staff_dispatch); the survey step itself is
bot.dispatch.survey_step.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch import reply_delivery
from bot.dispatch.batch_writer import BatchWriter
from bot.dispatch.delivery_plan import ReplyPlanner
from bot.dispatch.envelope import ChannelEvent, Envelope, Message, Outcome
from bot.dispatch.pseudonyms import Pseudonyms
from bot.dispatch.render import Renderer
from bot.dispatch.reply_store import decode_reply, encode_reply
from bot.dispatch.staff_dispatch import StaffHook, StaffReads, StaffWork
from bot.dispatch.survey_step import SurveyStep
from bot.observability import metrics
from bot.reports.disclosure import Thresholds
from bot.surveys.catalog import SurveyCatalog
from flows.model import Flow, Lang
from flows.outside_step_replies import ReplyNotKept
from storage import inbound as inbound_db
from storage.broadcasts import take_held
from storage.claim_and_lock import claim_and_lock
from storage.inbound import claim_inbound, save_reply, stored_reply
from storage.respondents import RespondentRow, set_respondent_active
from storage.session_rows import LatestSession
from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceConfig:
    snapshot_min_respondents: int = 5
    snapshot_min_segment: int = 10  # a peer segment's figures (bot.reports.disclosure)
    snapshot_min_cell: int = 3  # a count or its complement below this is coarsened
    staff: Sequence[tuple[str, str]] = ()  # (channel, user id) pairs notified of contacts
    # PostgreSQL: survey answers through the batching writer (bot.dispatch.batch_writer):
    # those that arrive together in one transaction, on the event loop's thread.
    pg_batch: bool = True
    # PostgreSQL: messages dispatched at once on threads (staff commands; survey answers
    # too with `pg_batch` off). 16 cost 7.7-7.8 ms of CPU a push in GIL hand-offs where 4
    # cost 6.1 ms, for 25 % more pushes/s (docs/benchmarks.md).
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
        staff_handler: StaffHook | None = None,
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
        # Staff commands read beside the respondents, then write briefly
        # (bot.dispatch.staff_dispatch).
        self._staff_reads = StaffReads(engine, staff_handler)
        # Channels answering in their HTTP response (WeChat): their delivery plan is
        # applied in the answer's transaction (bot.dispatch.reply_delivery).
        self.planners: Mapping[str, ReplyPlanner] = {p.channel: p for p in planners}
        # Survey answers queue for one writer, which commits those waiting together, on
        # the loop's thread when nothing has to be waited for (bot.dispatch.batch_writer,
        # docs/benchmarks.md): SQLite's one writer, and on PostgreSQL unless `pg_batch`
        # is off (then a transaction a message, `db_threads` at a time).
        self._sqlite = engine.dialect.name == "sqlite"
        self._writer: BatchWriter[tuple[Envelope, StaffWork | None], Outcome] | None = (
            BatchWriter(engine, lambda session, job: self.process(session, *job))
            if self._sqlite or self.config.pg_batch
            else None
        )
        self._threads = anyio.CapacityLimiter(self.config.db_threads)
        thresholds = Thresholds(
            min_group=self.config.snapshot_min_respondents,
            min_segment=self.config.snapshot_min_segment,
            min_cell=self.config.snapshot_min_cell,
        )
        self._survey = SurveyStep(
            self.catalog,
            self.renderer,
            thresholds=thresholds,
            staff=self.config.staff,
            welcome_back_after=self.config.welcome_back_after,
        )

    async def handle(self, envelope: Envelope) -> Outcome:
        """Dispatch one message; its reply once its transaction has committed."""
        try:
            staff = await self._staff_reads.read(envelope)
        except Exception:
            _record_failure(envelope)
            raise
        if self._writer is not None and (staff is None or self._sqlite):
            # Staff commands (a broadcast, an erasure) may be long: never on the loop, and
            # on PostgreSQL on a thread of their own, not ahead of the respondents.
            done = await self._writer.submit((envelope, staff), inline=staff is None)
            if done.error is not None or done.result is None:
                _record_failure(envelope)
                raise done.error or RuntimeError("the dispatcher returned nothing")
            return _record_success(envelope, done.seconds, done.result)
        # SQLAlchemy here is synchronous: keep it off the event loop.
        return await anyio.to_thread.run_sync(
            self._write_sync, envelope, staff, limiter=self._threads
        )

    def close(self) -> None:
        """Stop the batch writer's thread (after the last message)."""
        if self._writer is not None:
            self._writer.close()

    def handle_sync(self, envelope: Envelope) -> Outcome:
        """Dispatch one message in its own transaction, on the calling thread."""
        try:
            staff = self._staff_reads.read_sync(envelope)
        except Exception:
            _record_failure(envelope)
            raise
        return self._write_sync(envelope, staff)

    def _write_sync(self, envelope: Envelope, staff: StaffWork | None) -> Outcome:
        started = time.perf_counter()
        try:
            outcome = run_in_transaction(
                self.engine, lambda session: self.process(session, envelope, staff)
            )
        except Exception:
            _record_failure(envelope)
            raise
        return _record_success(envelope, time.perf_counter() - started, outcome)

    def process(
        self, session: Session, envelope: Envelope, staff: StaffWork | None = None
    ) -> Outcome:
        """One message inside the caller's transaction (safe to re-run after a rollback).

        `staff`: a staff command's write step, its reads done (bot.dispatch.staff_dispatch)."""
        now = envelope.inbound.now
        channel = envelope.channel.value
        dedupe_key = self.config.pseudonyms.dedupe_key(
            channel, envelope.user_id, envelope.dedupe_key
        )
        planner = self.planners.get(envelope.channel.value)
        respondent: RespondentRow | None = None
        latest: LatestSession | None = None  # their newest session row, if read ahead
        if envelope.event is ChannelEvent.UNSUBSCRIBE:  # the respondent is not touched
            processed = claim_inbound(
                session=session, channel=channel, dedupe_key=dedupe_key, now=now
            )
        else:  # one statement on PostgreSQL (storage.claim_and_lock)
            claimed = claim_and_lock(
                session=session,
                channel=channel,
                channel_user_id=envelope.user_id,
                dedupe_key=dedupe_key,
                now=now,
                source=envelope.source,
            )
            processed, respondent, latest = claimed.message, claimed.respondent, claimed.latest
        if processed is None:
            stored = stored_reply(session=session, channel=channel, dedupe_key=dedupe_key)
            kept = decode_reply(stored or [])
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
        assert respondent is not None  # locked with the claim
        # Pages waiting (read with the lock): the key-value table is read only then.
        waiting = respondent.pages_waiting
        page = None
        if planner is not None:
            page = reply_delivery.next_page(session, envelope, planner, pages_waiting=waiting)
        if page is not None:
            outcome = page
        else:
            # Broadcasts held back (WeChat's 48-hour window) go out with this reply.
            held = take_held(session=session, respondent=respondent, now=now)
            if staff is not None:
                outcome = staff(session)
            else:
                if self.staff_handler is not None:
                    self.staff_handler.note_denied(session, envelope)
                # Nothing above wrote their sessions: what was read ahead is current.
                outcome = self._survey.run(session, envelope, respondent, planner, latest)
            if held:
                messages = (*(Message(text) for text in held), *outcome.messages)
                outcome = dataclasses.replace(outcome, messages=messages)
            if planner is not None:
                outcome = reply_delivery.plan(
                    session, envelope, planner, outcome, pages_waiting=waiting
                )
        # A planned channel's retry gets its passive reply again; the rest is queued.
        kept = outcome.messages
        if planner is not None:
            kept = (Message(outcome.passive),) if outcome.passive else ()
        if outcome.personal:
            kept = (Message(self.renderer.render(ReplyNotKept(), Lang.BOTH)),)
        inbound_db.save_reply(
            session=session,
            processed=processed,
            messages=encode_reply(kept),
            respondent_id=respondent.id,
        )
        return outcome


def _record_failure(envelope: Envelope) -> None:
    metrics.record_message(envelope.channel.value, "error")
    metrics.record_error("dispatcher")


def _record_success(envelope: Envelope, seconds: float, outcome: Outcome) -> Outcome:
    channel = envelope.channel.value
    metrics.record_dispatch(channel, seconds)
    metrics.record_message(channel, "duplicate" if outcome.duplicate else "ok")
    return outcome
