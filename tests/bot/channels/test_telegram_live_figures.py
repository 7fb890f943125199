"""Live figures over `POST /telegram` (real Update JSON, real dispatcher): the snapshot in
English names its base and says "only you" without a percentage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine

from bot.dispatch.service import Service
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import Harness, running
from tests.fakes.telegram_user import TelegramUser


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
async def tg(telegram_api: FakeBotApi, engine: Engine) -> AsyncIterator[Harness]:
    service = Service(engine, load_flow(DEFAULT_FLOW))  # k = 5, cells of 3
    async with running(telegram_api, service) as harness:
        yield harness


async def test_the_fifth_supplier_reads_true_private_figures(tg: Harness) -> None:
    for n in range(5):
        user = TelegramUser(tg.client, tg.api, user_id=6000 + n, first_update_id=800_000 * (n + 1))
        for text in ("/start", "English", "2", "1" if n < 4 else "1,4"):
            response = await user.say(text)
            assert response.status_code == 200, response.text
    sent = tg.api.sent_texts(6004)
    # After the confirmation line ("✓ Recorded: …"), the figures.
    lines = [line for t in sent for line in t.splitlines()]
    snapshot = next(line for line in reversed(lines) if line.startswith("Of 5 respondents"))
    assert snapshot == (
        "Of 5 respondents, you and most others (all but at most 2) chose Interior; "
        "so far only you chose Chassis."
    )
    first = tg.api.sent_texts(6000)
    assert not any("respondents" in t for t in first)  # fewer than five: nothing shown
