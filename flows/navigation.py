"""Which question comes next: relevance of conditions, numbering, the contact form.

Pure functions of (flow, answers). Conditions only reference earlier questions
(`surveybot check` enforces it), so every recursion here terminates.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows.model import Flow, Question, QuestionType
from flows.state import Answer

# goflow's MaxStepsPerSprint: no single event may walk more nodes than this.
MAX_STEPS_PER_EVENT = 200

Answers = Mapping[str, Answer]


def is_relevant(
    flow: Flow, question_id: str, answers: Answers, memo: dict[str, bool] | None = None
) -> bool:
    """A question is asked when every clause holds on a relevant, answered question.

    `memo`: relevance already worked out for these same answers; a walk over many
    questions passes one, so a condition's chain is followed once, not per question."""
    when = flow.question(question_id).when
    if not when:
        return True
    if memo is not None:
        known = memo.get(question_id)
        if known is not None:
            return known
    relevant = True
    for clause in when:
        answer = answers.get(clause.question)
        if (
            answer is None
            or not is_relevant(flow, clause.question, answers, memo)
            or not any(option in clause.any_of for option in answer.options)
        ):
            relevant = False
            break
    if memo is not None:
        memo[question_id] = relevant
    return relevant


def relevant_questions(flow: Flow, answers: Answers) -> list[Question]:
    """The questions that currently apply, in flow order; notes are not questions."""
    memo: dict[str, bool] = {}
    return [q for q in flow.questions if not q.is_note and is_relevant(flow, q.id, answers, memo)]


def next_unanswered(flow: Flow, answers: Answers) -> Question | None:
    """The first relevant question without an answer (a skip counts as an answer)."""
    memo: dict[str, bool] = {}
    for steps, question in enumerate(flow.questions):
        if steps > MAX_STEPS_PER_EVENT:
            raise RuntimeError("flow walk exceeded MAX_STEPS_PER_EVENT")
        if (
            not question.is_note
            and question.id not in answers
            and is_relevant(flow, question.id, answers, memo)
        ):
            return question
    return None


def notes_before(flow: Flow, question_id: str | None, answers: Answers) -> list[Question]:
    """The relevant notes that introduce `question_id` (None: the end of the flow).

    They are the notes between it and the closest earlier question that applies, so a
    note is shown on the way to the question it stands before, whatever was skipped.
    """
    end = len(flow.questions) if question_id is None else flow.position(question_id)
    notes: list[Question] = []
    memo: dict[str, bool] = {}
    for question in reversed(flow.questions[:end]):
        relevant = is_relevant(flow, question.id, answers, memo)
        if not question.is_note:
            if relevant:
                break
        elif relevant:
            notes.append(question)
    return notes[::-1]


def irrelevant_answered(flow: Flow, answers: Answers) -> list[str]:
    """Answers whose question no longer applies (e.g. OEM after answering as a supplier)."""
    memo: dict[str, bool] = {}
    conditional = _conditional(flow)  # a question without conditions always applies
    return [
        qid for qid in answers if qid in conditional and not is_relevant(flow, qid, answers, memo)
    ]


def _conditional(flow: Flow) -> frozenset[str]:
    """The ids of the questions that have conditions (`when`)."""
    return flow.derived(
        "navigation.conditional", lambda: frozenset(q.id for q in flow.questions if q.when)
    )


def is_required(question: Question, answers: Answers) -> bool:
    if question.required_unless is not None:
        other = answers.get(question.required_unless)
        return other is None or is_empty(other)
    return question.required


def required_instead(flow: Flow, question: Question) -> Question | None:
    """The question whose answer would make `question` optional (its `required_unless`,
    e.g. the phone number for the e-mail), if the flow has it."""
    other = question.required_unless
    return flow.question(other) if other is not None and flow.has_question(other) else None


def is_empty(answer: Answer) -> bool:
    """A skipped optional question is stored as an empty answer."""
    return not answer.options and answer.text is None


def contact_form(flow: Flow) -> list[Question]:
    """The consent question and the detail questions, in flow order."""
    return list(flow.derived("navigation.contact_form", lambda: _contact_form(flow)))


def _contact_form(flow: Flow) -> tuple[Question, ...]:
    rules = flow.contact
    if rules is None:
        return ()
    details = set(rules.detail_questions)
    form = [q for q in flow.questions if q.id in details]
    consent = [
        q
        for q in flow.questions
        if q.type is QuestionType.YES_NO and any(c.question == rules.question for c in q.when)
    ]
    return (*consent[:1], *form)


def form_complete(flow: Flow, answers: Answers) -> bool:
    """Consent given and every relevant detail question answered or skipped."""
    rules = flow.contact
    if rules is None or not rules.detail_questions:
        return False
    if not any(qid in answers for qid in rules.detail_questions):
        return False  # (most messages: the form not reached)
    memo: dict[str, bool] = {}
    complete = False  # until a relevant detail question is found answered
    for qid in rules.detail_questions:
        if qid in answers:
            complete = complete or is_relevant(flow, qid, answers, memo)
        elif is_relevant(flow, qid, answers, memo):
            return False
    return complete


def form_details(flow: Flow, answers: Answers) -> dict[str, str]:
    rules = flow.contact
    if rules is None:
        return {}
    details: dict[str, str] = {}
    for qid in rules.detail_questions:
        answer = answers.get(qid)
        if answer is not None and answer.text:
            details[qid] = answer.text
    return details
