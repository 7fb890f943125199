"""A database holding the seed's 316 respondents, written through the real write path.

Respondents answer over three weeks (as the seed's "历经三周"), every fourth on Telegram;
a few more started without answering (so completion is below 100 %), and two asked to
be contacted (one claimed by staff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from flows.events import AnswerRecorded, ContactRequested, Effect, SurveyCompleted
from flows.model import Flow
from flows.state import SessionState, Status
from storage.answers import apply_effects
from storage.contact_moves import claim_contact
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.bot.reports.seed_population import RESPONDENTS, build_population

START = datetime(2022, 6, 1, 1, 0, tzinfo=UTC)
STEP = timedelta(minutes=95)  # 316 respondents over ~3 weeks
UNFINISHED = 4
STAFF = "wechat:staff-openid"
CONTACTS = (
    {"contact_name": "王伟", "contact_company": "某汽车零部件有限公司", "contact_email": "w@x.cn"},
    {"contact_name": "Li Na", "contact_company": "Acme Parts", "contact_phone": "+8613800000000"},
)


@dataclass
class SeedDatabase:
    ids: dict[int, int] = field(default_factory=dict)  # seed respondent number → id
    channels: dict[int, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)  # contact requests

    @property
    def started(self) -> int:
        return RESPONDENTS + UNFINISHED


def channel_of(number: int) -> str:
    return "telegram" if number % 4 == 0 else "wechat"


def write_seed(engine: Engine, flow: Flow) -> SeedDatabase:
    population = build_population(flow)
    seed = SeedDatabase()
    with transaction(engine) as session:
        for number in range(1, RESPONDENTS + 1):
            now = START + STEP * number
            channel = channel_of(number)
            respondent = lock_respondent(
                session=session, channel=channel, channel_user_id=f"seed-{number}", now=now
            )
            assert respondent.id is not None
            seed.ids[number], seed.channels[number] = respondent.id, channel
            state = SessionState(flow.id, flow.version, status=Status.COMPLETED)
            row = save_session_row(
                session=session, respondent_id=respondent.id, state=state, now=now
            )
            effects: list[Effect] = [
                AnswerRecorded(q, options=a) if isinstance(a, tuple) else AnswerRecorded(q, text=a)
                for q, a in population.answers[number].items()
            ]
            effects.append(SurveyCompleted(flow.id, flow.version))
            if number <= len(CONTACTS):
                effects.append(ContactRequested("survey", CONTACTS[number - 1]))
            contacts = apply_effects(
                session=session, respondent=respondent, survey_session=row, effects=effects, now=now
            )
            seed.references.extend(c.reference or "" for c in contacts)
        for extra in range(UNFINISHED):
            now = START + STEP * (RESPONDENTS + extra)
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=f"late-{extra}", now=now
            )
            assert respondent.id is not None
            state = SessionState(flow.id, flow.version, status=Status.ACTIVE)
            save_session_row(session=session, respondent_id=respondent.id, state=state, now=now)
        claim_contact(session=session, ref=seed.references[0], by=STAFF, now=START + STEP * 400)
    return seed


def add_text_answer(engine: Engine, flow: Flow, user: str, text: str) -> None:
    """One more respondent who says yes to the reporting question and explains `text`."""
    now = START + STEP * (RESPONDENTS + UNFINISHED + 1)
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="telegram", channel_user_id=user, now=now
        )
        assert respondent.id is not None
        state = SessionState(flow.id, flow.version, status=Status.ACTIVE)
        row = save_session_row(session=session, respondent_id=respondent.id, state=state, now=now)
        effects: list[Effect] = [
            AnswerRecorded("reporting_standard", options=("yes",)),
            AnswerRecorded("reporting_explain", text=text),
        ]
        apply_effects(
            session=session, respondent=respondent, survey_session=row, effects=effects, now=now
        )
