"""Welcoming a respondent back: "欢迎回来 … 第 5 题（共 14 题）" and the question.

After a pause (a setting, `WELCOME_BACK_AFTER` by default) a message that is not an
answer is a return, not a mistake: it gets where they are, never an error. Pure: the
time comes in on the inbound event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows import numbering
from flows.replies import (
    WelcomeBack,
)
from flows.sprint import Sprint, prompt
from flows.state import SessionState, Status

WELCOME_BACK_AFTER = timedelta(minutes=30)


def welcome_back(sprint: Sprint) -> None:
    state = sprint.state
    if state.status is Status.ACTIVE and state.current is not None:
        number = numbering.label(sprint.flow, state.current)
        total = numbering.total(sprint.flow)
        sprint.say(WelcomeBack(number, total, sprint.flow.title))
    elif state.status is not Status.LANGUAGE:
        sprint.say(WelcomeBack(None, None, sprint.flow.title))
    prompt(sprint)


def returning_after_gap(state: SessionState, now: datetime, pause: timedelta) -> bool:
    if state.updated_at is None:
        return False
    last = datetime.fromisoformat(state.updated_at)
    return now - last > pause
