"""Follow-up contact requests: open → claimed (by a staff member) → done."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from storage.models import CLEARED, ContactRequest, ContactStatus

_REFERENCE = re.compile(r"^\s*(?:C-?)?0*(\d{1,12})\s*$", re.IGNORECASE)


class ContactNotFound(LookupError):
    """No contact request with this reference."""


class ContactStateError(ValueError):
    """The request cannot move on (done already, or claimed by someone else)."""

    def __init__(self, contact: ContactRequest, reason: str) -> None:
        super().__init__(f"{contact.reference}: {reason}")
        self.contact = contact
        self.reason = reason


def reference_for(contact_id: int) -> str:
    return f"C-{contact_id:06d}"


def create_contact(
    *,
    session: Session,
    respondent_id: int,
    reason: str,
    details: Mapping[str, str],
    now: datetime,
) -> ContactRequest:
    contact = ContactRequest(
        respondent_id=respondent_id,
        reason=reason,
        details_json=json.dumps(dict(details), ensure_ascii=False),
        status=ContactStatus.OPEN.value,
        created_at=now,
        last_notified_at=now,
    )
    session.add(contact)
    session.flush()  # the reference is derived from the id
    assert contact.id is not None
    contact.reference = reference_for(contact.id)
    session.flush()
    return contact


def request_contact(
    *,
    session: Session,
    respondent_id: int,
    reason: str,
    details: Mapping[str, str],
    now: datetime,
) -> ContactRequest | None:
    """One open request per respondent: a new one, or None when one is still open.

    Asking "联系我" mid-survey and later choosing "立即联系" is one wish, not two: the
    details given last are merged into the request staff already have. The caller holds
    the respondent's row lock (bot.dispatch.service), so two messages cannot both insert.
    """
    current = session.exec(
        select(ContactRequest)
        .where(ContactRequest.respondent_id == respondent_id)
        .where(
            col(ContactRequest.status).in_([ContactStatus.OPEN.value, ContactStatus.CLAIMED.value])
        )
        .order_by(col(ContactRequest.id))
    ).first()
    if current is None:
        return create_contact(
            session=session, respondent_id=respondent_id, reason=reason, details=details, now=now
        )
    merged = {**contact_details(current), **{k: v for k, v in details.items() if v}}
    current.details_json = json.dumps(merged, ensure_ascii=False)
    session.add(current)
    session.flush()
    return None


def contact_details(contact: ContactRequest) -> dict[str, str]:
    return {str(k): str(v) for k, v in json.loads(contact.details_json).items()}


def find_contact(*, session: Session, ref: int | str, for_update: bool = False) -> ContactRequest:
    """By id (123), or reference as staff type it ("C-000123", "c123", "000123")."""
    if isinstance(ref, int):
        contact_id = ref
    else:
        match = _REFERENCE.match(ref)
        if match is None:
            raise ContactNotFound(ref)
        contact_id = int(match.group(1))
    query = select(ContactRequest).where(ContactRequest.id == contact_id)
    if for_update:
        query = query.with_for_update()
    contact = session.exec(query.execution_options(populate_existing=True)).first()
    if contact is None:
        raise ContactNotFound(str(ref))
    return contact


def open_contacts(
    *, session: Session, include_claimed: bool = True, limit: int = 50
) -> Sequence[ContactRequest]:
    """Requests not done yet, oldest first."""
    statuses = [ContactStatus.OPEN.value]
    if include_claimed:
        statuses.append(ContactStatus.CLAIMED.value)
    return session.exec(
        select(ContactRequest)
        .where(col(ContactRequest.status).in_(statuses))
        .order_by(col(ContactRequest.created_at), col(ContactRequest.id))
        .limit(limit)
    ).all()


class ContactView(StrEnum):
    """Which requests `/contacts` lists."""

    CURRENT = "current"  # not done: unclaimed first (oldest first), then claimed
    OPEN = "open"  # unclaimed only
    MINE = "mine"  # claimed by the asking staff member, not done
    ALL = "all"  # every request, done ones too, newest first


def list_contacts(
    *, session: Session, view: ContactView, actor: str, limit: int = 50
) -> Sequence[ContactRequest]:
    query = select(ContactRequest)
    oldest_first = (col(ContactRequest.created_at), col(ContactRequest.id))
    unclaimed_first = case((col(ContactRequest.status) == ContactStatus.OPEN.value, 0), else_=1)
    match view:
        case ContactView.CURRENT:
            query = query.where(col(ContactRequest.status) != ContactStatus.DONE.value).order_by(
                unclaimed_first, *oldest_first
            )
        case ContactView.OPEN:
            query = query.where(ContactRequest.status == ContactStatus.OPEN.value).order_by(
                *oldest_first
            )
        case ContactView.MINE:
            query = query.where(
                ContactRequest.status == ContactStatus.CLAIMED.value,
                ContactRequest.claimed_by == actor,
            ).order_by(*oldest_first)
        case ContactView.ALL:
            query = query.order_by(
                col(ContactRequest.created_at).desc(), col(ContactRequest.id).desc()
            )
    return session.exec(query.limit(limit)).all()


def unclaim_contact(*, session: Session, ref: int | str, by: str) -> ContactRequest:
    """Claimed by `by` → open again (someone else's claim: `ContactStateError`)."""
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    if contact.status == ContactStatus.OPEN.value:
        raise ContactStateError(contact, "not claimed")
    if contact.claimed_by != by:
        raise ContactStateError(contact, f"claimed by {contact.claimed_by}")
    contact.status = ContactStatus.OPEN.value
    contact.claimed_by = None
    contact.claimed_at = None
    session.add(contact)
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
    contact.status = ContactStatus.CLAIMED.value
    contact.claimed_by = to
    contact.claimed_at = now
    session.add(contact)
    return contact, before


def set_contact_note(*, session: Session, ref: int | str, note: str | None) -> ContactRequest:
    contact = find_contact(session=session, ref=ref, for_update=True)
    contact.note = note
    session.add(contact)
    return contact


WITHDRAWN_NOTE = "受访者已撤回 Withdrawn by the respondent"


def _unfinished(session: Session, respondent_id: int, reason: str | None) -> list[ContactRequest]:
    query = select(ContactRequest).where(
        ContactRequest.respondent_id == respondent_id,
        ContactRequest.status != ContactStatus.DONE.value,
    )
    if reason is not None:
        query = query.where(ContactRequest.reason == reason)
    return list(session.exec(query.order_by(col(ContactRequest.id))).all())


def unfinished_contacts_of(
    *, session: Session, respondent_id: int, reason: str | None = None
) -> list[tuple[str, str | None]]:
    """(reference, claimed by) of the respondent's requests staff have not closed (of
    `reason` only, if given), oldest first: read before their data is deleted or the
    request withdrawn, to tell the staff who would follow them up."""
    rows = _unfinished(session, respondent_id, reason)
    return [(c.reference or f"#{c.id}", c.claimed_by) for c in rows]


def withdraw_contacts(*, session: Session, respondent_id: int, reason: str, now: datetime) -> None:
    """The respondent took back the answer that made their requests of `reason`: closed
    (done, with a note saying why), so nobody calls. Their contact details go at once:
    nobody is to use them any more (a handled request's wait 30 days, bot.workers.
    retention). Nobody handled it either: no staff member is named as having closed it
    (its claimer was told, bot.dispatch.staff_alerts)."""
    for contact in _unfinished(session, respondent_id, reason):
        contact.status = ContactStatus.DONE.value
        contact.done_at = now
        contact.note = _with_note(contact.note, WITHDRAWN_NOTE)
        contact.details_json = CLEARED
        contact.claimed_by = None
        session.add(contact)


def count_open_contacts(*, session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(ContactRequest)
        .where(ContactRequest.status == ContactStatus.OPEN.value)
    ).one()


def claim_contact(*, session: Session, ref: int | str, by: str, now: datetime) -> ContactRequest:
    """Open → claimed by `by` (claiming one's own claim again is a no-op)."""
    contact = find_contact(session=session, ref=ref, for_update=True)
    if contact.status == ContactStatus.DONE.value:
        raise ContactStateError(contact, "already done")
    if contact.status == ContactStatus.CLAIMED.value and contact.claimed_by != by:
        raise ContactStateError(contact, f"already claimed by {contact.claimed_by}")
    if contact.status == ContactStatus.OPEN.value:
        contact.status = ContactStatus.CLAIMED.value
        contact.claimed_by = by
        contact.claimed_at = now
        session.add(contact)
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
    contact.note = _with_note(contact.note, note) if add_note else note
    session.add(contact)
    return contact


def _with_note(saved: str | None, note: str | None) -> str | None:
    added = (note or "").strip()
    if not added or added == saved:
        return saved
    return f"{saved}\n{added}" if saved else added
