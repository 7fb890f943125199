"""Tell every staff member about a new contact request, through the outbox.

The notification is enqueued in the same transaction as the request, so it is
delivered (with retries) even if the process dies right after the commit. It names the
reference only: the personal details stay in the database for staff to look up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from storage import repositories as repo
from storage.models import ContactRequest


def alert_staff(
    *,
    session: Session,
    contact: ContactRequest,
    staff: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    text = (
        f"新的联系请求 New contact request {contact.reference} "
        f"({contact.reason}). 回复 Reply /contacts"
    )
    tell_staff(session=session, staff=staff, text=text, now=now)


def tell_staff(
    *, session: Session, staff: Sequence[tuple[str, str]], text: str, now: datetime
) -> None:
    """One outbox row per staff member, delivered (with retries) on their channel."""
    for channel, user_id in staff:
        repo.enqueue(
            session=session,
            channel=channel,
            recipient=user_id,
            kind="text",
            payload={"text": text},
            now=now,
        )
