"""When the organisation step is done: the `OrganisationGiven` fact for storage.

The step (`organisation:` in the flow file) is done when the company name is answered
and the code and plant questions that apply are answered or skipped. A later change of
any of them says so again; saying no to the opening question, once the step was done,
withdraws it (`OrganisationGiven(name=None)`): storage then drops the link.
"""

from __future__ import annotations

import re

from flows.answer_parsing import Invalid, parse_answer
from flows.events import OrganisationGiven
from flows.model import Flow, Question
from flows.navigation import Answers, is_relevant
from flows.organisation import ends_in_legal_form
from flows.parse_results import normalize
from flows.state import Answer
from flows.yes_no import explanation, yes_no_leading

# Words before a name given after the yes: "it's …", "公司名称是…" (not a bare 是:
# 是德科技 is a company's name).
_LEAD_IN = re.compile(
    r"^(?:it'?s|it is|we are|we're|the company is|company(?: name)?(?: is)?:?|"
    r"公司(?:名称|全称)?(?:是|叫|为)?[:：]?|我们是|我们公司是|叫)\s*",
    re.IGNORECASE,
)


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


def name_instead(flow: Flow, question: Question, text: str) -> tuple[Question, Answer] | None:
    """A company name typed at the step's opening yes/no question ("是否告诉我们贵公司名称？
    上海某某汽车零部件有限公司", or "Yes, it's Bosch … Co., Ltd."): (the company question,
    its answer), a yes understood.

    Only a text that ends in a legal form (flows.organisation.ends_in_legal_form) and is a
    valid company answer: "公司不同意" or a question back is not taken for a name."""
    rules = flow.organisation
    if rules is None or rules.ask != question.id:
        return None
    name = text
    said = explanation(text)
    if said is not None:  # a yes said first, then the name
        if yes_no_leading(normalize(text)) is not True:
            return None
        name = _LEAD_IN.sub("", said)
    if not ends_in_legal_form(name):
        return None
    company = flow.question(rules.question)
    parsed = parse_answer(company, name)
    if isinstance(parsed, Invalid) or not parsed.text:
        return None
    return company, Answer(text=parsed.text)


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
