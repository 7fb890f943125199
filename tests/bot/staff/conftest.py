"""A real runtime (dispatcher, staff hook, database) driven with envelopes, as channels do.

Staff: WeChat `o_staff` and Telegram `900`. Snapshots show from 3 respondents on. Time is
an input (`Inbound.now`), so every test runs on a controlled clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.app.runtime import Runtime, build_runtime
from bot.dispatch.envelope import Channel, Envelope, Outcome
from bot.settings import load_settings
from flows.events import AnswerRecorded, Effect, Inbound, Intent
from flows.state import SessionState, Status
from storage.answers import apply_effects
from storage.models import AuditLog, Outbox
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.bot.reports.seed_population import answer_times, build_population

STAFF_WECHAT = "o_staff"
STAFF_TELEGRAM = "900"
SECRET = "staff-test-secret"
PUBLIC_URL = "https://survey.example.org/"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

# Whole surveys as typed (bilingual replies): a supplier (interior + chassis) and an OEM.
# The last "2" (否) declines the optional organisation step after question 14.
SUPPLIER = ["3", "2", "1,4", "6", "是", "no", "1、3", "3", "y", "2", "1", "GRI Standards",
            "是", "否", "1 3", "3", "2"]  # fmt: skip
OEM = ["English", "1", "7", "no", "no", "6", "4", "no", "2", "no", "no", "2", "4", "no"]


def timeless(text: str) -> str:
    """A staff reply without its "as of" line (the clock moves between two commands)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("截至 As of"))


@dataclass
class Chat:
    runtime: Runtime
    now: datetime = START
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def send(
        self,
        user: str,
        text: str | None = None,
        *,
        channel: Channel = Channel.WECHAT,
        intent: Intent | None = None,
        wait: timedelta = timedelta(seconds=30),
    ) -> Outcome:
        self.now += wait
        inbound = Inbound(now=self.now, text=text, intent=intent)
        envelope = Envelope(channel, user, f"k{next(self._keys)}", inbound)
        return self.runtime.service.handle_sync(envelope)

    def staff(self, text: str, *, channel: Channel = Channel.WECHAT) -> Outcome:
        user = STAFF_WECHAT if channel is Channel.WECHAT else STAFF_TELEGRAM
        return self.send(user, text, channel=channel)

    def survey(
        self, user: str, answers: Sequence[str], *, channel: Channel = Channel.WECHAT
    ) -> Outcome:
        """Start and answer; the last reply."""
        outcome = self.send(user, intent=Intent.START, channel=channel)
        for text in answers:
            outcome = self.send(user, text, channel=channel)
        return outcome

    def audit(self) -> list[AuditLog]:
        with Session(self.runtime.engine) as session:
            return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))).all())

    def outbox(self) -> list[Outbox]:
        with Session(self.runtime.engine) as session:
            return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


def make_runtime(db_url: str, **overrides: object) -> Runtime:
    options: dict[str, object] = {
        "database_url": db_url,
        "staff_raw": f"wechat:{STAFF_WECHAT},telegram:{STAFF_TELEGRAM}",
        "secret_key": SECRET,
        "public_url": PUBLIC_URL,
        "snapshot_min_respondents": 3,
        "staff_names_raw": f"wechat:{STAFF_WECHAT}=王芳",  # the Telegram one stays unnamed
    }
    return build_runtime(load_settings(**{**options, **overrides}))


@pytest.fixture
def chat(db_url: str) -> Iterator[Chat]:
    runtime = make_runtime(db_url)
    try:
        yield Chat(runtime)
    finally:
        runtime.engine.dispose()


def write_seed_population(runtime: Runtime) -> None:
    """The seed survey's 316 respondents, through the real write path (tests/bot/reports)."""
    flow = runtime.flow
    population = build_population(flow)
    with transaction(runtime.engine) as session:
        for number, now in answer_times():
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=f"seed-{number}", now=now
            )
            assert respondent.id is not None
            state = SessionState(flow.id, flow.version, status=Status.COMPLETED)
            row = save_session_row(
                session=session, respondent_id=respondent.id, state=state, now=now
            )
            effects: list[Effect] = [
                AnswerRecorded(q, options=a) if isinstance(a, tuple) else AnswerRecorded(q, text=a)
                for q, a in population.answers[number].items()
            ]
            apply_effects(
                session=session,
                respondent=respondent,
                survey_session=row,
                effects=effects,
                now=now,
                segments={flow.id: flow.segments},
            )
