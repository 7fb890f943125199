"""The outbox worker under WeChat's rate limit: it backs off and retries, never drops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.channels.wechat.api import InMemoryTokenStore, WeChatApi
from bot.channels.wechat.sender import WeChatSender
from bot.workers.delivery import Delivery
from storage import outbox
from storage.models import Outbox, OutboxStatus
from tests.fakes.wechat_api_server import APP_ID, APP_SECRET, FakeWeChatApi

SEND = "/cgi-bin/message/custom/send"
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def api(wechat_api: FakeWeChatApi) -> Iterator[WeChatApi]:
    client = WeChatApi(
        APP_ID, APP_SECRET, token_store=InMemoryTokenStore(), base_url=wechat_api.base_url
    )
    yield client
    client.close()


def _queue(engine: Engine, count: int) -> None:
    with Session(engine) as session:
        for number in range(count):
            outbox.enqueue(
                session=session, channel="wechat", recipient=f"o_user_{number}", kind="text",
                payload={"texts": [f"news {number}"]}, now=START,
            )  # fmt: skip
        session.commit()


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


@pytest.mark.parametrize("errcode", [45009, 45011])
async def test_a_rate_limit_postpones_the_batch_without_spending_attempts(
    engine: Engine, api: WeChatApi, wechat_api: FakeWeChatApi, errcode: int
) -> None:
    # Given five queued texts, sent one at a time, and an API that refuses the first
    _queue(engine, 5)
    wechat_api.fail_next(SEND, errcode, "api quota reached")
    wechat_api.calls.clear()
    now = [START]
    delivery = Delivery(engine, {"wechat": WeChatSender(api)}, concurrency=1, clock=lambda: now[0])
    await delivery.run_once()  # sends #0 (the refused one), stops there
    # Then: the refused row and the untried rest wait, none failed, no attempt spent
    rows = _rows(engine)
    assert [r.status for r in rows].count(OutboxStatus.PENDING.value) == 5
    assert all(r.attempts == 0 for r in rows)
    assert rows[0].last_error is not None and str(errcode) in rows[0].last_error
    assert all(r.next_attempt_at.replace(tzinfo=UTC) > START for r in rows)  # postponed

    # When the pause is over, everything goes out, each exactly once
    now[0] = START + timedelta(minutes=2)
    while await delivery.run_once():
        pass
    rows = _rows(engine)
    assert {r.status for r in rows} == {OutboxStatus.SENT.value}
    sent = [c.json["touser"] for c in wechat_api.calls_to(SEND)]
    assert sorted(sent[1:]) == [f"o_user_{n}" for n in range(5)]  # the first was refused


async def test_the_pause_grows_while_the_api_keeps_refusing(
    engine: Engine, api: WeChatApi, wechat_api: FakeWeChatApi
) -> None:
    _queue(engine, 1)
    for _ in range(3):
        wechat_api.fail_next(SEND, 45009, "reach max api daily quota limit")
    now = [START]
    delivery = Delivery(engine, {"wechat": WeChatSender(api)}, clock=lambda: now[0])
    waits = []
    for _ in range(3):
        await delivery.run_once()
        (row,) = _rows(engine)
        waits.append(row.next_attempt_at.replace(tzinfo=UTC) - now[0])
        now[0] = row.next_attempt_at.replace(tzinfo=UTC)
    assert waits[0] < waits[1] < waits[2]
    await delivery.run_once()
    (row,) = _rows(engine)
    assert (row.status, row.attempts) == (OutboxStatus.SENT.value, 0)


async def test_concurrent_sends_keep_each_recipients_order_and_send_each_once(
    engine: Engine, api: WeChatApi, wechat_api: FakeWeChatApi
) -> None:
    # Given six rows, three of them to one follower, and a refusal in the middle
    _queue(engine, 3)
    with Session(engine) as session:
        for part in ("a", "b", "c"):
            outbox.enqueue(
                session=session, channel="wechat", recipient="o_same", kind="text",
                payload={"texts": [part]}, now=START,
            )  # fmt: skip
        session.commit()
    wechat_api.fail_next(SEND, 45009, "reach max api daily quota limit")
    wechat_api.calls.clear()
    now = [START]
    delivery = Delivery(engine, {"wechat": WeChatSender(api)}, clock=lambda: now[0])
    # When the worker runs until nothing is left, time moving past every pause
    for _ in range(10):
        await delivery.run_once()
        now[0] += timedelta(minutes=2)
    # Then every row went out once, none failed or spent an attempt, in order per follower
    rows = _rows(engine)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT.value, 0)}
    accepted = [c.json for c in wechat_api.calls_to(SEND)][1:]  # the first was refused
    assert len(accepted) == 6
    assert [m["text"]["content"] for m in accepted if m["touser"] == "o_same"] == ["a", "b", "c"]
