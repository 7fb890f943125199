"""Staff commands off the respondents' write path: their reads first, then a short write.

A staff report (/stats, a cross-tab, /progress) may read for seconds. Run where the
respondents' messages are written (on SQLite the one writer thread that batches them, on
PostgreSQL one of their `db_threads`), it held every respondent behind it. So a staff
message goes in two steps:

1. its reads, in a read-only transaction of their own with the long-read timeout
   (`storage.transactions.transaction(long_read=True)`), on threads of their own
   (STAFF_READ_THREADS), beside the respondents' messages (`StaffReads`);
2. what it changes (claim, done, assign, broadcast, test mark, the chosen survey, a queued
   chart) and its audit row, in the message's short write transaction through the
   dispatcher (`bot.dispatch.service.Service.process`, on SQLite the writer thread): dedupe → lock
   → the staff work → the reply saved. A retried push finds the first copy's
   processed-message row there and gets its stored reply: its reads are thrown away and
   nothing changes twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch.envelope import ChannelEvent, Envelope, Outcome
from storage.transactions import transaction

# Staff reports read at once (each a connection and a thread): a few staff, and the
# respondents' threads (`db_threads`) stay theirs however many reports run.
STAFF_READ_THREADS = 2

# A staff command whose reads are done: called in the message's write transaction.
StaffWork = Callable[[Session], Outcome]


class StaffHook(Protocol):
    """The staff side of the dispatcher (`bot.staff.handler.StaffHandler`)."""

    def is_staff(self, envelope: Envelope) -> bool:
        """Whether the sender is staff (no database: asked for every message)."""
        ...

    def prepare(self, session: Session, envelope: Envelope) -> StaffWork | None:
        """A staff member's message, read in its own transaction; None: survey input."""
        ...

    def note_denied(self, session: Session, envelope: Envelope) -> None:
        """A non-staff sender's message, in its write transaction (audits staff commands)."""
        ...


class StaffReads:
    """Step 1 for staff members' messages; nothing (no transaction) for anyone else's."""

    def __init__(self, engine: Engine, hook: StaffHook | None) -> None:
        self.engine = engine
        self.hook = hook
        self._threads = anyio.CapacityLimiter(STAFF_READ_THREADS)

    def wanted(self, envelope: Envelope) -> bool:
        if self.hook is None or envelope.event is ChannelEvent.UNSUBSCRIBE:
            return False  # an unsubscribe only marks the sender inactive (the dispatcher)
        return self.hook.is_staff(envelope)

    def read_sync(self, envelope: Envelope) -> StaffWork | None:
        """The staff command's reads, on the calling thread; what is left to write."""
        if self.hook is None or not self.wanted(envelope):
            return None
        with transaction(self.engine, readonly=True, long_read=True) as session:
            return self.hook.prepare(session, envelope)

    async def read(self, envelope: Envelope) -> StaffWork | None:
        if not self.wanted(envelope):
            return None
        return await anyio.to_thread.run_sync(self.read_sync, envelope, limiter=self._threads)
