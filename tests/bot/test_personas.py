"""Golden transcripts of the six respondents of issue 17, through the real channels.

Every reply is checked for the chosen language, numbers that never change (of 14) and
a next step (never a dead end); the messages sent and re-prompts got are the table in
docs/conversation.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.dispatch.service import Service, ServiceConfig
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage.models import ContactRequest, Respondent
from storage.transactions import transaction
from tests.bot.personas import (
    CONTACT,
    PAUSE,
    PERSONAS,
    Persona,
    check_transcript,
    messages_sent,
)
from tests.bot.wechat_harness import open_harness
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import running

WECHAT_PASSIVE_BYTES = 2048
PAUSE_SECONDS = 2.0  # the welcome-back pause in these tests (30 minutes in production)


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


def _minutes(persona: Persona) -> float:
    # Only the returner pauses; the others keep the production pause, so a slow machine
    # cannot turn their refused answers into welcome-backs.
    return PAUSE_SECONDS / 60 if PAUSE in persona.messages else 30.0


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.name)
async def test_persona_over_wechat_safe_mode(db_url: str, persona: Persona) -> None:
    async with open_harness(db_url, welcome_back_minutes=_minutes(persona)) as harness:
        sim = harness.simulator(safe=True)
        sent: list[str] = []
        replies: list[str] = []
        delivered = 0
        for text in persona.messages:
            if text == PAUSE:
                await asyncio.sleep(PAUSE_SECONDS + 0.5)
                continue
            reply = await sim.send_text(f"o_{persona.name}", text)
            assert reply.status == 200 and reply.text is not None
            assert len(reply.text.encode("utf-8")) <= WECHAT_PASSIVE_BYTES
            pushed = await harness.deliver()  # what did not fit the passive reply
            sent.append(text)
            replies.append("\n".join([reply.text, *pushed[delivered:]]))
            delivered = len(pushed)
        assert check_transcript(persona, sent, replies) == persona.reprompts
        assert len(sent) == messages_sent(persona)
        if persona is CONTACT:
            _one_open_request(harness.runtime.engine)


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.name)
async def test_persona_over_telegram(
    telegram_api: FakeBotApi, engine: Engine, persona: Persona
) -> None:
    config = ServiceConfig(welcome_back_after=timedelta(minutes=_minutes(persona)))
    service = Service(engine, load_flow(DEFAULT_FLOW), config=config)
    async with running(telegram_api, service) as tg:
        me = tg.user.user_id
        sent: list[str] = []
        replies: list[str] = []
        for text in persona.messages:
            if text == PAUSE:
                await asyncio.sleep(PAUSE_SECONDS + 0.5)
                continue
            before = len(telegram_api.sent_texts(me))
            response = await tg.user.say(text)
            assert response.status_code == 200
            sent.append(text)
            replies.append("\n".join(telegram_api.sent_texts(me)[before:]))
        assert check_transcript(persona, sent, replies) == persona.reprompts
    if persona is CONTACT:
        _one_open_request(engine)


def _one_open_request(engine: Engine) -> None:
    with transaction(engine) as session:
        (respondent,) = session.exec(select(Respondent)).all()
        requests = session.exec(
            select(ContactRequest).where(ContactRequest.respondent_id == respondent.id)
        ).all()
    assert len(requests) == 1, "asking to be contacted twice is one request"


def test_the_docs_table_matches_the_personas() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "conversation.md").read_text(encoding="utf-8")
    rows = {
        cells[0].split(":")[0]: (int(cells[1]), int(cells[2]))
        for line in doc.splitlines()
        if line.startswith("| ")
        and (cells := [c.strip() for c in line.strip("|").split("|")])
        and cells[1].isdigit()
    }
    assert rows == {p.name: (messages_sent(p), p.reprompts) for p in PERSONAS}
