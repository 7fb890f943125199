"""The follow-up survey over `POST /telegram`: offered on completion, started by /next
in the language already chosen, recorded for the same respondent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.app.runtime import register_shipped, shipped_paths
from bot.dispatch.service import Service
from bot.surveys.catalog import SurveyCatalog
from storage.models import Answer, Respondent, SurveySession
from storage.transactions import transaction
from tests.fakes.telegram_api_server import fake_bot_api
from tests.fakes.telegram_harness import Harness, running
from tests.fakes.telegram_user import buttons
from tests.flows.versions import NEXT, V1


@pytest.fixture
async def tg(tmp_path: Path, engine: Engine) -> AsyncIterator[Harness]:
    (tmp_path / "mini.yaml").write_text(V1, encoding="utf-8")
    (tmp_path / "mini_next.yaml").write_text(NEXT, encoding="utf-8")
    register_shipped(engine, shipped_paths(tmp_path / "mini.yaml"))
    with fake_bot_api() as api:
        async with running(api, Service(engine, SurveyCatalog("mini"))) as harness:
            yield harness


async def test_next_starts_the_follow_up_in_english(tg: Harness, engine: Engine) -> None:
    user, api, me = tg.user, tg.api, tg.user.user_id
    await user.say("/start")
    await user.tap("English")
    await user.tap("1. OEM")
    await user.tap("1. Spreadsheets")
    await user.tap("Done")
    await user.say("skip")  # remarks (optional)
    await user.say("40")  # employees: the survey is complete
    finished = "\n".join(api.sent_texts(me)[-3:])
    assert 'Reply "next" to start it.' in finished and "后续" not in finished

    await user.say("/next")
    started = api.sent_texts(me)[-3:]
    assert any("Welcome to the Follow-up survey" in t for t in started)
    assert not any("Please choose a language" in t for t in started)  # English carried over
    question = api.last_message(me)
    assert "Calculated a PCF" in question["text"]
    assert [label for label, _ in buttons(question)][:2] == ["1. Yes", "2. No"]
    await user.tap("1. Yes")

    with transaction(engine, readonly=True) as session:
        respondents = session.exec(select(Respondent.id)).all()
        sessions = session.exec(select(SurveySession.flow_id, SurveySession.status)).all()
        pcf = session.exec(select(Answer.option_id).where(Answer.flow_id == "mini_next")).all()
    assert len(respondents) == 1
    assert sorted(sessions) == [("mini", "completed"), ("mini_next", "completed")]
    assert pcf == ["yes"]
