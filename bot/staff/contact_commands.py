"""/contacts, /claim and /done: the follow-up requests, oldest first, and their life cycle.

Staff see the personal details here (they must call back); the new-request alert and
the reminders name the reference only (bot.staff_alerts, bot.staff.renotify).
"""

from __future__ import annotations

from bot.staff import reports as fmt
from bot.staff.call import Call, Result, Say
from bot.staff.commands import split_reference
from flows.events import Reply
from flows.model import Flow
from storage import repositories as repo
from storage.models import ContactStatus

CONTACTS_SHOWN = 20


def list_open(call: Call, flow: Flow, say: Say) -> Result:
    found = repo.open_contacts(session=call.session, limit=CONTACTS_SHOWN + 1)
    shown = found[:CONTACTS_SHOWN]
    reply = fmt.contacts_reply(flow, shown, more=len(found) > CONTACTS_SHOWN)
    refs = [c.reference for c in shown]
    return Result(say(reply), "contacts_viewed", {"shown": refs}, personal=bool(shown))


def move(call: Call, flow: Flow, say: Say, *, done: bool) -> Result:
    """Claim (open → claimed) or close (→ done, with an optional note) one request."""
    action = "contact_done" if done else "contact_claimed"
    ref, note = split_reference(call.request.argument)
    error: dict[str, object] = {
        "command": call.request.command.value,
        "reference": ref,
        "claimed_by": None,
    }
    if not ref:
        reply = Reply("staff_contact_error", {**error, "reason": "usage"})
        return Result(say(reply), f"{action}_failed", {"reason": "usage"})
    try:
        if done:
            contact = repo.finish_contact(
                session=call.session, ref=ref, by=call.actor, note=note, now=call.now
            )
        else:
            contact = repo.claim_contact(session=call.session, ref=ref, by=call.actor, now=call.now)
    except repo.ContactNotFound:
        reply = Reply("staff_contact_error", {**error, "reason": "not_found"})
        return Result(say(reply), f"{action}_failed", {"reason": "not_found"})
    except repo.ContactStateError as exc:
        reason = "done" if exc.contact.status == ContactStatus.DONE.value else "claimed"
        state = {"reference": exc.contact.reference, "claimed_by": exc.contact.claimed_by}
        reply = Reply("staff_contact_error", {**error, **state, "reason": reason})
        return Result(say(reply), f"{action}_failed", {"reason": exc.reason})
    params = {
        "action": "done" if done else "claimed",
        "reference": contact.reference,
        "note": note,
        "details": [] if done else fmt.contact_lines(flow, contact),
    }
    # Claimed: the details; done: the staff note, which may name the person too.
    return Result(say(Reply("staff_contact_updated", params)), action, personal=True)
