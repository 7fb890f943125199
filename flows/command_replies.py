"""What a navigation step or a command gets back, when it is not the next question.

The first question reached going back, a required question skipped, a command that does
not fit the moment, a question number to change that does not exist, the help, an
unknown command, a message that is not text, a button of an earlier question, and
reminders switched off.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Question
from flows.replies import Reply


@dataclass(frozen=True)
class BackAtStart(Reply):
    pass


@dataclass(frozen=True)
class CannotSkip(Reply):
    """A required question: not skipped. `opened_by_yes`: it is asked only because of an
    answer to an optional question before it (the organisation step's "是否告诉我们…"),
    which can be changed instead."""

    opened_by_yes: bool = False
    # The question whose answer would have made this one optional (`required_unless`):
    # the phone number left out, the e-mail is needed; "返回" reaches the phone again.
    instead: Question | None = None


@dataclass(frozen=True)
class NotNow(Reply):
    pass


@dataclass(frozen=True)
class ChangeUnknown(Reply):
    number: str
    # The question exists but is not asked after the respondent's answers (an OEM's 8).
    not_asked: bool = False


@dataclass(frozen=True)
class Help(Reply):
    status: str


@dataclass(frozen=True)
class UnknownCommand(Reply):
    pass


@dataclass(frozen=True)
class UnsupportedInput(Reply):
    pass


@dataclass(frozen=True)
class StaleButton(Reply):
    pass


@dataclass(frozen=True)
class RemindersOff(Reply):
    pass
