"""Confirmed actions: "restart" and "delete my data" ask first, then act on yes/no."""

from __future__ import annotations

from flows.answer_moves import new_state, reuse_details, start_questions
from flows.answer_parsing import parse_yes_no
from flows.confirmation_replies import Cancelled, ConfirmInvalid, DataDeletedNotice, Restarted
from flows.events import AnswerCleared, DataDeleted, SubscriptionChanged, SurveyStarted
from flows.navigation import is_empty
from flows.sprint import Sprint, prompt
from flows.state import Answer, Pending


def ask(sprint: Sprint, pending: Pending) -> None:
    sprint.update(pending=pending)
    prompt(sprint)


def on_confirmation(sprint: Sprint, text: str) -> None:
    pending = sprint.state.pending
    decision = parse_yes_no(text)
    if decision is None:
        sprint.say(ConfirmInvalid())
        prompt(sprint)
        return
    sprint.update(pending=None)
    if pending is Pending.REUSE:
        if decision:
            reuse_details(sprint)
        else:
            prompt(sprint)  # asked one by one, as anyone else
        return
    if not decision:
        sprint.say(Cancelled())
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
    sprint.state = new_state(sprint.flow).evolve(lang=state.lang, started_at=sprint.now.isoformat())
    sprint.emit(SurveyStarted(flow.id, flow.version))
    sprint.say(Restarted())
    start_questions(sprint, state.lang, announce=False)


def _delete(sprint: Sprint) -> None:
    sprint.emit(DataDeleted())
    sprint.state = new_state(sprint.flow)
    sprint.say(DataDeletedNotice())
