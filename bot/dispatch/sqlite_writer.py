"""SQLite's one writer thread, committing the messages queued behind each other together.

SQLite takes one writer at a time, so messages queue for one thread (instead of parking
a thread each on the write lock: GIL hand-offs and wake-ups under load). When several
are waiting, the thread runs them one after the other in **one** transaction and
commits once (group commit): the BEGIN, the COMMIT with its WAL write, and SQLAlchemy's
connection and session bookkeeping are paid once per batch instead of once per message
(docs/benchmarks.md). A lone message is a batch of one, as before.

Nothing changes for the messages themselves: each runs through the same `process`
function, in order, and sees the writes of those before it (a retried push finds the
first copy's claim and stored reply, two messages of one respondent follow each other).
No reply leaves before its batch has committed. If any message of a batch fails, the
batch is rolled back and its messages are re-run one transaction each, so one bad
message costs the others nothing but time; `process` must be safe to re-run, as
`storage.transactions.run_in_transaction` already requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = TypeVar("Job")

MAX_BATCH = 32  # bounds one transaction's length and what one failure sends back to re-run


@dataclass
class Done(Generic[T]):
    """What a message came to, and how long it spent in the database (seconds)."""

    result: T | None = None
    error: BaseException | None = None
    seconds: float = 0.0


@dataclass
class _Queued(Generic[Job, T]):
    job: Job
    context: contextvars.Context  # the caller's (request id of its log lines)
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Done[T]]
    done: Done[T] = field(default_factory=Done)


class SQLiteWriter(Generic[Job, T]):
    """One thread running `process(session, job)` for every submitted job, batched."""

    def __init__(
        self,
        engine: Engine,
        process: Callable[[Session, Job], T],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "sqlite-writer",
    ) -> None:
        self._engine = engine
        self._process = process
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Queued[Job, T] | None] = queue.SimpleQueue()  # None: stop
        self._closed = False
        self._lock = threading.Lock()
        self._name = name
        self._thread: threading.Thread | None = None  # started by the first message

    async def submit(self, job: Job) -> Done[T]:
        """Queue `job`; its outcome once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Done[T]] = loop.create_future()
        queued = _Queued(job, contextvars.copy_context(), loop, future)
        with self._lock:  # no job slips in behind the stop marker
            if self._closed:
                raise RuntimeError("the SQLite writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(queued)
        return await queued.future

    def close(self) -> None:
        """Finish the queued messages, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            try:
                self._run_batch(batch)
            except BaseException as error:  # noqa: BLE001 - not an Exception: stop, answer all
                log.critical("the SQLite writer stops: %r", error)
                self._fail_all(batch, error)
                return

    def _fail_all(self, batch: list[_Queued[Job, T]], error: BaseException) -> None:
        """No caller is left waiting on a writer that stopped; later ones are refused."""
        with self._lock:
            self._closed = True
        while True:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is not None:
                batch.append(more)
        for queued in batch:
            queued.done = Done(error=error)
            _deliver(queued)

    def _run_batch(self, batch: list[_Queued[Job, T]]) -> None:
        started = time.perf_counter()
        try:
            results = run_in_transaction(self._engine, lambda s: self._all(s, batch))
        except Exception as error:  # noqa: BLE001 - handed to the caller(s)
            if len(batch) == 1:  # it ran alone already: its outcome is this error
                batch[0].done = Done(error=error, seconds=time.perf_counter() - started)
            else:  # re-run one by one: each gets its own outcome
                log.info("a batch of %d messages failed; re-running them one by one", len(batch))
                for queued in batch:
                    self._run_alone(queued)
        else:
            seconds = time.perf_counter() - started
            for queued, result in zip(batch, results, strict=True):
                queued.done = Done(result=result, seconds=seconds)
        for queued in batch:
            _deliver(queued)

    def _all(self, session: Session, batch: list[_Queued[Job, T]]) -> list[T]:
        results = []
        for queued in batch:
            results.append(queued.context.run(self._process, session, queued.job))
            session.flush()  # ORM writes out before the next message reads
        return results

    def _run_alone(self, queued: _Queued[Job, T]) -> None:
        started = time.perf_counter()
        try:
            result = run_in_transaction(
                self._engine, lambda s: queued.context.run(self._process, s, queued.job)
            )
        except Exception as error:  # noqa: BLE001 - handed to the caller
            queued.done = Done(error=error, seconds=time.perf_counter() - started)
        else:
            queued.done = Done(result=result, seconds=time.perf_counter() - started)


def _deliver(queued: _Queued[Job, T]) -> None:
    def settle() -> None:
        if not queued.future.done():  # the caller may have given up (client gone)
            queued.future.set_result(queued.done)

    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits for it
        queued.loop.call_soon_threadsafe(settle)
