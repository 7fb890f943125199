"""When the organisation step is done: the `OrganisationGiven` fact for storage.

The step (`organisation:` in the flow file) is done when the company name is answered
and the code and plant questions that apply are answered or skipped. A later change of
any of them says so again; saying no to the opening question, once the step was done,
withdraws it (`OrganisationGiven(name=None)`): storage then drops the link.
"""

from __future__ import annotations

from flows.events import OrganisationGiven
from flows.model import Flow
from flows.navigation import Answers, is_relevant


def given(flow: Flow, answers: Answers) -> OrganisationGiven | None:
    """What the respondent said about their organisation, or None while incomplete."""
    rules = flow.organisation
    if rules is None or not is_relevant(flow, rules.question, answers):
        return None
    name = answers.get(rules.question)
    if name is None or not name.text:
        return None
    parts = [q for q in (rules.key, rules.plant) if q and is_relevant(flow, q, answers)]
    if any(q not in answers for q in parts):
        return None
    code = answers.get(rules.key) if rules.key else None
    plant = answers.get(rules.plant) if rules.plant else None
    return OrganisationGiven(
        name=name.text,
        code=code.text if code is not None else None,
        plant=plant.text if plant is not None else None,
    )


def change(flow: Flow, before: Answers, after: Answers) -> OrganisationGiven | None:
    """The fact to emit for one recorded answer, if the organisation step moved."""
    was, now = given(flow, before), given(flow, after)
    if now is not None and now != was:
        return now
    rules = flow.organisation
    if was is not None and now is None and rules is not None:
        withdrawn = not is_relevant(flow, rules.question, after)
        return OrganisationGiven(name=None) if withdrawn else None
    return None
