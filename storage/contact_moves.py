"""Staff's moves on a contact request: claim, give back, assign, note and close it.

Each takes the request's row lock (`find_contact(for_update=True)`), so two staff members
acting at once are serialised and the second is told who holds it (`ContactStateError`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.contacts import ContactStateError, find_contact, with_note
from storage.models import ContactRequest, ContactStatus


def unclaim_contact(*, session: Session, ref: int | str, by: str) -> ContactRequest:
    """Claimed by `by` → open again (someone else's claim: `ContactStateError`)."""
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    if contact.status == ContactStatus.OPEN.value:
        raise ContactStateError(contact, "not claimed")
    if contact.claimed_by != by:
        raise ContactStateError(contact, f"claimed by {contact.claimed_by}")
    _hold(session, contact, None, None)
    return contact


def assign_contact(
    *, session: Session, ref: int | str, to: str, now: datetime
) -> tuple[ContactRequest, str | None]:
    """Open or claimed (by anyone) → claimed by `to`: staff hand requests to each other.
    Also who had claimed it before (None: nobody), to be told it was taken over."""
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    before = contact.claimed_by if contact.status == ContactStatus.CLAIMED.value else None
    _hold(session, contact, to, now)
    return contact, before


def set_contact_note(*, session: Session, ref: int | str, note: str | None) -> ContactRequest:
    contact = find_contact(session=session, ref=ref, for_update=True)
    contact.note = note
    session.add(contact)
    return contact


def claim_contact(*, session: Session, ref: int | str, by: str, now: datetime) -> ContactRequest:
    """Open → claimed by `by` (claiming one's own claim again is a no-op)."""
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    if contact.status == ContactStatus.CLAIMED.value and contact.claimed_by != by:
        raise ContactStateError(contact, f"already claimed by {contact.claimed_by}")
    if contact.status == ContactStatus.OPEN.value:
        _hold(session, contact, by, now)
    return contact


def finish_contact(
    *,
    session: Session,
    ref: int | str,
    by: str,
    note: str | None,
    now: datetime,
    force: bool = False,
    add_note: bool = False,
) -> ContactRequest:
    """Open or claimed → done, with an optional note.

    Anyone may close an open request; one claimed by someone else only with `force`.
    `note` replaces the saved one (the dashboard sends its note box, which shows it);
    with `add_note` (chat's `/done C-… note`, which does not show it) the saved note is
    kept: closing without a note leaves it as it was, a note given is added after it.
    """
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    if contact.status == ContactStatus.CLAIMED.value and contact.claimed_by != by and not force:
        raise ContactStateError(contact, f"claimed by {contact.claimed_by}")
    contact.status = ContactStatus.DONE.value
    contact.claimed_by = contact.claimed_by or by
    contact.done_at = now
    contact.note = with_note(contact.note, note) if add_note else note
    session.add(contact)
    return contact


def _hold(session: Session, contact: ContactRequest, by: str | None, at: datetime | None) -> None:
    """Claimed by `by` since `at`, or open again (None: nobody holds it)."""
    contact.status = (ContactStatus.CLAIMED if by is not None else ContactStatus.OPEN).value
    contact.claimed_by = by
    contact.claimed_at = at
    session.add(contact)
