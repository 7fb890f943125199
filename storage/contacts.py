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
        contact.note = with_note(contact.note, WITHDRAWN_NOTE)
        contact.details_json = CLEARED
        contact.claimed_by = None
        session.add(contact)


def count_open_contacts(*, session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(ContactRequest)
        .where(ContactRequest.status == ContactStatus.OPEN.value)
    ).one()


def with_note(saved: str | None, note: str | None) -> str | None:
    added = (note or "").strip()
    if not added or added == saved:
        return saved
    return f"{saved}\n{added}" if saved else added
