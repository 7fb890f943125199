"""Staff reminded of requests nobody has claimed: which are due, and marking them told
(bot.workers.renotify)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from storage.models import ContactRequest, ContactStatus


def contacts_due_for_renotify(
    *, session: Session, now: datetime, after_hours: float
) -> Sequence[ContactRequest]:
    """Open (unclaimed) requests whose last staff notification is older than `after_hours`."""
    cutoff = now - timedelta(hours=after_hours)
    return session.exec(
        select(ContactRequest)
        .where(
            ContactRequest.status == ContactStatus.OPEN.value,
            or_(
                col(ContactRequest.last_notified_at).is_(None),
                col(ContactRequest.last_notified_at) <= cutoff,
            ),
        )
        .order_by(col(ContactRequest.id))
    ).all()


def mark_contact_notified(*, session: Session, contact: ContactRequest, now: datetime) -> None:
    contact.last_notified_at = now
    session.add(contact)
