"""What a respondent's survey step means for their contact requests (bot.dispatch.survey_step).

- `requests_gone`: the requests "delete my data" removes, or a changed answer to 14
  withdraws, read before the step's effects are applied, so their staff can be told;
- `with_open_request`: 暂不需要 at 14 while a "联系我" request is still open: the
  respondent is told it stands.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from flows.contact_form_replies import ContactStillOpen
from flows.events import AnswerRecorded, ContactWithdrawn, DataDeleted, Effect
from flows.model import Flow
from flows.replies import Recorded, Reply
from storage.contacts import unfinished_contacts_of


def requests_gone(
    session: Session, respondent_id: int, effects: Sequence[Effect]
) -> tuple[str, list[tuple[str, str | None]]] | None:
    """("erased" | "withdrawn", the requests' references and claimers) when the step
    deletes the respondent's data or withdraws their request; None otherwise."""
    if any(isinstance(e, DataDeleted) for e in effects):
        return "erased", unfinished_contacts_of(session=session, respondent_id=respondent_id)
    for effect in effects:
        if isinstance(effect, ContactWithdrawn):
            found = unfinished_contacts_of(
                session=session, respondent_id=respondent_id, reason=effect.reason
            )
            return "withdrawn", found
    return None


def with_open_request(
    session: Session,
    flow: Flow,
    respondent_id: int,
    effects: Sequence[Effect],
    replies: Sequence[Reply],
) -> list[Reply]:
    """Question 14 answered without 立即联系 while their "联系我" request is still open: said,
    right after the answer's "✓ 已记录", so "暂不需要" is not taken for "do not call"."""
    rules = flow.contact
    out = list(replies)
    if rules is None or rules.right_now is None:
        return out
    answered = [
        e
        for e in effects
        if isinstance(e, AnswerRecorded)
        and e.question_id == rules.question
        and rules.right_now not in e.options
    ]
    if not answered:
        return out
    found = unfinished_contacts_of(
        session=session, respondent_id=respondent_id, reason="contact_me"
    )
    if not found:
        return out
    at = next(
        (
            i + 1
            for i, r in enumerate(out)
            if isinstance(r, Recorded) and r.question.id == rules.question
        ),
        0,
    )
    out.insert(at, ContactStillOpen(found[0][0]))
    return out
