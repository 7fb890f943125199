"""The engine's moves for commands and menu intents: what help, my answers, contact me,
next survey, intro, a language command, a tap on the menu's Results and the like do to a
respondent's session. `flows.engine` decides that an inbound message is a command or an
intent (and whether a closed survey refuses it); this module carries it out on the
`Sprint`, delegating answering moves to `flows.answer_moves` and confirmations, colleague
actions and the contact form to their own modules.
"""

from __future__ import annotations

from flows import answer_moves as answering
from flows import colleagues, confirmations, contact_form
from flows.command_replies import Help, NotNow, RemindersOff, UnsupportedInput
from flows.commands import Command, ParsedCommand
from flows.completion_replies import (
    NextAfterFinishing,
    NoNextSurvey,
    ResultsLater,
    ResultsOff,
    SummaryRequest,
)
from flows.contact_form_replies import ContactCreated
from flows.events import (
    ContactRequested,
    Inbound,
    Intent,
    LanguageChosen,
    NextSurveyChosen,
    RemindersDeclined,
)
from flows.model import Lang, SnapshotMode
from flows.navigation import form_complete, form_details
from flows.replies import LanguageSet, MyAnswers, NoAnswers, Preface
from flows.sprint import Sprint, answer_items, prompt
from flows.state import Pending, Status
from flows.welcome_back import welcome_back

_LANG_COMMANDS = {Command.LANG_ZH: Lang.ZH, Command.LANG_EN: Lang.EN, Command.LANG_BOTH: Lang.BOTH}
# A menu intent that means what a typed command means does what the command does.
_INTENT_COMMANDS = {
    Intent.START: Command.RESUME,
    Intent.HELP: Command.HELP,
    Intent.MY_ANSWERS: Command.MY_ANSWERS,
    Intent.CONTACT_ME: Command.CONTACT_ME,
    Intent.RESTART: Command.RESTART,
    Intent.RESULTS: Command.RESULTS,
}


def on_intent(sprint: Sprint, event: Inbound) -> None:
    """Carry out a menu intent (a button or menu entry rather than typed text)."""
    intent = event.intent
    if intent in _INTENT_COMMANDS:
        on_command(sprint, ParsedCommand(_INTENT_COMMANDS[intent]))
    else:  # Intent.UNSUPPORTED: an image, a location, a sticker …
        sprint.say(UnsupportedInput())
        prompt(sprint)


def on_command(sprint: Sprint, parsed: ParsedCommand) -> None:
    """Carry out a typed command the engine has accepted in the session's status."""
    command = parsed.command
    status = sprint.state.status
    if command in _LANG_COMMANDS:
        _set_language(sprint, _LANG_COMMANDS[command])
    elif command is Command.HELP:
        sprint.say(Help(status.value))
        prompt(sprint)
    elif command is Command.MY_ANSWERS:
        _my_answers(sprint)
    elif command is Command.CONTACT_ME:
        _contact_me(sprint)
    elif command is Command.RESTART:
        confirmations.ask(sprint, Pending.RESTART)
    elif command is Command.DELETE_DATA:
        confirmations.ask(sprint, Pending.DELETE)
    elif command is Command.NEXT_SURVEY:
        _next_survey(sprint)
    elif command is Command.INTRO:
        lang = Lang.BOTH if status is Status.LANGUAGE else None
        sprint.say(Preface(sprint.flow.preface, lang=lang))
        prompt(sprint)
    elif command is Command.RESUME:
        welcome_back(sprint)
    elif command is Command.RESULTS:
        _results(sprint)
        prompt(sprint)
    elif command is Command.NO_REMINDERS:
        sprint.emit(RemindersDeclined())
        sprint.say(RemindersOff())
        prompt(sprint)
    elif command in colleagues.ACTIONS:
        colleagues.on_command(sprint, command)
    elif status is Status.CONTACT:
        contact_form.on_command(sprint, command)
    elif command is Command.CHANGE:
        answering.change(sprint, parsed.label)
    elif status is not Status.ACTIVE:
        sprint.say(NotNow())
        prompt(sprint)
    elif command is Command.BACK:
        answering.back(sprint)
    else:  # Command.SKIP
        answering.skip(sprint)


def _results(sprint: Sprint) -> None:
    """The menu's Results: figures of the questions already answered (the enricher keeps
    to those), when the flow's `snapshots:` mode shows any now."""
    mode = sprint.flow.snapshots
    if mode is SnapshotMode.OFF:
        sprint.say(ResultsOff())
    elif mode is SnapshotMode.ON_COMPLETION and sprint.state.completed_at is None:
        sprint.say(ResultsLater())
    else:
        sprint.say(SummaryRequest())


def _next_survey(sprint: Sprint) -> None:
    state = sprint.state
    following = sprint.flow.next
    if state.status is Status.COMPLETED and not state.editing and following is not None:
        sprint.emit(NextSurveyChosen(following))
        return
    sprint.say(NoNextSurvey() if following is None else NextAfterFinishing())
    prompt(sprint)


def _set_language(sprint: Sprint, lang: Lang) -> None:
    sprint.emit(LanguageChosen(lang))
    if sprint.state.status is Status.LANGUAGE:
        answering.start_questions(sprint, lang)
        return
    sprint.update(lang=lang)
    sprint.say(LanguageSet(lang.value))
    prompt(sprint)


def _my_answers(sprint: Sprint) -> None:
    items = answer_items(sprint)
    sprint.say(MyAnswers(items) if items else NoAnswers(items))
    if sprint.state.status is not Status.COMPLETED:
        prompt(sprint)


def _contact_me(sprint: Sprint) -> None:
    flow = sprint.flow
    if sprint.state.status is Status.CONTACT:
        prompt(sprint)
        return
    if form_complete(flow, sprint.state.answers):
        sprint.emit(ContactRequested("contact_me", form_details(flow, sprint.state.answers)))
        sprint.say(ContactCreated())
        prompt(sprint)
        return
    contact_form.enter(sprint)
