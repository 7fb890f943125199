"""Retention: what is kept only for a while (dedupe rows, sent payloads, handled contacts).

Every statement here is idempotent and works in bounded batches, so any number of
workers on any number of hosts may run the retention job at once: a second DELETE or
UPDATE of the same rows finds nothing left to do (PostgreSQL makes it wait for the first
one's row locks, then skip the rows), and a handled contact is re-checked under its row
lock before its details are forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select, update
from sqlmodel import Session

from storage.models import (
    CLEARED,
    ContactRequest,
    ContactStatus,
    Outbox,
    ProcessedMessage,
    Respondent,
)
from storage.transactions import connection_of

_PROCESSED: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_CONTACT: Table = ContactRequest.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]

# Rows one statement touches: a round stays well inside the 4 s statement timeout.
BATCH = 2000


def prune_processed(*, session: Session, before: datetime, limit: int = BATCH) -> int:
    """Delete up to `limit` dedupe rows made before `before`; how many went."""
    oldest = (
        select(_PROCESSED.c.id)
        .where(_PROCESSED.c.created_at < bindparam("before"))
        .order_by(_PROCESSED.c.id)
        .limit(limit)
    )
    result = connection_of(session).execute(
        delete(_PROCESSED).where(_PROCESSED.c.id.in_(oldest.scalar_subquery())),
        {"before": before},
    )
    return int(result.rowcount or 0)


def clear_sent_payloads(*, session: Session, before: datetime, limit: int = BATCH) -> int:
    """Clear the payloads of up to `limit` rows sent before `before` (the row stays)."""
    sent = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.sent_at.is_not(None),
            _OUTBOX.c.payload_json != CLEARED,
            _OUTBOX.c.sent_at < bindparam("before"),
        )
        .order_by(_OUTBOX.c.sent_at)
        .limit(limit)
    )
    result = connection_of(session).execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(sent.scalar_subquery()), _OUTBOX.c.payload_json != CLEARED)
        .values(payload_json=CLEARED),
        {"before": before},
    )
    return int(result.rowcount or 0)


def handled_contacts_due(
    *, session: Session, before: datetime, limit: int = BATCH
) -> list[tuple[int, int]]:
    """(contact id, respondent id) of requests done before `before` that still hold details."""
    rows = connection_of(session).execute(
        select(_CONTACT.c.id, _CONTACT.c.respondent_id)
        .where(
            _CONTACT.c.status == ContactStatus.DONE.value,
            _CONTACT.c.done_at < before,
            _CONTACT.c.details_json != CLEARED,
        )
        .order_by(_CONTACT.c.id)
        .limit(limit)
    )
    return [(int(c), int(r)) for c, r in rows]


def lock_respondent_by_id(*, session: Session, respondent_id: int) -> bool:
    """Take the respondent's row lock (as the dispatcher does); False if it is gone."""
    found = connection_of(session).execute(
        select(_RESPONDENT.c.id).where(_RESPONDENT.c.id == respondent_id).with_for_update()
    )
    return found.first() is not None


def forget_contact_details(*, session: Session, contact_id: int, before: datetime) -> bool:
    """Clear one handled request's details and note, if it is still due (re-checked under
    its row lock); its reference, status and dates stay for the counts."""
    result = connection_of(session).execute(
        update(_CONTACT)
        .where(
            _CONTACT.c.id == contact_id,
            _CONTACT.c.status == ContactStatus.DONE.value,
            _CONTACT.c.done_at < before,
            _CONTACT.c.details_json != CLEARED,
        )
        .values(details_json=CLEARED, note=None)
    )
    return bool(result.rowcount)


def has_unhandled_contact(*, session: Session, respondent_id: int) -> bool:
    """Whether the respondent has a request staff have not closed yet."""
    found = connection_of(session).execute(
        select(_CONTACT.c.id)
        .where(
            _CONTACT.c.respondent_id == respondent_id,
            _CONTACT.c.status != ContactStatus.DONE.value,
        )
        .limit(1)
    )
    return found.first() is not None


def handled_respondents(*, session: Session, respondent_ids: Sequence[int]) -> set[int]:
    """Those of `respondent_ids` whose contact requests are all done (at least one)."""
    if not respondent_ids:
        return set()
    rows = connection_of(session).execute(
        select(_CONTACT.c.respondent_id, _CONTACT.c.status).where(
            _CONTACT.c.respondent_id.in_(list(respondent_ids))
        )
    )
    done: set[int] = set()
    open_: set[int] = set()
    for respondent_id, status in rows:
        (done if status == ContactStatus.DONE.value else open_).add(int(respondent_id))
    return done - open_
