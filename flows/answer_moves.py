"""Recording answers and moving between questions: next, back, skip, change, finish."""

from __future__ import annotations

from collections.abc import Mapping

from flows import numbering, organisation_step
from flows.command_replies import BackAtStart, CannotSkip, ChangeUnknown, NotNow
from flows.completion_replies import Completed
from flows.contact_form_replies import ContactCreated, ContactWithdrawnNotice
from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    ContactWithdrawn,
    SubscriptionChanged,
    SurveyCompleted,
)
from flows.model import YES, Flow, Lang, Question, SnapshotMode
from flows.navigation import (
    Answers,
    contact_form,
    form_complete,
    form_details,
    irrelevant_answered,
    is_empty,
    is_relevant,
    is_required,
    next_unanswered,
    notes_before,
    required_instead,
)
from flows.replies import AnswersDropped, AnswerUpdated, LanguageSet, Note, Recorded
from flows.rounds import carried
from flows.sprint import Sprint, answer_items, prompt
from flows.state import Answer, Pending, SessionState, Status


def new_state(flow: Flow, previous: Mapping[str, Answer] | None = None) -> SessionState:
    """A session not yet begun; `previous`: the earlier round's answers to offer."""
    return SessionState(flow_id=flow.id, flow_version=flow.version, previous=previous or {})


def record(sprint: Sprint, question: Question, answer: Answer, *, tell: bool = True) -> bool:
    """Store an answer (an empty one = skipped), then drop answers that no longer apply.

    True when it completed the contact form: a contact request is made, and "your contact
    request has been created" said here, or by the caller with `tell=False` (after its
    "✓ Recorded" line, so that the two read in the order they happened)."""
    flow = sprint.flow
    before = dict(sprint.state.answers)
    answers = {**before, question.id: answer}
    previous = before.get(question.id)
    earlier = sprint.state.previous.get(question.id)
    mark = carried(earlier, answer).value if earlier is not None else None
    if not is_empty(answer):
        sprint.emit(AnswerRecorded(question.id, answer.options, answer.text, answer.original, mark))
    elif previous is not None and not is_empty(previous):
        sprint.emit(AnswerCleared(question.id))
    for qid in irrelevant_answered(flow, answers):
        if not is_empty(answers.pop(qid)):
            sprint.emit(AnswerCleared(qid))
    rules = flow.contact
    if rules is not None and rules.updates is not None:
        was = rules.updates in before.get(rules.question, Answer()).options
        now = rules.updates in answers.get(rules.question, Answer()).options
        if was != now:
            sprint.emit(SubscriptionChanged(now))
    created = not form_complete(flow, before) and form_complete(flow, answers)
    if created:
        sprint.emit(ContactRequested("survey", form_details(flow, answers)))
        if tell:
            sprint.say(ContactCreated())
    if withdrawn(flow, before, answers):
        sprint.emit(ContactWithdrawn("survey"))
        if tell:
            sprint.say(ContactWithdrawnNotice())
    organisation = organisation_step.change(flow, before, answers)
    if organisation is not None:
        sprint.emit(organisation)
    sprint.update(answers=answers, retries=0, revising=None)
    return created


def dropped(flow: Flow, before: Answers, after: Answers, changed: str) -> tuple[str, ...]:
    """The numbers of the other questions whose answers an answer to `changed` removed
    (they no longer apply: "供应商" changed to "主机厂" drops 2 and 8), in survey order.
    Unnumbered questions (the contact form, the organisation step) have their own words."""
    gone = {q for q, a in before.items() if q != changed and q not in after and not is_empty(a)}
    labels = (numbering.label(flow, q.id) for q in flow.questions if q.id in gone)
    return tuple(label for label in labels if label is not None)


def withdrawn(flow: Flow, before: Answers, after: Answers) -> bool:
    """The contact form was complete (a request made) and the contact question no longer
    asks for it: 立即联系 changed to something else."""
    rules = flow.contact
    if rules is None or rules.right_now is None or not form_complete(flow, before):
        return False
    return rules.right_now not in after.get(rules.question, Answer()).options


def advance(sprint: Sprint) -> None:
    state = sprint.state
    history = state.history
    if state.current is not None and (not history or history[-1] != state.current):
        history = (*history, state.current)
    following = next_unanswered(sprint.flow, state.answers)
    if following is None:
        sprint.update(history=history, current=None)
        finish(sprint)
        return
    show_notes(sprint, following.id)
    sprint.update(history=history, current=following.id, status=Status.ACTIVE)
    form = contact_form(sprint.flow)
    if sprint.state.given and form and following.id == form[0].id:
        sprint.update(pending=Pending.REUSE)  # "用这些联系方式吗？"
    prompt(sprint)


def reuse_details(sprint: Sprint) -> None:
    """Yes to "use these details?": consent and the details given before, as answers."""
    state = sprint.state
    form = contact_form(sprint.flow)
    record(sprint, form[0], Answer(options=(YES,)))
    for question in form[1:]:
        value = state.given.get(question.id)
        record(sprint, question, Answer(text=value or None))
    advance(sprint)


def show_notes(sprint: Sprint, question_id: str | None) -> None:
    """Display the notes on the way to `question_id` (None: the end); they take no answer."""
    for note in notes_before(sprint.flow, question_id, sprint.state.answers):
        sprint.say(Note(note.text))


def finish(sprint: Sprint) -> None:
    state = sprint.state
    flow = sprint.flow
    if state.completed_at is not None:
        sprint.update(status=Status.COMPLETED, editing=False, current=None)
        sprint.say(AnswerUpdated())
        return
    show_notes(sprint, None)
    completed_at = sprint.now.isoformat()
    sprint.update(status=Status.COMPLETED, editing=False, current=None, completed_at=completed_at)
    sprint.emit(SurveyCompleted(flow.id, flow.version))
    # One message (issue 17 §6): the closing words, a receipt of the numbered answers
    # (the contact form's personal details are left out), the summary when the flow shows
    # figures (the dispatcher fills them in), and one next step: the in-chat follow-up,
    # or the flow's own follow-up text (a web link) only when there is none.
    sprint.say(
        Completed(
            closing=flow.closing,
            items=[item for item in answer_items(sprint) if item["number"] is not None],
            summary=flow.snapshots is not SnapshotMode.OFF,
            offer_next=flow.next is not None,
            followup=flow.followup if flow.next is None else None,
        )
    )


def back(sprint: Sprint) -> None:
    history = sprint.state.history
    # Questions that stopped applying since (a changed branch) are not gone back to.
    while history and not _still_asked(sprint, history[-1]):
        history = history[:-1]
    if not history:
        sprint.say(BackAtStart())
        prompt(sprint)
        return
    sprint.update(current=history[-1], history=history[:-1], retries=0)
    prompt(sprint)


def _still_asked(sprint: Sprint, question_id: str) -> bool:
    return sprint.flow.has_question(question_id) and is_relevant(
        sprint.flow, question_id, sprint.state.answers
    )


def skip(sprint: Sprint) -> None:
    state = sprint.state
    assert state.current is not None
    question = sprint.flow.question(state.current)
    if is_required(question, state.answers):
        flow = sprint.flow
        opened = any(not flow.question(c.question).required for c in question.when)
        sprint.say(CannotSkip(opened_by_yes=opened, instead=required_instead(flow, question)))
        prompt(sprint)
        return
    before = dict(state.answers)
    cleared = question.id in before and not is_empty(before[question.id])
    created = record(sprint, question, Answer(), tell=False)
    sprint.say(Recorded(question, Answer(), cleared=cleared))  # "✓ 已跳过", first
    gone = dropped(sprint.flow, before, sprint.state.answers, question.id)
    if gone:
        sprint.say(AnswersDropped(gone))
    if created:  # the contact form's last detail skipped: the request is made
        sprint.say(ContactCreated())
    if withdrawn(sprint.flow, before, sprint.state.answers):
        sprint.say(ContactWithdrawnNotice())
    advance(sprint)


def change(sprint: Sprint, number: str) -> None:
    state = sprint.state
    if state.status not in (Status.ACTIVE, Status.COMPLETED):
        sprint.say(NotNow())
        prompt(sprint)
        return
    target = numbering.find(sprint.flow, number)
    if target is None or not is_relevant(sprint.flow, target.id, state.answers):
        sprint.say(ChangeUnknown(number, not_asked=target is not None))
        prompt(sprint)
        return
    history = state.history
    if state.current is not None and state.current != target.id:
        history = (*history, state.current)
    sprint.update(
        status=Status.ACTIVE,
        editing=state.status is Status.COMPLETED or state.editing,
        current=target.id,
        history=history,
        retries=0,
    )
    prompt(sprint)


def start_questions(sprint: Sprint, lang: Lang, *, announce: bool = True) -> None:
    """Leave the language question for the first question that applies (or the end)."""
    first = next_unanswered(sprint.flow, sprint.state.answers)
    sprint.update(lang=lang)
    if first is None:
        finish(sprint)
        return
    sprint.update(status=Status.ACTIVE, current=first.id, retries=0)
    if announce:
        sprint.say(LanguageSet(lang.value))
    show_notes(sprint, first.id)
    prompt(sprint)
