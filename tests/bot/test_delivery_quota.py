"""The outbox worker against WeChat's call quota: it waits for the window, never drops.

The quota is the loopback fake's (tests.fakes.wechat_api_server.SendQuota), counted per
window as WeChat counts per minute; the sender is told the window is a second so that
the windows pass in a test's time. A test that sets the worker's clock gives the fake
the same one (`clock`): the fake's windows and the worker's then turn together, never
with the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.channels.sending import QuotaWindow
from bot.channels.wechat.api import InMemoryTokenStore, WeChatApi
from bot.channels.wechat.sender import WeChatSender
from bot.dispatch.reply_delivery import REPLY_KIND
from bot.workers.delivery import Delivery
from storage import outbox
from storage.broadcasts import KIND as BROADCAST
from storage.models import Outbox, OutboxStatus
from tests.fakes.wechat_api_server import APP_ID, APP_SECRET, SEND_PATH, FakeWeChatApi, SendQuota

START = datetime(2026, 12, 3, 12, 0, 30, tzinfo=UTC)


class Clock:
    """The test's time, read by the worker (a datetime) and by the fake API (seconds)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


def _fake(quota: SendQuota | None, clock: Callable[[], float]) -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(quota=quota, clock=clock)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def wechat_api(clock: Clock) -> Iterator[FakeWeChatApi]:
    yield from _fake(None, clock.timestamp)


@pytest.fixture
def quota_api() -> Iterator[FakeWeChatApi]:
    """On the wall clock, as the worker that runs forever against it."""
    yield from _fake(SendQuota(limit=20, window_s=1.0), time.time)


def _sender(fake: FakeWeChatApi) -> WeChatSender:
    api = WeChatApi(APP_ID, APP_SECRET, token_store=InMemoryTokenStore(), base_url=fake.base_url)
    return WeChatSender(api, minute_quota_s=1.0)


def _queue(engine: Engine, recipients: list[str], kind: str = BROADCAST) -> None:
    with Session(engine) as session:
        for number, recipient in enumerate(recipients):
            outbox.enqueue(
                session=session, channel="wechat", recipient=recipient, kind=kind,
                payload={"texts": [f"news {number}"]}, now=START,
            )  # fmt: skip
        session.commit()


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


@pytest.mark.parametrize("rate", [None, 20.0], ids=["unpaced", "paced"])
async def test_a_small_broadcast_drains_at_the_quota_and_never_stalls(
    engine: Engine, quota_api: FakeWeChatApi, rate: float | None
) -> None:
    # Given 50 copies to send and an API that accepts 20 sends a second (the case that
    # once doubled its back-off to a minute while each round still sent part of a batch)
    _queue(engine, [f"o_follower_{n}" for n in range(50)])
    delivery = Delivery(engine, {"wechat": _sender(quota_api)}, send_rates={"wechat": rate})

    # When the worker runs (until every row is marked sent: stopped as soon as the API
    # had all 50 copies, it could be stopped between the last send and its mark)
    started = time.monotonic()
    elapsed = float("inf")
    with anyio.move_on_after(20):
        async with anyio.create_task_group() as group:
            group.start_soon(delivery.run_forever, 0.1)
            while sum(quota_api.copies("news").values()) < 50:
                await anyio.sleep(0.05)
            elapsed = time.monotonic() - started
            while any(r.sent_at is None for r in await anyio.to_thread.run_sync(_rows, engine)):
                await anyio.sleep(0.05)
            group.cancel_scope.cancel()

    # Then every follower has one copy within 50/20 s plus a window or two (and slack for
    # a loaded machine), and no row spent an attempt on the quota
    copies = quota_api.copies("news")
    assert len(copies) == 50 and set(copies.values()) == {1}, copies
    assert elapsed < 50 / 20 + 2 + 2, elapsed
    rows = _rows(engine)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT.value, 0)}


@pytest.mark.parametrize("errcode", [45011, 45009])
async def test_a_spent_quota_postpones_the_round_in_order_and_loses_nothing(
    engine: Engine, wechat_api: FakeWeChatApi, clock: Clock, errcode: int
) -> None:
    # Given six rows, three of them to one follower, and a quota spent after two sends
    _queue(engine, ["o_a", "o_b", "o_same", "o_same", "o_c", "o_same"])
    wechat_api.quota = SendQuota(limit=2, window_s=86_400, errcode=errcode)
    delivery = Delivery(engine, {"wechat": _sender(wechat_api)}, concurrency=1, clock=clock)
    await delivery.run_once()

    # Then the refused row and the untried rest wait for the window to reopen, all for
    # the same moment (so they are taken again in their order), none failed, no attempt
    # spent, and the rest was not even tried (the gate stays closed)
    rows = _rows(engine)
    pending = [r for r in rows if r.status == OutboxStatus.PENDING.value]
    assert len(pending) == 4 and all(r.attempts == 0 for r in rows)
    reopens = {r.next_attempt_at.replace(tzinfo=UTC) for r in pending}
    window = QuotaWindow(1.0) if errcode == 45011 else QuotaWindow(86_400, offset_s=-8 * 3600)
    assert reopens == {window.next_opening(START)}
    assert any(str(errcode) in (r.last_error or "") for r in pending)
    assert wechat_api.refused == 1

    # When the window has reopened, the rest goes out: each once, a follower's in order
    wechat_api.quota = None
    clock.now = window.next_opening(START)
    while await delivery.run_once():
        pass
    accepted = [(c.touser, c.text) for c in wechat_api.accepted]
    assert sorted(accepted) == sorted((r.recipient, f"news {n}") for n, r in enumerate(rows))
    assert [text for user, text in accepted if user == "o_same"] == ["news 2", "news 3", "news 5"]
    assert {r.status for r in _rows(engine)} == {OutboxStatus.SENT.value}


async def test_the_wait_grows_only_while_nothing_gets_through(
    engine: Engine, wechat_api: FakeWeChatApi, clock: Clock
) -> None:
    # Given an API whose quota admits nothing at all
    _queue(engine, ["o_a"])
    wechat_api.quota = SendQuota(limit=0, window_s=1.0)
    delivery = Delivery(engine, {"wechat": _sender(wechat_api)}, clock=clock)
    waits = []
    for _ in range(4):
        await delivery.run_once()
        (row,) = _rows(engine)
        waits.append((row.next_attempt_at.replace(tzinfo=UTC) - clock.now).total_seconds())
        clock.now = row.next_attempt_at.replace(tzinfo=UTC)
    # Then each window without a send doubles the wait (in windows of a second)
    assert waits == [2.0, 4.0, 8.0, 16.0]
    assert _rows(engine)[0].attempts == 0


async def test_after_progress_a_refusal_waits_one_window_not_the_grown_wait(
    engine: Engine, wechat_api: FakeWeChatApi, clock: Clock
) -> None:
    # Given a wait grown over three windows in which nothing got through (one send at a
    # time: that a refusal may come back before a send beside it is counted is not this
    # test's point)
    _queue(engine, ["o_a"])
    wechat_api.quota = SendQuota(limit=0, window_s=1.0)
    delivery = Delivery(engine, {"wechat": _sender(wechat_api)}, concurrency=1, clock=clock)
    for _ in range(3):
        await delivery.run_once()
        (row,) = _rows(engine)
        clock.now = row.next_attempt_at.replace(tzinfo=UTC)
    assert clock.now == START + timedelta(seconds=2 + 4 + 8)

    # When the API admits one send a window again, and three rows are due
    wechat_api.quota = SendQuota(limit=1, window_s=1.0)
    _queue(engine, ["o_b", "o_c"])
    await delivery.run_once()  # o_a goes out, o_b is refused, o_c is not tried

    # Then the refused row and the untried one wait for the next window only
    assert _waiting(engine, clock) == ["sent", 1.0, 1.0]

    # And so on, window by window, as long as one gets through in each (the fake's
    # window turns with the worker's clock)
    clock.now += timedelta(seconds=1)
    await delivery.run_once()
    assert _waiting(engine, clock) == ["sent", "sent", 1.0]
    clock.now += timedelta(seconds=1)
    await delivery.run_once()
    assert _waiting(engine, clock) == ["sent", "sent", "sent"]
    assert [c.touser for c in wechat_api.accepted] == ["o_a", "o_b", "o_c"]
    assert wechat_api.refused == 3 + 2


async def test_a_send_accepted_beside_a_refused_one_counts_though_it_returns_late(
    engine: Engine, wechat_api: FakeWeChatApi, clock: Clock
) -> None:
    # Given two sends at once and an API that admits one a window: the first is accepted
    # but its answer comes back only after the second was refused and the gate closed
    _queue(engine, ["o_slow", "o_refused", "o_untried"])
    wechat_api.quota = SendQuota(limit=1, window_s=1.0)
    sender = _sender(wechat_api)

    class SlowAnswer:
        async def send_text(self, recipient: str, text: str) -> None:
            with anyio.fail_after(5):
                if recipient != "o_slow":
                    while not wechat_api.accepted:  # o_slow first spends the window
                        await anyio.sleep(0.01)
                await sender.send_text(recipient, text)
                if recipient == "o_slow":
                    while delivery.gates["wechat"].is_open(clock()):
                        await anyio.sleep(0.01)

        async def send_image(self, recipient: str, png: bytes) -> None:
            raise AssertionError("no images here")

    delivery = Delivery(engine, {"wechat": SlowAnswer()}, concurrency=2, clock=clock)
    await delivery.run_once()
    assert [c.touser for c in wechat_api.accepted] == ["o_slow"] and wechat_api.refused == 1

    # Then a send got through in that window: the gate reopens with the next window and
    # the refused and the untried row wait for it, not for a grown wait
    assert delivery.gates["wechat"].closed_until == START + timedelta(seconds=1)
    assert _waiting(engine, clock) == ["sent", 1.0, 1.0]


def _waiting(engine: Engine, clock: Clock) -> list[str | float]:
    """Per row: "sent", or the seconds it waits (none may have spent an attempt)."""
    rows = _rows(engine)
    assert all(r.attempts == 0 for r in rows)
    return [
        r.status
        if r.status == OutboxStatus.SENT.value
        else (r.next_attempt_at.replace(tzinfo=UTC) - clock.now).total_seconds()
        for r in rows
    ]


async def test_answers_follow_ups_go_before_a_waiting_broadcast(
    engine: Engine, wechat_api: FakeWeChatApi
) -> None:
    # Given 40 broadcast copies queued before the tail of a respondent's reply
    _queue(engine, [f"o_follower_{n}" for n in range(40)])
    _queue(engine, ["o_respondent"], kind=REPLY_KIND)
    delivery = Delivery(engine, {"wechat": _sender(wechat_api)}, batch=5, concurrency=1)
    # When the worker takes its first round of five
    await delivery.run_once()
    # Then the reply's tail went first
    first = [c.json["touser"] for c in wechat_api.calls_to(SEND_PATH)]
    assert first[0] == "o_respondent" and len(first) == 5


async def test_a_worker_killed_between_send_and_mark_sends_that_row_once_more_only(
    engine: Engine, wechat_api: FakeWeChatApi, clock: Clock
) -> None:
    # Given ten copies and a worker stopped dead right after its fourth send was accepted
    _queue(engine, [f"o_follower_{n}" for n in range(10)])
    sender = _sender(wechat_api)
    death = anyio.CancelScope()

    class DiesAfterFour:
        async def send_text(self, recipient: str, text: str) -> None:
            await sender.send_text(recipient, text)
            if len(wechat_api.accepted) == 4:
                death.cancel()
                await anyio.sleep(0)  # nothing after this line runs

        async def send_image(self, recipient: str, png: bytes) -> None:
            raise AssertionError("no images here")

    dying = Delivery(engine, {"wechat": DiesAfterFour()}, concurrency=1, batch=10, clock=clock)
    with death:
        await dying.run_once()
    assert death.cancelled_caught
    assert [r.status for r in _rows(engine)].count(OutboxStatus.SENT.value) == 3

    # When another worker runs after the dead one's lease ran out
    clock.now = START + timedelta(seconds=outbox.LEASE_S + 1)
    delivery = Delivery(engine, {"wechat": sender}, clock=clock)
    while await delivery.run_once():
        pass

    # Then the one row in flight was sent twice (at least once), every other exactly once
    copies = wechat_api.copies("news")
    assert len(copies) == 10
    assert sorted(copies.values()) == [1] * 9 + [2]
    assert copies["o_follower_3"] == 2
    assert {r.status for r in _rows(engine)} == {OutboxStatus.SENT.value}
