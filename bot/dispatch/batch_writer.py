"""One writer a worker, committing the messages queued behind each other together.

When several messages are waiting, the writer runs them one after the other in **one**
transaction and commits once (group commit): the BEGIN, the COMMIT with its WAL write,
and SQLAlchemy's connection and session bookkeeping are paid once per batch instead of
once per message (docs/benchmarks.md). A lone message is a batch of one, as before.

- SQLite takes one writer at a time, so its messages queue here instead of parking a
  thread each on the write lock (GIL hand-offs and wake-ups under load).
- PostgreSQL (`SURVEYBOT_PG_BATCH`, on by default): one transaction for the messages that
  arrived together cost 29–40 % less CPU, server and backend, than one each on a pool of
  threads (docs/benchmarks.md, 2026-12-04, evening). Batches of two workers lock the same
  counter rows; the counters are written at commit, in one order
  (`storage.counter_ledger`), so they cannot deadlock each other.

Where the batch runs: the messages submitted while the event loop was busy are run on
the loop's own thread, right after it, when nothing has to be waited for
(`transaction(nowait=True)`: SQLite's write lock free at once, neither its busy handler
nor the in-process writer turn waited for; PostgreSQL: no row lock waited for longer
than `PG_NOWAIT_LOCK_MS`). A chat step is a millisecond of CPU, mostly under the GIL
anyway, and handing it to another thread and back cost about 15 % of a push's CPU and
throughput (docs/benchmarks.md, 2026-12-04, later). A batch that would have to wait
(another process or thread writing, a row lock held), work that may be long (staff
commands: `inline=False`), and whatever comes while the thread still has messages
(order is kept) go to the writer **thread**: the loop never sleeps on a lock.

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

from storage.transactions import WriterBusy, is_retryable, run_in_transaction, transaction

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


class BatchWriter(Generic[Job, T]):
    """One thread running `process(session, job)` for every submitted job, batched."""

    def __init__(
        self,
        engine: Engine,
        process: Callable[[Session, Job], T],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "batch-writer",
        inline: bool = True,
    ) -> None:
        self._engine = engine
        self._process = process
        self._max_batch = max_batch
        self._inline = inline  # False: every batch on the writer thread
        self._queue: queue.SimpleQueue[_Queued[Job, T] | None] = queue.SimpleQueue()  # None: stop
        self._closed = False
        self._lock = threading.Lock()  # guards what follows, the queue's stop marker
        self._pending: list[_Queued[Job, T]] = []  # to run on the loop's thread, next
        self._threaded = 0  # handed to the thread, not yet committed (or failed)
        self._name = name
        self._thread: threading.Thread | None = None  # started by the first message

    async def submit(self, job: Job, *, inline: bool = True) -> Done[T]:
        """Queue `job`; its outcome once the transaction holding it has committed.
        `inline=False`: never on the event loop's thread (work that may take long)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Done[T]] = loop.create_future()
        queued = _Queued(job, contextvars.copy_context(), loop, future)
        with self._lock:  # no job slips in behind the stop marker
            if self._closed:
                raise RuntimeError("the batch writer is closed")
            if self._inline and inline and not self._threaded:
                self._pending.append(queued)
                if len(self._pending) == 1:  # after what the loop is doing now
                    loop.call_soon(self._run_pending)
            else:  # behind the thread's messages, and the pending ones before it
                self._to_thread([*self._pending, queued])
                self._pending.clear()
        return await queued.future

    def _to_thread(self, batch: list[_Queued[Job, T]]) -> None:
        """Hand messages to the writer thread, in order (with `self._lock` held)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._threaded += len(batch)
        for queued in batch:
            self._queue.put(queued)

    def _run_pending(self) -> None:
        """On the loop's thread: the messages submitted since it last ran, as one batch."""
        with self._lock:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            if self._pending:  # more than one batch's worth: the rest right after
                batch[0].loop.call_soon(self._run_pending)
            if not batch:
                return
            if self._closed:  # stopped while these waited (close() hands its own over)
                for queued in batch:
                    queued.done = Done(error=RuntimeError("the batch writer is closed"))
                    _settle(queued)
                return
            if self._threaded:  # the thread's messages go first
                self._to_thread(batch)
                return
        self._run_here(batch)

    def _run_here(self, batch: list[_Queued[Job, T]]) -> None:
        started = time.perf_counter()
        try:
            results = self._attempt(batch)
        except Exception as error:  # noqa: BLE001 - handed to the caller(s) or the thread
            if _must_wait(error):  # another writer: the thread waits for it, not the loop
                with self._lock:
                    self._to_thread(batch)
                return
            if len(batch) == 1:  # it ran alone already: its outcome is this error
                batch[0].done = Done(error=error, seconds=time.perf_counter() - started)
                _settle(batch[0])
                return
            log.info("a batch of %d messages failed; re-running them one by one", len(batch))
            for index in range(len(batch)):
                if not self._run_here_alone(batch, index):
                    return  # it and those after it went to the thread
            return
        except BaseException as error:  # not an Exception: the process stops; answer, refuse
            log.critical("the batch writer stops: %r", error)
            with self._lock:
                self._closed = True
            for queued in batch:
                queued.done = Done(error=error)
                _settle(queued)
            raise
        seconds = time.perf_counter() - started
        for queued, result in zip(batch, results, strict=True):
            queued.done = Done(result=result, seconds=seconds)
            _settle(queued)

    def _run_here_alone(self, batch: list[_Queued[Job, T]], index: int) -> bool:
        """Re-run `batch[index]` on its own: False if it had to wait, and it and those
        after it went to the thread (their order kept)."""
        queued = batch[index]
        started = time.perf_counter()
        try:
            (result,) = self._attempt([queued])
        except Exception as error:  # noqa: BLE001 - handed to the caller or the thread
            if _must_wait(error):
                with self._lock:
                    self._to_thread(batch[index:])
                return False
            queued.done = Done(error=error, seconds=time.perf_counter() - started)
        else:
            queued.done = Done(result=result, seconds=time.perf_counter() - started)
        _settle(queued)
        return True

    def _attempt(self, batch: list[_Queued[Job, T]]) -> list[T]:
        """The batch in one transaction, only if nothing has to be waited for (SQLite's
        write lock, a PostgreSQL row lock: `WriterBusy`)."""
        with transaction(self._engine, nowait=True) as session:
            return self._all(session, batch)

    def close(self) -> None:
        """Finish the queued messages (on the thread), then stop it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._pending:
                self._to_thread(self._pending[:])
                self._pending.clear()
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
                log.critical("the batch writer stops: %r", error)
                self._fail_all(batch, error)
                return
            with self._lock:  # committed (or failed): the loop may write again, and a
                self._threaded -= len(batch)  # caller woken below already finds it so
            for queued in batch:
                _deliver(queued)

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
        """Each message's outcome into its `done` (delivered by the caller)."""
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


def _must_wait(error: BaseException) -> bool:
    """Another writer holds the lock (or a transient conflict): for the thread to wait."""
    return isinstance(error, WriterBusy) or is_retryable(error)


def _settle(queued: _Queued[Job, T]) -> None:
    """On the caller's loop: its outcome (unless it has given up, the client gone)."""
    if not queued.future.done():
        queued.future.set_result(queued.done)


def _deliver(queued: _Queued[Job, T]) -> None:
    """From the thread: settled on the caller's loop."""
    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits for it
        queued.loop.call_soon_threadsafe(_settle, queued)
