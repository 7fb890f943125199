"""The retention job: forget what is kept only for a while, on every serving process.

Each round, in short transactions of bounded batches:
- dedupe rows older than SURVEYBOT_PROCESSED_RETENTION_DAYS are deleted (platform
  retries stop within minutes; Telegram reuses update ids after a week);
- sent outbox rows older than SURVEYBOT_OUTBOX_RETENTION_DAYS lose their payload (the
  text that was delivered: answers, contact lists);
- contact requests handled (/done) more than SURVEYBOT_CONTACT_RETENTION_DAYS ago lose
  their details and staff note, as the consent notice promises, and so do the person's
  contact-form answers unless another request of theirs is still open. The request, its
  status and its dates stay: the counts of requests and outcomes do not change.

Several workers and hosts may run it at once: every step is idempotent and re-checked
under the row locks it takes (storage.retention).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.reports.labels import is_contact_detail
from bot.settings import Settings
from bot.surveys.catalog import SurveyCatalog
from flows.events import AnswerRecorded
from flows.state import Answer, SessionState
from storage import retention
from storage.answers import apply_effects
from storage.models import Respondent, SurveySession
from storage.respondents import save_session_row
from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)

INTERVAL_S = 600.0


@dataclass(frozen=True)
class RetentionPolicy:
    processed: timedelta = timedelta(days=7)
    outbox_payloads: timedelta = timedelta(days=7)
    contact_details: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            processed=timedelta(days=settings.processed_retention_days),
            outbox_payloads=timedelta(days=settings.outbox_retention_days),
            contact_details=timedelta(days=settings.contact_retention_days),
        )


@dataclass(frozen=True)
class Pruned:
    processed: int = 0
    payloads: int = 0
    contacts: int = 0


def forget_handled_contact(
    *,
    session: Session,
    catalog: SurveyCatalog,
    contact_id: int,
    respondent_id: int,
    before: datetime,
    now: datetime,
) -> bool:
    """Forget one handled request's details (and its contact-form answers); False when
    another worker did it first or the person deleted their data meanwhile."""
    # The respondent's lock first, as the dispatcher takes it: no deadlock with a message.
    if not retention.lock_respondent_by_id(session=session, respondent_id=respondent_id):
        return False
    if not retention.forget_contact_details(session=session, contact_id=contact_id, before=before):
        return False
    if not retention.has_unhandled_contact(session=session, respondent_id=respondent_id):
        forget_personal_answers(
            session=session, catalog=catalog, respondent_id=respondent_id, now=now
        )
    return True


def forget_personal_answers(
    *, session: Session, catalog: SurveyCatalog, respondent_id: int, now: datetime
) -> None:
    """The contact-form answers become skipped ones: the session stays complete (nothing
    is asked again) and the counters follow, as if the person had skipped them."""
    respondent = session.get(Respondent, respondent_id)
    assert respondent is not None  # locked by the caller
    rows = session.exec(
        select(SurveySession).where(col(SurveySession.respondent_id) == respondent_id)
    ).all()
    for row in rows:
        flow = catalog.flow(session, row.flow_id, row.flow_version)
        state = SessionState.from_json(row.state_json)
        personal = [
            qid
            for qid, answer in state.answers.items()
            if (answer.text or answer.options)
            and flow.has_question(qid)
            and is_contact_detail(flow, flow.question(qid))
        ]
        if not personal:
            continue
        after = state.evolve(answers={**state.answers, **{qid: Answer() for qid in personal}})
        saved = save_session_row(session=session, respondent_id=respondent_id, state=after, now=now)
        apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            effects=[AnswerRecorded(qid) for qid in personal],
            now=now,
            answers=(state.answers, after.answers),
            segments=catalog.declared_segments(session),  # as the dispatcher keeps them
        )


class RetentionJob:
    def __init__(
        self,
        engine: Engine,
        catalog: SurveyCatalog,
        *,
        policy: RetentionPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.policy = policy or RetentionPolicy()
        self.clock = clock

    def run_once(self) -> Pruned:
        now = self.clock()
        processed = self._batches(retention.prune_processed, now - self.policy.processed)
        payloads = self._batches(retention.clear_sent_payloads, now - self.policy.outbox_payloads)
        before = now - self.policy.contact_details
        due = run_in_transaction(
            self.engine,
            lambda session: retention.handled_contacts_due(session=session, before=before),
        )
        contacts = 0
        for contact_id, respondent_id in due:

            def forget(session: Session, c: int = contact_id, r: int = respondent_id) -> bool:
                return forget_handled_contact(
                    session=session,
                    catalog=self.catalog,
                    contact_id=c,
                    respondent_id=r,
                    before=before,
                    now=now,
                )

            contacts += int(run_in_transaction(self.engine, forget))
        return Pruned(processed=processed, payloads=payloads, contacts=contacts)

    def _batches(self, step: Callable[..., int], before: datetime) -> int:
        total = 0
        while True:
            done = run_in_transaction(
                self.engine, lambda session: step(session=session, before=before)
            )
            total += done
            if done < retention.BATCH:
                return total

    async def run_forever(self, interval: float = INTERVAL_S) -> None:
        while True:
            try:
                pruned = await anyio.to_thread.run_sync(self.run_once)
                if pruned != Pruned():
                    log.info(
                        "retention: %d dedupe rows deleted, %d sent payloads cleared, "
                        "%d handled contact requests' details forgotten",
                        pruned.processed,
                        pruned.payloads,
                        pruned.contacts,
                    )
            except Exception:  # the loop must survive a database outage; it is logged
                log.exception("retention round failed")
            await anyio.sleep(interval)
