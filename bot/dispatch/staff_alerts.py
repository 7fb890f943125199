"""Tell every staff member about a new contact request, through the outbox; and tell
the staff who would follow up a request that the respondent deleted it with their data.

The notification is enqueued in the same transaction as the request, so it is
delivered (with retries) even if the process dies right after the commit. It carries
what staff need to call back (name, company, phone or e-mail, why, the question that
triggered it) and goes to the staff listed in SURVEYBOT_STAFF only; the outbox keeps
its text, never the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.dispatch.render import Renderer
from bot.reports.labels import reason_text
from bot.reports.local_time import as_of
from bot.reports.staff_replies import contact_lines, number
from flows.model import Flow, Lang
from flows.staff_replies import StaffContactAlert, StaffContactNotice
from storage.models import ContactRequest
from storage.outbox import enqueue


def alert_staff(
    *,
    session: Session,
    contact: ContactRequest,
    staff: Sequence[tuple[str, str]],
    now: datetime,
    flow: Flow,
    renderer: Renderer,
) -> None:
    if not staff:
        return
    rules = flow.contact
    trigger = None
    if contact.reason == "survey" and rules is not None and flow.has_question(rules.question):
        trigger = flow.question(rules.question)
    alert = StaffContactAlert(
        reference=contact.reference,
        reason=reason_text(contact.reason),
        created=as_of(contact.created_at),
        details=contact_lines(flow, contact),
        question=trigger,
        number=number(flow, trigger) if trigger else None,
    )
    text = renderer.render(alert, Lang.BOTH).strip()
    tell_staff(session=session, staff=staff, text=text, now=now)


def tell_gone(
    *,
    session: Session,
    action: str,
    requests: Sequence[tuple[str, str | None]],
    staff: Sequence[tuple[str, str]],
    now: datetime,
    renderer: Renderer,
) -> None:
    """Requests nobody should follow up any more, not yet closed by staff: deleted with
    their respondent's data ("erased", "删除我的数据") or withdrawn by a changed answer
    ("withdrawn"). A claimed one is told to its claimer (to every staff member if they are
    no longer staff), an open one to every staff member, as its alert was. No details:
    the notice must not bring back what was deleted."""
    for reference, claimed_by in requests:
        claimer = [(c, u) for c, u in staff if f"{c}:{u}" == claimed_by]
        notice = StaffContactNotice(
            action=action, reference=reference, actor="", to_you=False, assignee=None, details=[]
        )
        text = renderer.render(notice, Lang.BOTH).strip()
        tell_staff(session=session, staff=claimer or staff, text=text, now=now)


def tell_staff(
    *, session: Session, staff: Sequence[tuple[str, str]], text: str, now: datetime
) -> None:
    """One outbox row per staff member, delivered (with retries) on their channel."""
    for channel, user_id in staff:
        enqueue(
            session=session,
            channel=channel,
            recipient=user_id,
            kind="text",
            payload={"text": text},
            now=now,
        )
