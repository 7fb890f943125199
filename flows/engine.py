"""The sans-I/O survey engine: `step(flow, state, inbound) -> Step(state, replies, effects)`.

Like XState's pure `transition`, it never executes its effects: the dispatcher
(`bot.dispatch.service`) persists them in the same transaction as the new state. No clock, no
database, no network: time arrives on `Inbound.now`. A wrong answer is a reply, never
an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flows import answer_moves as answering
from flows import (
    colleagues,
    command_moves,
    confirmations,
    contact_form,
    numbering,
    organisation_step,
    prefill,
)
from flows.answer_moves import new_state
from flows.answer_parsing import Invalid, normalize, parse_answer
from flows.command_replies import StaleButton, UnknownCommand
from flows.commands import Command, parse_command, parse_language
from flows.completion_replies import CompletedHint, SnapshotRequest
from flows.contact_form_replies import ContactCreated, ContactWithdrawnNotice
from flows.drafts import parse_draft
from flows.events import Inbound, Intent, LanguageChosen, Step, SurveyStarted
from flows.model import YES, Flow, Lang, Question, QuestionType, SnapshotMode
from flows.navigation import next_unanswered
from flows.replies import (
    AnswersDropped,
    InvalidLanguage,
    Preface,
    Recorded,
    SurveyClosed,
    Welcome,
)
from flows.sprint import Sprint, prompt, refuse
from flows.state import Answer, SessionState, Status
from flows.welcome_back import WELCOME_BACK_AFTER, returning_after_gap, welcome_back
from flows.yes_no import explanation

# What a closed survey refuses: anything that would ask or change an answer.
_NOT_WHEN_CLOSED = {Command.BACK, Command.SKIP, Command.RESTART, Command.CHANGE, Command.TAKE_OVER}


def step(
    flow: Flow,
    state: SessionState | None,
    event: Inbound,
    *,
    closed: bool = False,
    welcome_back_after: timedelta = WELCOME_BACK_AFTER,
) -> Step:
    """Advance one respondent by one inbound message or event.

    `closed`: staff closed this survey. Nothing more is asked or recorded; what the
    respondent may still do with their data (see, delete, be contacted) keeps working.
    """
    if state is None:
        state = new_state(flow)
    sprint = Sprint(flow, state, event.now, closed=closed, welcome_back_after=welcome_back_after)
    if state.status is Status.NEW:
        colleagues.before_start(sprint, event.text)
        _begin(sprint, event.now)
    else:
        _dispatch(sprint, event)
    final = sprint.state.evolve(updated_at=event.now.isoformat())
    return Step(final, tuple(sprint.replies), tuple(sprint.effects))


def start_in_language(
    flow: Flow, lang: Lang, now: datetime, *, previous: Mapping[str, Answer] | None = None
) -> Step:
    """Start `flow` for someone whose language is known (they finished another survey).

    `previous`: their earlier round's answers on this survey's questions (flows.rounds)."""
    sprint = Sprint(flow, new_state(flow, previous), now)
    sprint.update(status=Status.LANGUAGE, started_at=now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    sprint.say(Welcome(flow.title, lang=lang))
    sprint.say(Preface(flow.preface, lang=lang))
    answering.start_questions(sprint, lang, announce=False)
    final = sprint.state.evolve(updated_at=now.isoformat())
    return Step(final, tuple(sprint.replies), tuple(sprint.effects))


def _begin(sprint: Sprint, now: datetime) -> None:
    """First contact: short enough for one WeChat message; the preface on request."""
    flow = sprint.flow
    sprint.update(status=Status.LANGUAGE, started_at=now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    total = numbering.total(flow)
    # About 20 seconds a question (a tap or a number), rounded to whole minutes.
    minutes = max(1, round(total / 3))
    sprint.say(Welcome(flow.title, total, minutes, lang=Lang.BOTH))
    prompt(sprint)


def _dispatch(sprint: Sprint, event: Inbound) -> None:
    if event.expect is not None and _is_stale(sprint.state, event.expect):
        sprint.say(StaleButton())
        prompt(sprint)
        return
    if sprint.closed and event.intent is Intent.RESTART:
        prompt(sprint)  # a closed survey is not started again
        return
    if event.intent is not None:
        command_moves.on_intent(sprint, event)
        return
    text = normalize(event.text or "")
    if not text:
        prompt(sprint)
        return
    if sprint.state.pending is not None:
        confirmations.on_confirmation(sprint, text)
        return
    command = parse_command(text)
    if command is not None and command.command in colleagues.ACTIONS:
        command = command if colleagues.is_unit_command(sprint.flow, command.command) else None
    if command is not None and not _is_number_answer(sprint.state, sprint.flow, text):
        if sprint.closed and command.command in _NOT_WHEN_CLOSED:
            sprint.say(SurveyClosed(sprint.flow.title))
            return
        command_moves.on_command(sprint, command)
        return
    if sprint.closed and sprint.state.status is not Status.COMPLETED:
        prompt(sprint)  # says the survey is closed; the answer is not taken
        return
    if text.startswith("/"):
        # Staff commands are handled before the engine; anyone else learns nothing.
        sprint.say(UnknownCommand())
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
        sprint.say(CompletedHint(offer_next=sprint.flow.next is not None))


def _is_number_answer(state: SessionState, flow: Flow, text: str) -> bool:
    """ "0" is the back command, except as the answer to an integer question."""
    if state.status is not Status.ACTIVE or state.current is None:
        return False
    question = flow.question(state.current)
    return question.is_numeric and text.strip().isdigit()


def _is_stale(state: SessionState, expect: str) -> bool:
    """A button names what it answers: a question id, or "pending:<what>" for a confirm."""
    if expect.startswith("pending:"):
        return state.pending is None or state.pending.value != expect.removeprefix("pending:")
    return (
        state.status not in (Status.ACTIVE, Status.CONTACT)
        or state.current != expect
        or state.pending is not None
    )


def _on_language_choice(sprint: Sprint, text: str) -> None:
    lang = parse_language(text)
    if lang is None:
        sprint.say(InvalidLanguage(lang=Lang.BOTH))
        prompt(sprint)
        return
    sprint.emit(LanguageChosen(lang))
    answering.start_questions(sprint, lang)


def _on_answer(sprint: Sprint, event: Inbound, text: str) -> None:
    state = sprint.state
    assert state.current is not None
    question = sprint.flow.question(state.current)
    if prefill.on_answer(sprint, question, text):  # keep or change last round's answer
        return
    draft = parse_draft(question, text)
    if draft is not None:  # a tap on a multiple-choice option: shown, not yet answered
        if isinstance(draft, Invalid):
            refuse(sprint, question, draft)
            prompt(sprint)
        else:
            prompt(sprint, selected=draft)
        return
    result = parse_answer(question, text)
    moved = contact_form.email_instead(sprint.flow, question, text)
    if isinstance(result, Invalid) and moved is not None:
        skipped = answering.record(sprint, question, Answer(), tell=False)  # the phone
        created = answering.record(sprint, moved[0], Answer(text=moved[1]), tell=False)
        sprint.say(Recorded(moved[0], Answer(text=moved[1])))
        if skipped or created:
            sprint.say(ContactCreated())
        answering.advance(sprint)
        return
    named = organisation_step.name_instead(sprint.flow, question, text)
    if named is not None and (isinstance(result, Invalid) or YES in result.options):
        # The name instead of yes, or after it: both kept.
        answering.record(sprint, question, Answer(options=(YES,)), tell=False)
        answering.record(sprint, named[0], named[1], tell=False)
        sprint.say(Recorded(named[0], named[1]))
        answering.advance(sprint)
        return
    if isinstance(result, Invalid):
        sprint.update(retries=state.retries + 1)
        if returning_after_gap(state, event.now, sprint.welcome_back_after):
            welcome_back(sprint)
            return
        refuse(sprint, question, result)
        prompt(sprint)
        return
    answer = Answer(options=result.options, text=result.text, original=result.original)
    before = dict(state.answers)
    created = answering.record(sprint, question, answer, tell=False)
    # One short line before what comes next: "✓ 已记录：内饰、车身 / Recorded: Interior, Body".
    sprint.say(Recorded(question, answer))
    gone = answering.dropped(sprint.flow, before, sprint.state.answers, question.id)
    if gone:  # "第 2、8 题的回答已不适用，已删除", right after what removed them
        sprint.say(AnswersDropped(gone))
    if created:  # the last detail of the contact form: the request follows its "Recorded"
        sprint.say(ContactCreated())
    if answering.withdrawn(sprint.flow, before, sprint.state.answers):  # after it too
        sprint.say(ContactWithdrawnNotice())
    if (
        question.snapshot
        and question.is_choice
        and sprint.flow.snapshots is SnapshotMode.AFTER_EACH
    ):
        sprint.say(SnapshotRequest(question, result.options))
    explained = _explained_follow_up(sprint, question, text)
    if explained is not None:  # "Yes, we report under CDP": 10a answered with it
        answering.record(sprint, explained[0], explained[1], tell=False)
        sprint.say(Recorded(explained[0], explained[1]))
    answering.advance(sprint)


def _explained_follow_up(
    sprint: Sprint, question: Question, text: str
) -> tuple[Question, Answer] | None:
    """A yes or no said with its explanation, when the question asked next is the free-text
    follow-up that asks for it (its `when:` names this question): (that question, the
    explanation as its answer)."""
    if question.type is not QuestionType.YES_NO:
        return None
    said = explanation(text)
    if said is None:
        return None
    following = next_unanswered(sprint.flow, sprint.state.answers)
    if following is None or following.type is not QuestionType.TEXT:
        return None
    if not any(clause.question == question.id for clause in following.when):
        return None
    parsed = parse_answer(following, said)
    if isinstance(parsed, Invalid) or not parsed.text:
        return None
    return following, Answer(text=parsed.text)
