"""Rules for the flow file's `organisation:` step and `counting:` unit.

The step's questions exist and are of the kind their role needs (a company field, a
统一社会信用代码 field, a free-text plant, a yes/no opening question that the others
depend on); the code is optional to answer (many respondents do not have it at hand);
counting per organisation or plant needs the step, and per plant needs its plant question.
"""

from __future__ import annotations

from collections.abc import Iterator

from flows.errors import Problem
from flows.model import YES, CountingUnit, FieldKind, Flow, QuestionType


def check_organisation(flow: Flow, positions: dict[str, int]) -> Iterator[Problem]:
    rules = flow.organisation
    if rules is None:
        if flow.counting is not CountingUnit.RESPONDENT:
            yield Problem("counting", f"counting per {flow.counting} needs an organisation: step")
        return
    if flow.counting is CountingUnit.PLANT and rules.plant is None:
        yield Problem("counting", "counting per plant needs organisation.plant")
    wanted = {
        "question": (rules.question, QuestionType.FIELD, FieldKind.COMPANY),
        "key": (rules.key, QuestionType.FIELD, FieldKind.USCC),
        "plant": (rules.plant, QuestionType.FIELD, FieldKind.TEXT),
        "ask": (rules.ask, QuestionType.YES_NO, None),
    }
    for role, (qid, qtype, field) in wanted.items():
        place = f"organisation.{role}"
        if qid is None:
            continue
        if qid not in positions:
            yield Problem(place, f"unknown question {qid!r}")
            continue
        question = flow.questions[positions[qid]]
        if question.type is not qtype or question.field is not field:
            kind = f"a {qtype} question" + (f" with field: {field}" if field else "")
            yield Problem(place, f"{qid!r} must be {kind}")
        elif role == "key" and question.required:
            yield Problem(place, f"{qid!r} must be `required: false` (not everyone has the code)")
        if rules.ask is not None and role != "ask" and rules.ask in positions:
            opened = any(c.question == rules.ask and YES in c.any_of for c in question.when)
            if not opened:
                yield Problem(place, f"{qid!r} must be asked only after yes to {rules.ask!r}")
    if len(set(rules.question_ids)) != len(rules.question_ids):
        yield Problem("organisation", "each role needs its own question")
