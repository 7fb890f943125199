"""Which earlier-round answers a respondent starting a repeated survey is offered.

`previous_for` looks the answers up through a `PrefillSources` function: given the
respondent, the respondents whose earlier-round answers apply, best first. Today that
is the respondent alone (`same_respondent`); organisation identity (issue 20 §1) plugs
in a function that adds colleagues of the same organisation or plant, and nothing else
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from flows.model import Flow
from flows.rounds import carry_over
from flows.state import Answer
from storage.rounds import earlier_answers

__all__ = ["PrefillSources", "previous_for", "same_respondent"]

PrefillSources = Callable[[Session, int], Sequence[int]]


def same_respondent(session: Session, respondent_id: int) -> Sequence[int]:
    """Only the respondent's own earlier answers."""
    return (respondent_id,)


def previous_for(
    *,
    session: Session,
    flow: Flow,
    respondent_id: int,
    sources: PrefillSources = same_respondent,
) -> dict[str, Answer]:
    """The earlier round's answers on `flow`'s questions ({} when it repeats nothing)."""
    rules = flow.previous_round
    if rules is None:
        return {}
    earlier = earlier_answers(
        session=session, flow_id=rules.survey, respondent_ids=sources(session, respondent_id)
    )
    return carry_over(flow, earlier)
