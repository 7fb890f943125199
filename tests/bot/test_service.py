"""The dispatcher's threads: SQLite messages queue for one writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.dispatch.envelope import Channel, Envelope, Outcome
from bot.dispatch.service import Service, ServiceConfig
from bot.dispatch.staff_dispatch import StaffWork
from flows.definition import load_flow
from flows.events import Inbound, Intent
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.transactions import transaction

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_concurrent_messages_all_answered_on_the_expected_threads(engine: Engine) -> None:
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow)
    threads: set[str] = set()
    process = service.process

    def recording(session: Session, envelope: Envelope, staff: StaffWork | None = None) -> Outcome:
        threads.add(threading.current_thread().name)
        return process(session, envelope, staff)

    service.process = recording  # type: ignore[method-assign]
    users = [f"u{i}" for i in range(12)]
    try:
        for round_, text in enumerate([None, "3", "2", "1,4"]):
            intent = Intent.START if text is None else None
            outcomes = await asyncio.gather(
                *(
                    service.handle(
                        Envelope(
                            Channel.WECHAT,
                            user,
                            f"{user}-{round_}",
                            Inbound(now=NOW + timedelta(seconds=round_), text=text, intent=intent),
                        )
                    )
                    for user in users
                )
            )
            assert all(o.messages and not o.duplicate for o in outcomes)
    finally:
        service.close()
    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
    # One writer, on the loop's thread (nothing to wait for), on both databases.
    assert threads == {threading.current_thread().name}


def test_close_stops_the_writer_thread(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's lock; PostgreSQL's: tests/bot/test_batch_writer_postgres.py")
    service = Service(engine, load_flow(DEFAULT_FLOW))
    envelope = Envelope(Channel.WECHAT, "u1", "k1", Inbound(now=NOW, intent=Intent.START))
    before = set(threading.enumerate())

    async def while_another_process_writes() -> Outcome:
        other = sqlite3.connect(engine.url.database or "", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the message waits for it on the writer thread
        try:
            answering = asyncio.ensure_future(service.handle(envelope))
            await asyncio.sleep(0.1)
        finally:
            other.rollback()
            other.close()
        return await answering

    assert asyncio.run(while_another_process_writes()).messages
    writers = [
        t for t in threading.enumerate() if t not in before and t.name.startswith("batch-writer")
    ]
    assert len(writers) == 1
    service.close()
    for thread in writers:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in writers)


async def test_the_dispatcher_logs_under_the_request_s_id(engine: Engine) -> None:
    """Log lines written while a message is dispatched carry the request id the HTTP
    middleware set (bot.observability), on the SQLite writer thread as in the pool."""
    from bot.observability.logging import request_id_var

    service = Service(engine, load_flow(DEFAULT_FLOW))
    seen: list[str | None] = []
    process = service.process

    def recording(session: Session, envelope: Envelope, staff: StaffWork | None = None) -> Outcome:
        seen.append(request_id_var.get())
        return process(session, envelope, staff)

    service.process = recording  # type: ignore[method-assign]
    token = request_id_var.set("req-42")
    try:
        envelope = Envelope(Channel.WECHAT, "u1", "k1", Inbound(now=NOW, intent=Intent.START))
        assert (await service.handle(envelope)).messages
    finally:
        request_id_var.reset(token)
        service.close()
    assert seen == ["req-42"]


@pytest.mark.parametrize("pg_batch", [True, False])
async def test_postgres_dispatches_at_most_db_threads_messages_at_once(
    engine: Engine, pg_batch: bool
) -> None:
    """More threads than this only fight over the GIL (docs/benchmarks.md); SQLite has
    its one writer whatever the setting, and so has PostgreSQL with `pg_batch`."""
    config = ServiceConfig(db_threads=2, pg_batch=pg_batch)
    service = Service(engine, load_flow(DEFAULT_FLOW), config=config)
    running, most = 0, 0
    limit = 1 if engine.dialect.name == "sqlite" or pg_batch else 2
    guard = threading.Lock()
    full = threading.Event()  # `limit` messages are running at once
    process = service.process

    def counting(session: Session, envelope: Envelope, staff: StaffWork | None = None) -> Outcome:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
            if running >= limit:
                full.set()
        try:
            # The first ones wait for each other, so the limit is reached however slow
            # the machine; one past the limit would show up in `most`.
            full.wait(10)
            return process(session, envelope, staff)
        finally:
            with guard:
                running -= 1

    service.process = counting  # type: ignore[method-assign]
    users = [f"u{i}" for i in range(8)]
    try:
        outcomes = await asyncio.gather(
            *(
                service.handle(
                    Envelope(Channel.WECHAT, u, f"{u}-0", Inbound(now=NOW, intent=Intent.START))
                )
                for u in users
            )
        )
    finally:
        service.close()
    assert all(o.messages for o in outcomes)
    assert most == limit


def test_db_threads_setting_is_validated() -> None:
    from bot.settings import SettingsError, load_settings

    assert load_settings(SURVEYBOT_DB_THREADS=8).db_threads == 8
    assert load_settings().pg_batch is True
    assert load_settings(SURVEYBOT_PG_BATCH="false").pg_batch is False
    with pytest.raises(SettingsError, match="DB_THREADS"):
        load_settings(SURVEYBOT_DB_THREADS=0)
