"""/contacts, /claim, /unclaim, /assign and /done: the follow-up requests' life cycle.

Staff see the personal details here (they must call back), and in the new-request alert
(`bot.dispatch.staff_alerts`); both go to staff only. Staff appear by display name
(`bot.staff.names`), reasons and states in words, times in China time with their zone.
When one staff member claims, gives back, assigns or closes a request, the others are
told through the outbox, so two people do not call the same person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bot.dispatch.staff_alerts import tell_staff
from bot.reports import staff_replies as fmt
from bot.reports.labels import reason_text, status_text
from bot.reports.local_time import as_of
from bot.staff.call import Call, Result, Say
from bot.staff.commands import StaffCommand, split_reference
from bot.staff.names import StaffNames
from flows.model import Flow
from flows.parse_results import normalize
from flows.replies import Reply
from flows.staff_replies import (
    StaffContactError,
    StaffContactNotice,
    StaffContacts,
    StaffContactUpdated,
)
from storage.contact_moves import assign_contact, claim_contact, finish_contact, unclaim_contact
from storage.contacts import (
    ContactNotFound,
    ContactStateError,
    ContactView,
    list_contacts,
    reference_for,
)
from storage.models import ContactRequest, ContactStatus

CONTACTS_SHOWN = 20
_NUMBER = re.compile(r"(?:C-?)?\d{1,12}", re.IGNORECASE)  # "2", "C-000002"
Line = Callable[[Reply], str]
VIEWS = {
    "": ContactView.CURRENT,
    "open": ContactView.OPEN,
    "未认领": ContactView.OPEN,
    "待处理": ContactView.OPEN,
    "mine": ContactView.MINE,
    "我的": ContactView.MINE,
    "all": ContactView.ALL,
    "全部": ContactView.ALL,
}


def contact_item(flow: Flow, contact: ContactRequest, names: StaffNames) -> dict[str, object]:
    return {
        "reference": contact.reference,
        "created": as_of(contact.created_at),
        "status": status_text(contact.status),
        "claimed_by": names.name(contact.claimed_by) if contact.claimed_by else None,
        "reason": reason_text(contact.reason),
        "details": fmt.contact_lines(flow, contact),
        "note": contact.note,
    }


def list_requests(call: Call, flow: Flow, say: Say, names: StaffNames) -> Result:
    asked = normalize(call.request.argument).casefold()
    view = VIEWS.get(asked)
    if view is None:  # said, not answered with another list
        unknown = StaffContactError(
            command="contacts", reference=None, claimed_by=None, reason="unknown_view", view=asked
        )
        return Result(say(unknown), "contacts_viewed_failed", {"reason": "unknown_view"})
    found = list_contacts(
        session=call.session, view=view, actor=call.actor, limit=CONTACTS_SHOWN + 1
    )
    shown = found[:CONTACTS_SHOWN]
    listed = StaffContacts(
        view=view.value,
        contacts=[contact_item(flow, c, names) for c in shown],
        more=len(found) > CONTACTS_SHOWN,
    )
    detail: dict[str, object] = {"view": view.value, "shown": [c.reference for c in shown]}
    # Shows people's details: the copy kept for a retry says so instead (bot.dispatch.service).
    return Result(say(listed), "contacts_viewed", detail, personal=bool(shown))


def move(call: Call, flow: Flow, say: Say, names: StaffNames, line: Line) -> Result:
    """Claim, give back, assign or close one request; the other staff are told."""
    command = call.request.command
    action = {
        StaffCommand.CLAIM: "claimed",
        StaffCommand.UNCLAIM: "unclaimed",
        StaffCommand.ASSIGN: "assigned",
        StaffCommand.DONE: "done",
    }[command]
    audit = f"contact_{action}"
    ref, rest = split_reference(call.request.argument)
    error = StaffContactError(command=command.value, reference=ref, claimed_by=None, reason="usage")
    if not ref:
        return Result(say(error), f"{audit}_failed", {"reason": "usage"})
    if command is StaffCommand.ASSIGN and not rest:  # the request named, not the person
        listed = [names.name(str(m)) for m in names.members]
        nobody = replace(error, reason="assign_to_whom", staff_names=listed)
        return Result(say(nobody), f"{audit}_failed", {"reason": "usage"})
    assignee = None
    if command is StaffCommand.ASSIGN:
        assert rest is not None
        assignee = names.find(rest)
        if assignee is None:
            listed = [names.name(str(m)) for m in names.members]
            unknown = replace(error, reason="unknown_staff", staff=rest, staff_names=listed)
            return Result(say(unknown), f"{audit}_failed")
    session, actor, now = call.session, call.actor, call.now
    previous: str | None = None  # /assign: who had claimed it
    try:
        match command:
            case StaffCommand.CLAIM:
                contact = claim_contact(session=session, ref=ref, by=actor, now=now)
            case StaffCommand.UNCLAIM:
                contact = unclaim_contact(session=session, ref=ref, by=actor)
            case StaffCommand.ASSIGN:
                contact, previous = assign_contact(
                    session=session, ref=ref, to=str(assignee), now=now
                )
            case _:
                contact = finish_contact(
                    session=session, ref=ref, by=actor, note=rest, now=now, add_note=True
                )
    except ContactNotFound:
        number = ref.upper().removeprefix("C").removeprefix("-")
        shown = reference_for(int(number)) if _NUMBER.fullmatch(ref) else ref
        missing = replace(error, reference=shown, reason="not_found")
        return Result(say(missing), f"{audit}_failed", {"reason": "not_found"})
    except ContactStateError as exc:
        if exc.contact.status == ContactStatus.DONE.value:
            reason = "done"
        elif exc.contact.status == ContactStatus.OPEN.value:
            reason = "not_claimed"
        else:
            reason = "claimed"
        claimer = names.name(exc.contact.claimed_by) if exc.contact.claimed_by else None
        refused = replace(error, reference=exc.contact.reference, claimed_by=claimer, reason=reason)
        return Result(say(refused), f"{audit}_failed", {"reason": exc.reason})
    details = fmt.contact_lines(flow, contact)
    updated = StaffContactUpdated(
        action=action,
        reference=contact.reference,
        note=rest if command is StaffCommand.DONE else None,
        assignee=names.name(str(assignee)) if assignee else None,
        details=details if command in (StaffCommand.CLAIM, StaffCommand.ASSIGN) else [],
    )
    taken_from = previous if previous not in (None, actor, str(assignee)) else None
    _tell_others(
        call,
        names,
        line,
        updated,
        assignee=str(assignee) if assignee else None,
        taken_from=taken_from,
    )
    detail: dict[str, object] = {"reference": contact.reference}
    if assignee is not None:
        detail["to"] = str(assignee)
    # Claimed: the details; done: the staff note, which may name the person too.
    return Result(say(updated), audit, detail, personal=True)


def _tell_others(
    call: Call,
    names: StaffNames,
    line: Line,
    updated: StaffContactUpdated,
    *,
    assignee: str | None,
    taken_from: str | None = None,
) -> None:
    """Every other staff member hears of the move; an assignee also gets the details, and
    whoever had claimed a request assigned to someone else hears it was theirs."""
    for member in names.others(call.actor):
        to_you = str(member) == assignee
        notice = StaffContactNotice(
            action=updated.action,
            reference=updated.reference,
            actor=names.name(call.actor),
            to_you=to_you,
            assignee=updated.assignee,
            details=updated.details if to_you else [],
            was_yours=str(member) == taken_from,
        )
        text = line(notice)
        tell_staff(
            session=call.session,
            staff=[(member.channel.value, member.user_id)],
            text=text,
            now=call.now,
        )
