"""Which earlier answer a question is asked with, to keep with one tap (flows.prefill).

- `Source.EARLIER_ROUND`: the earlier round's answer to this question
  (`SessionState.previous`, flows.rounds).
- `Source.CONTACT_DETAILS`: for the organisation step's company question (`organisation:
  question`), the company name this conversation's contact details hold: the detail
  question of the same `field:` (`contact: details`), answered in the survey's contact form
  or given through "联系我" (`SessionState.given`). Offered only if it is a valid answer to
  the company question too (its own `max_length`).

Nothing is offered once the question is answered, or after the respondent chose to
change it (`SessionState.revising`). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.answer_parsing import Invalid, parse_answer
from flows.model import Flow, Question
from flows.state import Answer, SessionState

__all__ = ["Offer", "Source", "offered"]


class Source(StrEnum):
    EARLIER_ROUND = "earlier_round"
    CONTACT_DETAILS = "contact_details"


@dataclass(frozen=True)
class Offer:
    answer: Answer
    source: Source


def offered(flow: Flow, state: SessionState, question: Question) -> Offer | None:
    """The earlier answer to show with `question`, if it is still open to keep."""
    if question.id in state.answers or state.revising == question.id:
        return None
    earlier = state.previous.get(question.id)
    if earlier is not None:
        return Offer(earlier, Source.EARLIER_ROUND)
    given = _from_contact_details(flow, state, question)
    return Offer(given, Source.CONTACT_DETAILS) if given is not None else None


def _from_contact_details(flow: Flow, state: SessionState, question: Question) -> Answer | None:
    organisation, contact = flow.organisation, flow.contact
    if organisation is None or contact is None or question.id != organisation.question:
        return None
    for detail_id in contact.detail_questions:
        detail = flow.question(detail_id)
        if detail.field is None or detail.field != question.field:
            continue
        answered = state.answers.get(detail_id)
        text = answered.text if answered is not None else state.given.get(detail_id)
        if not text:
            continue
        parsed = parse_answer(question, text)
        if not isinstance(parsed, Invalid) and parsed.text:
            return Answer(text=parsed.text)
    return None
