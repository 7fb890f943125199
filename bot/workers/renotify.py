"""Remind every staff member of contact requests nobody has claimed for too long.

A periodic job (started in the app's lifespan): each round, in one transaction, finds
the open requests whose last staff notification is older than SURVEYBOT_RENOTIFY_HOURS,
queues a reminder per staff member in the outbox and stamps the request. Several
workers may run it: each request is re-read under its row lock and checked again, so a
reminder is queued once per period however many workers look.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch.render import Renderer
from bot.dispatch.staff_alerts import tell_staff
from bot.reports.local_time import local_time
from flows.model import Lang
from flows.staff_replies import StaffContactReminder
from storage.contact_renotify import contacts_due_for_renotify, mark_contact_notified
from storage.contacts import find_contact
from storage.models import ContactStatus
from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)

INTERVAL_S = 60.0


def renotify_due(
    *,
    session: Session,
    staff: Sequence[tuple[str, str]],
    after_hours: float,
    now: datetime,
    renderer: Renderer,
) -> list[str]:
    """Queue reminders for the overdue requests; their references."""
    cutoff = now - timedelta(hours=after_hours)
    reminded: list[str] = []
    for due in contacts_due_for_renotify(session=session, now=now, after_hours=after_hours):
        assert due.id is not None
        contact = find_contact(session=session, ref=due.id, for_update=True)
        last = contact.last_notified_at
        if contact.status != ContactStatus.OPEN.value or (last is not None and last > cutoff):
            continue  # claimed, or reminded by another worker, since the first read
        reminder = StaffContactReminder(
            reference=contact.reference,
            created=local_time(contact.created_at),
            hours=f"{after_hours:g}",
        )
        text = renderer.render(reminder, Lang.BOTH)
        tell_staff(session=session, staff=staff, text=text, now=now)
        mark_contact_notified(session=session, contact=contact, now=now)
        reminded.append(contact.reference or str(contact.id))
    return reminded


class Renotifier:
    def __init__(
        self,
        engine: Engine,
        *,
        staff: Sequence[tuple[str, str]],
        after_hours: float,
        renderer: Renderer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.staff = tuple(staff)
        self.after_hours = after_hours
        self.renderer = renderer or Renderer()
        self.clock = clock

    def run_once(self) -> list[str]:
        now = self.clock()
        return run_in_transaction(
            self.engine,
            lambda session: renotify_due(
                session=session,
                staff=self.staff,
                after_hours=self.after_hours,
                now=now,
                renderer=self.renderer,
            ),
        )

    async def run_forever(self, interval: float = INTERVAL_S) -> None:
        while True:
            try:
                reminded = await anyio.to_thread.run_sync(self.run_once)
                if reminded:
                    log.info("reminded staff of %d unclaimed contact requests", len(reminded))
            except Exception:  # the loop must survive a database outage; it is logged
                log.exception("contact re-notification round failed")
            await anyio.sleep(interval)
