"""A colleague of the same organisation or plant answered: what the respondent chooses.

In a survey that counts per organisation or plant (`counting:`), the dispatcher tells a
respondent whose organisation step is done that a colleague answered, and offers to view
the answers their unit counts (when `colleagues_see_answers`), to take over, or to keep
things as they are. The choices are commands (flows.commands, "查看同事答案", "由我接替",
"保持原样"); the engine emits `UnitChoiceMade` and asks again for whatever the respondent
owes. Storage knows the colleagues, so the dispatcher answers the choice
(bot.dispatch.colleagues). In a survey counted per respondent the words are no commands.
Pure: no I/O.
"""

from __future__ import annotations

from flows.commands import Command, parse_command
from flows.events import UnitAction, UnitChoiceMade
from flows.model import CountingUnit, Flow
from flows.sprint import Sprint, prompt

ACTIONS: dict[Command, UnitAction] = {
    Command.VIEW_COLLEAGUE: UnitAction.VIEW,
    Command.TAKE_OVER: UnitAction.TAKE_OVER,
    Command.KEEP_COLLEAGUE: UnitAction.KEEP,
}


def is_unit_command(flow: Flow, command: Command) -> bool:
    """Whether `command` is a colleague choice this survey knows (else the text is an answer)."""
    return command in ACTIONS and flow.counting is not CountingUnit.RESPONDENT


def on_command(sprint: Sprint, command: Command) -> None:
    sprint.emit(UnitChoiceMade(ACTIONS[command]))
    prompt(sprint)


def before_start(sprint: Sprint, text: str | None) -> None:
    """A choice tapped in an old message before this session began (e.g. after "delete
    my data"): passed on, so the dispatcher says why it cannot be done; the survey then
    starts as usual."""
    parsed = parse_command(text) if text else None
    if parsed is not None and is_unit_command(sprint.flow, parsed.command):
        sprint.emit(UnitChoiceMade(ACTIONS[parsed.command]))
