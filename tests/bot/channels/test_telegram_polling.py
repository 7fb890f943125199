"""Long polling feeds the same path as the webhook; the outbox sender for staff alerts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from bot.channels.sending import DeliveryError
from bot.channels.telegram import polling as telegram_polling
from bot.channels.telegram.polling import poll_updates
from bot.dispatch.envelope import Envelope, Message, Outcome
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import Harness, RecordingDispatcher, running


@dataclass
class Flaky(RecordingDispatcher):
    """Fails the first `failures` calls, then answers."""

    failures: int = 0
    seen: list[str] = field(default_factory=list)

    async def handle(self, envelope: Envelope) -> Outcome:
        self.seen.append(envelope.dedupe_key)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database busy")
        return await super().handle(envelope)


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
def flaky() -> Flaky:
    return Flaky(reply=Outcome((Message("ok"),)))


@pytest.fixture
async def tg(telegram_api: FakeBotApi, flaky: Flaky) -> AsyncIterator[Harness]:
    async with running(telegram_api, flaky) as harness:
        yield harness


async def run_until(tg: Harness, *, count: int) -> None:
    """Poll until `count` replies were sent and Telegram was told (offset) of all updates."""
    stop = asyncio.Event()
    task = asyncio.create_task(poll_updates(tg.channel, stop=stop, timeout=0, backoff=0.01))
    try:
        async with asyncio.timeout(10):
            while len(tg.api.sent_texts()) < count or tg.api.updates:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_polling_removes_the_webhook_and_processes_updates_in_order(
    tg: Harness, flaky: Flaky
) -> None:
    first, second = tg.user.message("/start"), tg.user.message("2")
    tg.api.updates.extend([first, second])
    await run_until(tg, count=2)
    assert tg.api.calls_to("deleteWebhook")
    assert [e.dedupe_key for e in flaky.envelopes] == [
        str(first["update_id"]), str(second["update_id"]),
    ]  # fmt: skip
    offsets = [c.params.get("offset") for c in tg.api.calls_to("getUpdates")]
    assert offsets[0] is None
    assert offsets[-1] == second["update_id"] + 1


async def test_a_failed_update_is_retried_before_the_next_one(tg: Harness, flaky: Flaky) -> None:
    flaky.failures = 1
    first, second = tg.user.message("a"), tg.user.message("b")
    tg.api.updates.extend([first, second])
    await run_until(tg, count=2)
    ids = [str(first["update_id"]), str(second["update_id"])]
    assert flaky.seen == [ids[0], ids[0], ids[1]]


async def test_an_update_failing_every_time_is_skipped_after_a_few_attempts(
    tg: Harness, flaky: Flaky
) -> None:
    flaky.failures = telegram_polling.MAX_ATTEMPTS
    poisoned, next_one = tg.user.message("a"), tg.user.message("b")
    tg.api.updates.extend([poisoned, next_one])
    await run_until(tg, count=1)
    assert flaky.seen.count(str(poisoned["update_id"])) == telegram_polling.MAX_ATTEMPTS
    assert [e.dedupe_key for e in flaky.envelopes] == [str(next_one["update_id"])]


async def test_polling_survives_a_bot_api_outage(tg: Harness, flaky: Flaky) -> None:
    tg.api.fail_next("getUpdates", 502, "Bad Gateway")
    tg.api.updates.append(tg.user.message("hi"))
    await run_until(tg, count=1)
    assert len(flaky.envelopes) == 1


# --- the outbox's sender -------------------------------------------------------------------


async def test_send_text_delivers_a_staff_alert_split_to_fit(tg: Harness) -> None:
    await tg.channel.send_text("4242", "新联系请求 New contact request\n" + "x" * 5000)
    texts = tg.api.sent_texts(4242)
    assert len(texts) == 3
    assert texts[0] == "新联系请求 New contact request"


async def test_send_text_to_a_user_who_blocked_the_bot_is_not_retried(tg: Harness) -> None:
    tg.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(DeliveryError) as caught:
        await tg.channel.send_text("4242", "hello")
    assert caught.value.retry is False


async def test_send_text_during_an_outage_raises_for_a_retry(tg: Harness) -> None:
    tg.api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(Exception) as caught:
        await tg.channel.send_text("4242", "hello")
    assert not isinstance(caught.value, DeliveryError)


async def test_send_image_sends_a_photo(tg: Harness) -> None:
    await tg.channel.send_image("4242", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (call,) = tg.api.calls_to("sendPhoto")
    assert call.params["chat_id"] == 4242
    assert call.params["photo"].endswith("bytes>")
