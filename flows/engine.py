"""The sans-I/O survey engine: `step(flow, state, inbound) -> Step(state, replies, effects)`.

Like XState's pure `transition`, it never executes its effects: the dispatcher
(`bot.service`) persists them in the same transaction as the new state. No clock, no
database, no network: time arrives on `Inbound.now`. A wrong answer is a reply, never
an exception.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows import answering, contact_form
from flows.answers import Invalid, normalize, parse_answer, parse_yes_no
from flows.commands import Command, ParsedCommand, parse_command, parse_language
from flows.events import (
    AnswerCleared,
    ContactRequested,
    DataDeleted,
    Inbound,
    Intent,
    LanguageChosen,
    Step,
    SubscriptionChanged,
    SurveyStarted,
)
from flows.model import Flow, Lang, QuestionType
from flows.navigation import (
    form_complete,
    form_details,
    is_empty,
    next_unanswered,
    number_of,
)
from flows.prompts import Sprint, answer_items, prompt, refuse
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
    if event.expect is not None and _is_stale(sprint.state, event.expect):
        sprint.say("stale_button", Lang.BOTH)
        prompt(sprint)
        return
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
    if command is not None and not _is_number_answer(sprint.state, sprint.flow, text):
        _on_command(sprint, command)
        return
    if text.startswith("/"):
        # Staff commands are handled before the engine; anyone else learns nothing.
        sprint.say("unknown_command", Lang.BOTH)
        prompt(sprint)
        return
    status = sprint.state.status
    # Answers are parsed from what was typed: `text` is NFKC'd onto one line, which
    # would rewrite free text (newlines, "，", "tCO₂e"); parse_answer normalises choices.
    raw = event.text or ""
    if status is Status.LANGUAGE:
        _on_language_choice(sprint, text)
    elif status is Status.ACTIVE:
        _on_answer(sprint, event, raw)
    elif status is Status.CONTACT:
        contact_form.on_answer(sprint, raw)
    else:
        sprint.say("completed_hint")


def _is_number_answer(state: SessionState, flow: Flow, text: str) -> bool:
    """ "0" is the back command, except as the answer to an integer question."""
    if state.status is not Status.ACTIVE or state.current is None:
        return False
    question = flow.question(state.current)
    return question.type is QuestionType.INTEGER and text.strip().isdigit()


def _is_stale(state: SessionState, expect: str) -> bool:
    """A button names what it answers: a question id, or "pending:<what>" for a confirm."""
    if expect.startswith("pending:"):
        return state.pending is None or state.pending.value != expect.removeprefix("pending:")
    return (
        state.status not in (Status.ACTIVE, Status.CONTACT)
        or state.current != expect
        or state.pending is not None
    )


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
    elif intent is Intent.RESULTS:
        sprint.say("completion_summary")
        prompt(sprint)
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
        answering.change(sprint, parsed.number or 0)
    elif status is not Status.ACTIVE:
        sprint.say("not_now", Lang.BOTH)
        prompt(sprint)
    elif command is Command.BACK:
        answering.back(sprint)
    else:  # Command.SKIP
        answering.skip(sprint)


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
        answering.finish(sprint)
        return
    sprint.update(status=Status.ACTIVE, current=first.id, retries=0)
    if announce:
        sprint.say("language_set", chosen=lang.value)
    answering.show_notes(sprint, first.id)
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
        refuse(sprint, question, result)
        prompt(sprint)
        return
    answering.record(sprint, question, Answer(options=result.options, text=result.text))
    if question.snapshot and question.is_choice:
        sprint.say("snapshot", question=question, options=result.options)
    answering.advance(sprint)


def _returning_after_gap(state: SessionState, now: datetime) -> bool:
    if state.updated_at is None:
        return False
    last = datetime.fromisoformat(state.updated_at)
    return now - last > WELCOME_BACK_AFTER


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
    contact_answer = state.answers.get(rules.question, Answer()) if rules else Answer()
    if rules is not None and rules.updates in contact_answer.options:
        sprint.emit(SubscriptionChanged(False))
    sprint.state = new_state(flow).evolve(lang=state.lang, started_at=sprint.now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    sprint.say("restarted")
    _start_questions(sprint, state.lang, announce=False)


def _delete(sprint: Sprint) -> None:
    sprint.emit(DataDeleted())
    sprint.state = new_state(sprint.flow)
    sprint.say("data_deleted", Lang.BOTH)
