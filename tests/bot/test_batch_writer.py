"""The batch writer on SQLite: messages waiting together are committed together, once each."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.dispatch.batch_writer import BatchWriter
from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service
from flows.definition import load_flow
from flows.events import Inbound, Intent
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.db import make_engine
from storage.migrate import upgrade
from storage.transactions import transaction
from tests.bot.writer_tables import commits, table, writer_engine

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = writer_engine(tmp_path / "w.db")
    yield engine
    engine.dispose()


class Gate:
    """Holds the writer inside the first job until the others have queued behind it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def hold(self) -> None:
        self.entered.set()
        assert self.release.wait(timeout=10)

    async def queue_behind(self, first: asyncio.Task[object], *more: Callable[[], object]) -> list:
        await asyncio.to_thread(self.entered.wait, 10)
        tasks = [asyncio.ensure_future(make()) for make in more]  # type: ignore[call-overload]
        await asyncio.sleep(0)  # each task runs up to its await: queued in order
        self.release.set()
        return [await first, *[await t for t in tasks]]


def _recording_process(gate: Gate, failing: set[str]) -> Callable[[Session, str], str]:
    def process(session: Session, job: str) -> str:
        if job == "first":
            gate.hold()
        session.exec(text("UPDATE runs SET n = n + 1"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO done VALUES (:job)").bindparams(job=job))  # type: ignore[call-overload]
        if job in failing:
            raise ValueError(f"bad job {job}")
        return job.upper()

    return process


async def test_messages_waiting_together_commit_in_one_transaction(sqlite_engine: Engine) -> None:
    gate = Gate()
    committed = commits(sqlite_engine)
    writer = BatchWriter(sqlite_engine, inline=False, process=_recording_process(gate, set()))
    try:
        jobs = ["a", "b", "c", "d", "e"]
        first = asyncio.ensure_future(writer.submit("first"))
        done = await gate.queue_behind(first, *[lambda j=j: writer.submit(j) for j in jobs])
    finally:
        writer.close()
    assert [d.result for d in done] == ["FIRST", "A", "B", "C", "D", "E"]
    assert all(d.error is None for d in done)
    assert len(committed) == 2  # "first" alone, then the five queued behind it at once
    assert table(sqlite_engine) == (sorted(["first", *jobs]), 6)


async def test_a_failing_message_costs_the_others_nothing(sqlite_engine: Engine) -> None:
    gate = Gate()
    writer = BatchWriter(sqlite_engine, inline=False, process=_recording_process(gate, {"c"}))
    try:
        first = asyncio.ensure_future(writer.submit("first"))
        done = await gate.queue_behind(
            first, *[lambda j=j: writer.submit(j) for j in ["a", "b", "c", "d"]]
        )
    finally:
        writer.close()
    assert [d.result for d in done] == ["FIRST", "A", "B", None, "D"]
    assert isinstance(done[3].error, ValueError)
    # The batch was rolled back and re-run one by one: nothing of "c", nothing twice.
    assert table(sqlite_engine) == (["a", "b", "d", "first"], 4)


async def test_each_message_runs_in_its_caller_s_context(sqlite_engine: Engine) -> None:
    from bot.observability.logging import request_id_var

    gate = Gate()
    seen: dict[str, str | None] = {}
    record = _recording_process(gate, set())

    def process(session: Session, job: str) -> str:
        seen[job] = request_id_var.get()
        return record(session, job)

    writer = BatchWriter(sqlite_engine, inline=False, process=process)

    async def submit_as(job: str) -> object:
        request_id_var.set(f"req-{job}")  # a task's own copy of the context
        return await writer.submit(job)

    try:
        first = asyncio.ensure_future(submit_as("first"))
        await gate.queue_behind(first, *[lambda j=j: submit_as(j) for j in ["a", "b"]])
    finally:
        writer.close()
    assert seen == {"first": "req-first", "a": "req-a", "b": "req-b"}


async def test_close_finishes_what_is_queued_then_refuses(sqlite_engine: Engine) -> None:
    gate = Gate()
    writer = BatchWriter(sqlite_engine, inline=False, process=_recording_process(gate, set()))
    first = asyncio.ensure_future(writer.submit("first"))
    await asyncio.to_thread(gate.entered.wait, 10)
    queued = asyncio.ensure_future(writer.submit("a"))
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(asyncio.to_thread(writer.close))
    gate.release.set()
    assert (await first).result == "FIRST" and (await queued).result == "A"
    await closing
    with pytest.raises(RuntimeError, match="closed"):
        await writer.submit("late")
    assert table(sqlite_engine) == (["a", "first"], 2)


async def test_a_retried_push_in_the_same_batch_gets_the_same_reply(tmp_path: Path) -> None:
    """WeChat's retries may arrive with the first copy: in one batch, the copy sees the
    first's claim in the same transaction and answers with its stored reply, counted once."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    engine = make_engine(url)
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow)
    committed = commits(engine)

    def push(user: str, key: str, text: str | None) -> Envelope:
        intent = Intent.START if text is None else None
        return Envelope(Channel.WECHAT, user, key, Inbound(now=NOW, text=text, intent=intent))

    try:
        assert (await service.handle(push("u1", "u1-0", None))).messages
        assert (await service.handle(push("u1", "u1-1", "3"))).messages  # both languages
        answer = push("u1", "u1-2", "2")  # the first question: stored as an answer
        before = len(committed)
        outcomes = await asyncio.gather(  # submitted in one turn of the loop: one batch
            service.handle(answer), service.handle(answer), service.handle(push("u2", "u2-0", None))
        )
    finally:
        service.close()
    assert len(committed) == before + 1
    original, retried, other = outcomes
    assert not original.duplicate and retried.duplicate
    assert retried.messages == original.messages and other.messages
    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
        answers = session.exec(text("SELECT count(*) FROM answer")).one()  # type: ignore[call-overload]
    assert answers[0] == 1
    engine.dispose()


async def test_a_writer_thread_going_down_does_not_leave_callers_waiting(
    sqlite_engine: Engine,
) -> None:
    def process(session: Session, job: str) -> str:
        raise SystemExit("the process is stopping")  # not an Exception: not re-run

    writer = BatchWriter(sqlite_engine, inline=False, process=process)
    done = await asyncio.wait_for(writer.submit("a"), timeout=10)
    assert isinstance(done.error, SystemExit)
    with pytest.raises(RuntimeError, match="closed"):  # refused, not queued forever
        await writer.submit("b")
    writer.close()


async def test_a_message_failing_on_its_own_runs_once(sqlite_engine: Engine) -> None:
    runs: list[str] = []

    def process(session: Session, job: str) -> str:
        runs.append(job)
        raise ValueError("bad")

    writer = BatchWriter(sqlite_engine, inline=False, process=process)
    try:
        done = await writer.submit("a")
    finally:
        writer.close()
    assert isinstance(done.error, ValueError)
    assert runs == ["a"]  # not re-run: a batch of one has nothing to separate it from
