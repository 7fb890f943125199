"""The dashboard's contact buttons: claim, give back, close and a note, by POST.

Each form carries a CSRF token bound to the session cookie (signed with the site key,
so it cannot be made without the cookie's value), and a POST whose Origin names another
site is refused: the SameSite=Strict cookie alone would already keep other sites out,
this makes the rule explicit. The change and the notice to the other staff are written
in one transaction, as the chat commands do (`bot.staff.contact_commands`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session

from bot.dispatch.render import Renderer
from bot.dispatch.staff_alerts import tell_staff
from bot.settings import StaffMember
from bot.staff.names import StaffNames
from bot.staff.signing import InvalidLink, Signer
from flows.model import Flow, Lang
from flows.staff_replies import StaffContactNotice
from storage.contact_moves import claim_contact, finish_contact, set_contact_note, unclaim_contact
from storage.contacts import ContactNotFound, ContactStateError
from storage.models import ContactStatus

CSRF_PURPOSE = "csrf"
CSRF_TTL_S = 12 * 3600
FORM_LIMIT = 8192  # bytes of a posted form: a note of a few hundred characters
NOTE_LIMIT = 1000  # characters


class Action(StrEnum):
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    DONE = "done"
    NOTE = "note"


class BadForm(ValueError):
    """A form too big, without a valid CSRF token, or naming no action."""


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()[:32]


def csrf_token(signer: Signer, cookie: str) -> str:
    return signer.sign(CSRF_PURPOSE, _digest(cookie))


def check_csrf(signer: Signer, cookie: str, token: str | None) -> None:
    if not token:
        raise BadForm("missing CSRF token")
    try:
        subject = signer.verify(CSRF_PURPOSE, token, max_age=CSRF_TTL_S)
    except InvalidLink as exc:
        raise BadForm(f"CSRF token: {exc}") from None
    if subject != _digest(cookie):
        raise BadForm("CSRF token of another session")


def check_origin(origin: str | None, host: str | None) -> None:
    """A browser's POST names where its page came from: ours, or none at all ("null":
    our pages send `Referrer-Policy: no-referrer`, so Chromium hides their origin)."""
    if origin and origin != "null" and urlsplit(origin).netloc != (host or ""):
        raise BadForm("cross-site POST")


def parse_form(body: bytes) -> dict[str, str]:
    if len(body) > FORM_LIMIT:
        raise BadForm("form too big")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("unreadable form") from exc
    return {key: values[-1] for key, values in fields.items()}


def apply_action(
    *,
    session: Session,
    reference: str,
    action: Action,
    note: str | None,
    member: StaffMember,
    names: StaffNames,
    flow: Flow,
    renderer: Renderer,
    now: datetime,
) -> str:
    """Carry out one button; returns the outcome ("claimed", …, or why not)."""
    actor = str(member)
    try:
        match action:
            case Action.CLAIM:
                contact = claim_contact(session=session, ref=reference, by=actor, now=now)
            case Action.UNCLAIM:
                contact = unclaim_contact(session=session, ref=reference, by=actor)
            case Action.DONE:
                contact = finish_contact(
                    session=session, ref=reference, by=actor, note=note, now=now
                )
            case Action.NOTE:
                set_contact_note(session=session, ref=reference, note=note)
                return "noted"
    except ContactNotFound:
        return "not_found"
    except ContactStateError as exc:
        return "done_already" if exc.contact.status == ContactStatus.DONE.value else "refused"
    moved = {Action.CLAIM: "claimed", Action.UNCLAIM: "unclaimed", Action.DONE: "done"}[action]
    notice = StaffContactNotice(
        action=moved,
        reference=contact.reference,
        actor=names.name(actor),
        to_you=False,
        assignee=None,
        details=[],
    )
    text = renderer.render(notice, Lang.BOTH).strip()
    others: Sequence[tuple[str, str]] = [(m.channel.value, m.user_id) for m in names.others(actor)]
    tell_staff(session=session, staff=others, text=text, now=now)
    return moved
