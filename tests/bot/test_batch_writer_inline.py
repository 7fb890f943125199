"""The batch writer on SQLite, on the event loop's thread: a batch runs there only when the write
lock is free at once; anything that would wait goes to the writer thread, in order."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.dispatch.batch_writer import BatchWriter
from storage.transactions import transaction
from tests.bot.writer_tables import commits, table, writer_engine


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


@pytest.fixture
def sqlite_engine(db_file: Path) -> Iterator[Engine]:
    engine = writer_engine(db_file)
    yield engine
    engine.dispose()


class Recorder:
    """A message's work: counted, recorded with the thread that ran it, maybe failing."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.threads: dict[str, int] = {}
        self.order: list[str] = []

    def __call__(self, session: Session, job: str) -> str:
        self.threads[job] = threading.get_ident()
        self.order.append(job)
        session.exec(text("UPDATE runs SET n = n + 1"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO done VALUES (:job)").bindparams(job=job))  # type: ignore[call-overload]
        if job in self.failing:
            raise ValueError(f"bad job {job}")
        return job.upper()


async def _ticks_while(awaitable: asyncio.Future[object], seconds: float) -> int:
    """How often the loop got round to another task in `seconds` while `awaitable` waits."""
    ticks = 0
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
        ticks += 1
    assert not awaitable.done()
    return ticks


async def test_messages_submitted_together_run_on_the_loop_in_one_transaction(
    sqlite_engine: Engine,
) -> None:
    work = Recorder()
    committed = commits(sqlite_engine)
    writer = BatchWriter(sqlite_engine, work)
    try:
        done = await asyncio.gather(*(writer.submit(job) for job in "abcde"))
    finally:
        writer.close()
    assert [d.result for d in done] == ["A", "B", "C", "D", "E"]
    assert set(work.threads.values()) == {threading.get_ident()}  # no hop to a thread
    assert work.order == list("abcde")
    assert len(committed) == 1
    assert table(sqlite_engine) == (list("abcde"), 5)


async def test_another_process_writing_sends_the_batch_to_the_thread_not_the_loop_to_sleep(
    sqlite_engine: Engine, db_file: Path
) -> None:
    other = sqlite3.connect(db_file, isolation_level=None)  # as another process would
    other.execute("BEGIN IMMEDIATE")
    work = Recorder()
    writer = BatchWriter(sqlite_engine, work)
    try:
        first = asyncio.ensure_future(writer.submit("a"))
        await asyncio.sleep(0)  # submitted, its batch tried: the lock is taken
        assert await _ticks_while(first, 0.3) >= 10  # the loop went on meanwhile
        later = asyncio.ensure_future(writer.submit("b"))  # behind "a", on the thread too
        other.rollback()
        done = [await first, await later]
        after = await writer.submit("c")  # the thread is done: on the loop again
    finally:
        writer.close()
        other.close()
    assert [d.result for d in done] == ["A", "B"] and after.result == "C"
    assert work.order == ["a", "b", "c"]
    assert work.threads["a"] != threading.get_ident() and work.threads["b"] == work.threads["a"]
    assert work.threads["c"] == threading.get_ident()
    assert table(sqlite_engine) == (["a", "b", "c"], 3)


async def test_a_writer_of_this_process_holding_the_turn_is_not_waited_for_on_the_loop(
    sqlite_engine: Engine,
) -> None:
    holding, release = threading.Event(), threading.Event()

    def background_writer() -> None:  # e.g. the outbox worker, in its own thread
        with transaction(sqlite_engine) as session:
            session.exec(text("UPDATE runs SET n = n + 100"))  # type: ignore[call-overload]
            holding.set()
            assert release.wait(timeout=10)

    thread = threading.Thread(target=background_writer)
    thread.start()
    work = Recorder()
    writer = BatchWriter(sqlite_engine, work)
    try:
        await asyncio.to_thread(holding.wait, 10)
        first = asyncio.ensure_future(writer.submit("a"))
        assert await _ticks_while(first, 0.2) >= 5
        release.set()
        done = await first
    finally:
        writer.close()
        thread.join()
    assert done.result == "A" and work.threads["a"] != threading.get_ident()
    assert table(sqlite_engine) == (["a"], 101)


async def test_a_failing_message_costs_the_others_of_its_batch_nothing(
    sqlite_engine: Engine,
) -> None:
    work = Recorder(frozenset({"c"}))
    writer = BatchWriter(sqlite_engine, work)
    try:
        done = await asyncio.gather(*(writer.submit(job) for job in "abcd"))
    finally:
        writer.close()
    assert [d.result for d in done] == ["A", "B", None, "D"]
    assert isinstance(done[2].error, ValueError)
    # Rolled back, re-run one by one: nothing of "c", nothing twice.
    assert table(sqlite_engine) == (["a", "b", "d"], 3)
    assert set(work.threads.values()) == {threading.get_ident()}


async def test_a_message_failing_alone_runs_once(sqlite_engine: Engine) -> None:
    work = Recorder(frozenset({"a"}))
    writer = BatchWriter(sqlite_engine, work)
    try:
        done = await writer.submit("a")
    finally:
        writer.close()
    assert isinstance(done.error, ValueError)
    assert work.order == ["a"]
    assert table(sqlite_engine) == ([], 0)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda w: w.submit("a", inline=False), id="this message not inline"),
        pytest.param(None, id="writer not inline"),
    ],
)
async def test_work_kept_off_the_loop_runs_on_the_thread(
    sqlite_engine: Engine, make: Callable[[BatchWriter[str, str]], object] | None
) -> None:
    work = Recorder()
    writer = BatchWriter(sqlite_engine, work, inline=make is not None)
    try:
        done = await (make(writer) if make else writer.submit("a"))  # type: ignore[misc]
    finally:
        writer.close()
    assert done.result == "A" and work.threads["a"] != threading.get_ident()


class Stopping(BaseException):
    """Not an Exception: the process is going down."""


async def test_a_stopping_error_on_the_loop_answers_the_callers_and_refuses_the_rest(
    sqlite_engine: Engine,
) -> None:
    def process(session: Session, job: str) -> str:
        raise Stopping

    writer = BatchWriter(sqlite_engine, process)
    loop = asyncio.get_running_loop()
    seen: list[BaseException | None] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context.get("exception")))
    try:
        done = await asyncio.wait_for(writer.submit("a"), timeout=10)
    finally:
        loop.set_exception_handler(None)
    assert isinstance(done.error, Stopping)
    assert seen and isinstance(seen[0], Stopping)  # raised on, not swallowed
    with pytest.raises(RuntimeError, match="closed"):
        await writer.submit("b")
    writer.close()


async def test_a_background_writer_still_gets_its_turn_while_the_loop_writes_nonstop(
    sqlite_engine: Engine,
) -> None:
    """The loop takes the in-process turn without waiting; a thread waiting for it (the
    outbox, reminders) must still get it between the loop's batches, not starve."""
    writes_done: list[float] = []
    stop = threading.Event()

    def background_writer() -> None:
        while len(writes_done) < 20 and not stop.is_set():
            with transaction(sqlite_engine) as session:
                session.exec(text("UPDATE runs SET n = n + 1000"))  # type: ignore[call-overload]
            writes_done.append(1.0)

    work = Recorder()
    writer = BatchWriter(sqlite_engine, work)
    thread = threading.Thread(target=background_writer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    submitted = 0
    try:
        thread.start()
        while len(writes_done) < 20 and loop.time() - started < 5:
            jobs = [f"j{submitted + i}" for i in range(8)]  # a batch at every turn
            submitted += len(jobs)
            done = await asyncio.gather(*(writer.submit(job) for job in jobs))
            assert all(d.error is None for d in done)
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert len(writes_done) == 20, f"the background writer got {len(writes_done)} turns"
    assert loop.time() - started < 5
    jobs, runs = table(sqlite_engine)
    assert len(jobs) == submitted and runs == submitted + 20 * 1000
