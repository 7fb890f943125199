"""The batch writer on PostgreSQL: answers that arrive together share one transaction, a
row lock held elsewhere sends the batch to the writer thread (the event loop never waits
for it), and two workers' batches do not deadlock on the counters."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bot.dispatch import batch_writer
from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service, ServiceConfig
from flows.definition import load_flow
from flows.events import Inbound, Intent
from flows.surveys import DEFAULT_FLOW
from storage import transactions
from storage.consistency import verify
from storage.transactions import transaction
from tests.bot.staff.conftest import SUPPLIER
from tests.bot.writer_tables import commits

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
AIAG = load_flow(DEFAULT_FLOW)
WAIT_S = 30  # a guard against a hang only

# PostgreSQL's batches only (SQLite's: tests/bot/test_batch_writer*.py).
pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _start(user: str) -> Envelope:
    return Envelope(Channel.WECHAT, user, f"{user}-start", Inbound(now=NOW, intent=Intent.START))


def _answer(user: str, n: int, typed: str) -> Envelope:
    at = NOW + timedelta(seconds=n)
    return Envelope(Channel.WECHAT, user, f"{user}-{n}", Inbound(now=at, text=typed))


async def test_answers_arriving_together_share_one_transaction(engine: Engine) -> None:
    service = Service(engine, AIAG)
    seen = commits(engine)
    users = [f"u{i}" for i in range(12)]
    try:
        outcomes = await asyncio.gather(*(service.handle(_start(u)) for u in users))
        again = await service.handle(_start("u3"))  # a retried push: its stored reply
    finally:
        service.close()
    assert all(o.messages for o in outcomes)
    assert again.duplicate and again.messages == outcomes[3].messages
    assert len(seen) < len(users)  # twelve messages, fewer commits
    with transaction(engine) as session:
        assert verify(session=session, flow=AIAG) == []
        started = session.exec(text("SELECT count(*) FROM survey_session")).one()  # type: ignore[call-overload]
    assert started[0] == len(users)


async def test_a_row_lock_held_elsewhere_sends_the_batch_to_the_thread(engine: Engine) -> None:
    """The respondent's row is locked by another transaction for a while: the loop's
    attempt gives up after PG_NOWAIT_LOCK_MS, the writer thread waits for the lock, and
    the loop keeps running meanwhile; the answer is stored once, after the release."""
    service = Service(engine, AIAG)
    locked, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def hold_the_row() -> None:
        with transaction(engine) as session:
            session.exec(  # type: ignore[call-overload]
                text("SELECT id FROM respondent WHERE channel_user_id = 'u1' FOR UPDATE")
            ).all()
            locked.set()
            release.wait(WAIT_S)
            released_at.append(time.monotonic())

    try:
        await service.handle(_start("u1"))
        holder = threading.Thread(target=hold_the_row)
        holder.start()
        assert await asyncio.to_thread(locked.wait, WAIT_S)
        answer = asyncio.ensure_future(service.handle(_answer("u1", 1, "3")))
        ticks = 0
        for _ in range(20):  # 0.5 s during which the loop must keep turning
            await asyncio.sleep(0.025)
            ticks += 1
        assert not answer.done()
        release.set()
        again = await service.handle(_answer("u1", 1, "3"))  # WeChat's retry of it
        outcome = await asyncio.wait_for(answer, WAIT_S)
        answered_at = time.monotonic()
        holder.join(WAIT_S)
    finally:
        release.set()
        service.close()
    assert ticks == 20 and outcome.messages and not outcome.duplicate
    assert again.duplicate and again.messages == outcome.messages
    assert answered_at >= released_at[0]
    with transaction(engine) as session:
        assert verify(session=session, flow=AIAG) == []
        n = session.exec(text("SELECT count(*) FROM processed_message")).one()  # type: ignore[call-overload]
    assert n[0] == 2  # the start and this answer, each once


def test_two_workers_batches_walk_the_survey_without_deadlocks(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers (a service and an event loop each, on their own threads) walk 16
    suppliers through the whole survey at once: every answer is stored once, the counters
    equal a recount, and PostgreSQL never reported a deadlock (40P01)."""
    deadlocks: list[BaseException] = []
    must_wait, retryable = batch_writer._must_wait, transactions.is_retryable

    def seen(error: BaseException) -> None:
        if getattr(getattr(error, "orig", None), "sqlstate", None) == "40P01":
            deadlocks.append(error)

    def recording_must_wait(error: BaseException) -> bool:
        seen(error)
        return must_wait(error)

    def recording_retryable(error: BaseException) -> bool:
        seen(error)
        return retryable(error)

    monkeypatch.setattr(batch_writer, "_must_wait", recording_must_wait)
    monkeypatch.setattr(transactions, "is_retryable", recording_retryable)
    failures: list[BaseException] = []

    async def walk(service: Service, user: str) -> None:
        await service.handle(_start(user))
        for n, typed in enumerate(SUPPLIER, start=1):
            outcome = await service.handle(_answer(user, n, typed))
            assert outcome.messages

    def worker(users: list[str]) -> None:
        service = Service(engine, AIAG, config=ServiceConfig())
        try:

            async def main() -> Any:
                return await asyncio.gather(*(walk(service, u) for u in users))

            asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            service.close()

    workers = [
        threading.Thread(target=worker, args=([f"w{w}-{i}" for i in range(8)],)) for w in range(2)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(120)
    assert failures == [] and deadlocks == []
    with transaction(engine) as session:
        assert verify(session=session, flow=AIAG) == []
        done = session.exec(  # type: ignore[call-overload]
            text("SELECT count(*) FROM survey_session WHERE completed_at IS NOT NULL")
        ).one()
    assert done[0] == 16
