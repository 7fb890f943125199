"""The sans-I/O survey engine: `step(flow, state, inbound) -> Step(state, replies, effects)`.

Like XState's pure `transition`, it never executes its effects: the dispatcher
(`bot.service`) persists them in the same transaction as the new state. No clock, no
database, no network: time arrives on `Inbound.now`. A wrong answer is a reply, never
an exception.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows import contact_form
from flows.answers import Invalid, normalize, parse_answer, parse_yes_no
from flows.commands import Command, ParsedCommand, parse_command, parse_language
from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    DataDeleted,
    Inbound,
    Intent,
    LanguageChosen,
    Step,
    SubscriptionChanged,
    SurveyCompleted,
    SurveyStarted,
)
from flows.model import Flow, Lang, Question
from flows.navigation import (
    form_complete,
    form_details,
    irrelevant_answered,
    is_empty,
    is_relevant,
    is_required,
    next_unanswered,
    number_of,
    question_by_number,
)
from flows.prompts import Sprint, answer_items, prompt
from flows.state import Answer, Pending, SessionState, Status

# After this long without a message, a returning respondent is greeted with where they are.
WELCOME_BACK_AFTER = timedelta(hours=1)
_LANG_COMMANDS = {Command.LANG_ZH: Lang.ZH, Command.LANG_EN: Lang.EN, Command.LANG_BOTH: Lang.BOTH}


def new_state(flow: Flow) -> SessionState:
    return SessionState(flow_id=flow.id, flow_version=flow.version)


def step(flow: Flow, state: SessionState | None, event: Inbound) -> Step:
    """Advance one respondent by one inbound message or event."""
    if state is None:
        state = new_state(flow)
    sprint = Sprint(flow, state, event.now)
    if state.status is Status.NEW:
        _begin(sprint, event.now)
    else:
        _dispatch(sprint, event)
    final = sprint.state.evolve(updated_at=event.now.isoformat())
    return Step(final, tuple(sprint.replies), tuple(sprint.effects))


def _begin(sprint: Sprint, now: datetime) -> None:
    flow = sprint.flow
    sprint.update(status=Status.LANGUAGE, started_at=now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    sprint.say("welcome", Lang.BOTH, title=flow.title)
    sprint.say("preface", Lang.BOTH, preface=flow.preface)
    prompt(sprint)


def _dispatch(sprint: Sprint, event: Inbound) -> None:
    if event.intent is not None:
        _on_intent(sprint, event)
        return
    text = normalize(event.text or "")
    if not text:
        prompt(sprint)
        return
    if sprint.state.pending is not None:
        _on_confirmation(sprint, text)
        return
    command = parse_command(text)
    if command is not None:
        _on_command(sprint, command)
        return
    if text.startswith("/"):
        # Staff commands are handled before the engine; anyone else learns nothing.
        sprint.say("unknown_command", Lang.BOTH)
        prompt(sprint)
        return
    status = sprint.state.status
    if status is Status.LANGUAGE:
        _on_language_choice(sprint, text)
    elif status is Status.ACTIVE:
        _on_answer(sprint, event, text)
    elif status is Status.CONTACT:
        contact_form.on_answer(sprint, text)
    else:
        sprint.say("completed_hint")


def _on_intent(sprint: Sprint, event: Inbound) -> None:
    intent = event.intent
    if intent is Intent.START:
        _welcome_back(sprint)
    elif intent is Intent.HELP:
        sprint.say("help", status=sprint.state.status.value)
        prompt(sprint)
    elif intent is Intent.MY_ANSWERS:
        _my_answers(sprint)
    elif intent is Intent.CONTACT_ME:
        _contact_me(sprint)
    elif intent is Intent.RESTART:
        _ask_confirmation(sprint, Pending.RESTART)
    else:  # Intent.UNSUPPORTED: an image, a location, a sticker …
        sprint.say("unsupported_input", Lang.BOTH)
        prompt(sprint)


def _welcome_back(sprint: Sprint) -> None:
    state = sprint.state
    if state.status is Status.ACTIVE and state.current is not None:
        number, total = number_of(sprint.flow, state.current, state.answers)
        sprint.say("welcome_back", number=number, total=total, title=sprint.flow.title)
    elif state.status is not Status.LANGUAGE:
        sprint.say("welcome_back", number=None, total=None, title=sprint.flow.title)
    prompt(sprint)


def _on_command(sprint: Sprint, parsed: ParsedCommand) -> None:
    command = parsed.command
    status = sprint.state.status
    if command in _LANG_COMMANDS:
        _set_language(sprint, _LANG_COMMANDS[command])
    elif command is Command.HELP:
        sprint.say("help", status=status.value)
        prompt(sprint)
    elif command is Command.MY_ANSWERS:
        _my_answers(sprint)
    elif command is Command.CONTACT_ME:
        _contact_me(sprint)
    elif command is Command.RESTART:
        _ask_confirmation(sprint, Pending.RESTART)
    elif command is Command.DELETE_DATA:
        _ask_confirmation(sprint, Pending.DELETE)
    elif status is Status.CONTACT:
        contact_form.on_command(sprint, command)
    elif command is Command.CHANGE:
        _change(sprint, parsed.number or 0)
    elif status is not Status.ACTIVE:
        sprint.say("not_now", Lang.BOTH)
        prompt(sprint)
    elif command is Command.BACK:
        _back(sprint)
    else:  # Command.SKIP
        _skip(sprint)


def _set_language(sprint: Sprint, lang: Lang) -> None:
    sprint.emit(LanguageChosen(lang))
    if sprint.state.status is Status.LANGUAGE:
        _start_questions(sprint, lang)
        return
    sprint.update(lang=lang)
    sprint.say("language_set", chosen=lang.value)
    prompt(sprint)


def _on_language_choice(sprint: Sprint, text: str) -> None:
    lang = parse_language(text)
    if lang is None:
        sprint.say("invalid_language", Lang.BOTH)
        prompt(sprint)
        return
    sprint.emit(LanguageChosen(lang))
    _start_questions(sprint, lang)


def _start_questions(sprint: Sprint, lang: Lang, *, announce: bool = True) -> None:
    first = next_unanswered(sprint.flow, sprint.state.answers)
    sprint.update(lang=lang)
    if first is None:
        _finish(sprint)
        return
    sprint.update(status=Status.ACTIVE, current=first.id, retries=0)
    if announce:
        sprint.say("language_set", chosen=lang.value)
    prompt(sprint)


def _on_answer(sprint: Sprint, event: Inbound, text: str) -> None:
    state = sprint.state
    assert state.current is not None
    question = sprint.flow.question(state.current)
    result = parse_answer(question, text)
    if isinstance(result, Invalid):
        sprint.update(retries=state.retries + 1)
        if _returning_after_gap(state, event.now):
            _welcome_back(sprint)
            return
        sprint.say(
            "invalid_answer",
            Lang.BOTH,
            reason=result.reason.value,
            params=dict(result.params),
            question=question,
            retries=sprint.state.retries,
        )
        prompt(sprint)
        return
    record(sprint, question, Answer(options=result.options, text=result.text))
    if question.snapshot and question.is_choice:
        sprint.say("snapshot", question=question, options=result.options)
    advance(sprint)


def _returning_after_gap(state: SessionState, now: datetime) -> bool:
    if state.updated_at is None:
        return False
    last = datetime.fromisoformat(state.updated_at)
    return now - last > WELCOME_BACK_AFTER


def record(sprint: Sprint, question: Question, answer: Answer) -> None:
    """Store an answer (an empty one = skipped), then drop answers that no longer apply."""
    flow = sprint.flow
    before = dict(sprint.state.answers)
    answers = {**before, question.id: answer}
    previous = before.get(question.id)
    if not is_empty(answer):
        sprint.emit(AnswerRecorded(question.id, answer.options, answer.text))
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
    if not form_complete(flow, before) and form_complete(flow, answers):
        sprint.emit(ContactRequested("survey", form_details(flow, answers)))
        sprint.say("contact_created")
    sprint.update(answers=answers, retries=0)


def advance(sprint: Sprint) -> None:
    state = sprint.state
    history = state.history
    if state.current is not None and (not history or history[-1] != state.current):
        history = (*history, state.current)
    following = next_unanswered(sprint.flow, state.answers)
    if following is None:
        sprint.update(history=history, current=None)
        _finish(sprint)
        return
    sprint.update(history=history, current=following.id, status=Status.ACTIVE)
    prompt(sprint)


def _finish(sprint: Sprint) -> None:
    state = sprint.state
    flow = sprint.flow
    if state.completed_at is not None:
        sprint.update(status=Status.COMPLETED, editing=False, current=None)
        sprint.say("answer_updated")
        return
    completed_at = sprint.now.isoformat()
    sprint.update(status=Status.COMPLETED, editing=False, current=None, completed_at=completed_at)
    sprint.emit(SurveyCompleted(flow.id, flow.version))
    sprint.say("completed", closing=flow.closing)
    sprint.say("completion_summary")
    if flow.followup is not None:
        sprint.say("followup", text=flow.followup)


def _back(sprint: Sprint) -> None:
    history = sprint.state.history
    # Questions that stopped applying since (a changed branch) are not gone back to.
    while history and not _still_asked(sprint, history[-1]):
        history = history[:-1]
    if not history:
        sprint.say("back_at_start")
        prompt(sprint)
        return
    sprint.update(current=history[-1], history=history[:-1], retries=0)
    prompt(sprint)


def _still_asked(sprint: Sprint, question_id: str) -> bool:
    return sprint.flow.has_question(question_id) and is_relevant(
        sprint.flow, question_id, sprint.state.answers
    )


def _skip(sprint: Sprint) -> None:
    state = sprint.state
    assert state.current is not None
    question = sprint.flow.question(state.current)
    if is_required(question, state.answers):
        sprint.say("cannot_skip", Lang.BOTH)
        prompt(sprint)
        return
    record(sprint, question, Answer())
    advance(sprint)


def _change(sprint: Sprint, number: int) -> None:
    state = sprint.state
    if state.status not in (Status.ACTIVE, Status.COMPLETED):
        sprint.say("not_now", Lang.BOTH)
        prompt(sprint)
        return
    target = question_by_number(sprint.flow, number, state.answers)
    if target is None:
        sprint.say("change_unknown", Lang.BOTH, number=number)
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


def _my_answers(sprint: Sprint) -> None:
    items = answer_items(sprint)
    sprint.say("my_answers" if items else "no_answers", items=items)
    if sprint.state.status is not Status.COMPLETED:
        prompt(sprint)


def _contact_me(sprint: Sprint) -> None:
    flow = sprint.flow
    if sprint.state.status is Status.CONTACT:
        prompt(sprint)
        return
    if form_complete(flow, sprint.state.answers):
        sprint.emit(ContactRequested("contact_me", form_details(flow, sprint.state.answers)))
        sprint.say("contact_created")
        prompt(sprint)
        return
    contact_form.enter(sprint)


def _ask_confirmation(sprint: Sprint, pending: Pending) -> None:
    sprint.update(pending=pending)
    prompt(sprint)


def _on_confirmation(sprint: Sprint, text: str) -> None:
    pending = sprint.state.pending
    decision = parse_yes_no(text)
    if decision is None:
        sprint.say("confirm_invalid", Lang.BOTH)
        prompt(sprint)
        return
    sprint.update(pending=None)
    if not decision:
        sprint.say("cancelled")
        prompt(sprint)
    elif pending is Pending.RESTART:
        _restart(sprint)
    else:
        _delete(sprint)


def _restart(sprint: Sprint) -> None:
    state = sprint.state
    flow = sprint.flow
    for qid, answer in state.answers.items():
        if not is_empty(answer):
            sprint.emit(AnswerCleared(qid))
    rules = flow.contact
    if rules is not None and rules.updates is not None:
        if rules.updates in state.answers.get(rules.question, Answer()).options:
            sprint.emit(SubscriptionChanged(False))
    sprint.state = new_state(flow).evolve(lang=state.lang, started_at=sprint.now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    sprint.say("restarted")
    _start_questions(sprint, state.lang, announce=False)


def _delete(sprint: Sprint) -> None:
    sprint.emit(DataDeleted())
    sprint.state = new_state(sprint.flow)
    sprint.say("data_deleted", Lang.BOTH)
