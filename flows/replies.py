"""What the engine says: one frozen dataclass per kind of reply (issue 15 §3).

A reply names no template: `flows.reply_registry` is the one registry from a kind to its
template (`bot/templates/{zh,en,both}/<name>.j2`); the fields are the template's
variables. `lang` forces a language (errors are always bilingual); None = the
respondent's.

Three kinds are requests the dispatcher answers with live figures from storage
(bot.dispatch.snapshots): `SnapshotRequest` becomes `Snapshot`, `SummaryRequest` becomes
`Summary`, and `Completed.figures` is filled in. Nothing here is stored: replies are
rendered inside the step's transaction and only their text is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.model import Lang, Question, Text
from flows.state import Answer


@dataclass(frozen=True)
class Reply:
    lang: Lang | None = field(default=None, kw_only=True)


# The position and the question being asked.
@dataclass(frozen=True)
class Welcome(Reply):
    title: Text
    questions: int | None = None  # the first contact: "14 questions, about 5 minutes"
    minutes: int | None = None


@dataclass(frozen=True)
class Preface(Reply):
    preface: Text


@dataclass(frozen=True)
class ChooseLanguage(Reply):
    pass


@dataclass(frozen=True)
class LanguageSet(Reply):
    chosen: str


@dataclass(frozen=True)
class InvalidLanguage(Reply):
    pass


@dataclass(frozen=True)
class AskQuestion(Reply):
    question: Question
    number: str | None
    total: int | None
    last_step: bool
    current: Answer | None
    optional: bool
    selected: tuple[str, ...] | None = None  # a selection being built by taps
    previous: Answer | None = None  # last round's answer, to keep with one tap


@dataclass(frozen=True)
class Note(Reply):
    text: Text


@dataclass(frozen=True)
class WelcomeBack(Reply):
    number: str | None
    total: int | None
    title: Text


@dataclass(frozen=True)
class SurveyUpdated(Reply):
    pass


@dataclass(frozen=True)
class SurveyClosed(Reply):
    title: Text


# Answers.
@dataclass(frozen=True)
class Recorded(Reply):
    question: Question
    answer: Answer


@dataclass(frozen=True)
class InvalidAnswer(Reply):
    reason: str
    params: Mapping[str, Any]
    question: Question
    retries: int
    message: Text | None = None  # the flow's own constraint_message


@dataclass(frozen=True)
class AnswerUpdated(Reply):
    pass


@dataclass(frozen=True)
class MyAnswers(Reply):
    items: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class NoAnswers(Reply):
    items: Sequence[Mapping[str, Any]] = ()


# Navigation and commands.
@dataclass(frozen=True)
class BackAtStart(Reply):
    pass


@dataclass(frozen=True)
class CannotSkip(Reply):
    pass


@dataclass(frozen=True)
class NotNow(Reply):
    pass


@dataclass(frozen=True)
class ChangeUnknown(Reply):
    number: str


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


# Confirmations ("are you sure?") and their outcomes.
@dataclass(frozen=True)
class ConfirmRestart(Reply):
    pass


@dataclass(frozen=True)
class ConfirmDelete(Reply):
    pass


@dataclass(frozen=True)
class ConfirmReuse(Reply):
    details: Sequence[tuple[Question, str]]


@dataclass(frozen=True)
class ConfirmInvalid(Reply):
    pass


@dataclass(frozen=True)
class Cancelled(Reply):
    pass


@dataclass(frozen=True)
class Restarted(Reply):
    pass


@dataclass(frozen=True)
class DataDeletedNotice(Reply):
    pass


# The contact form.
@dataclass(frozen=True)
class ContactFormIntro(Reply):
    pass


@dataclass(frozen=True)
class ContactUnavailable(Reply):
    pass


@dataclass(frozen=True)
class ContactDeclined(Reply):
    pass


@dataclass(frozen=True)
class ContactCreated(Reply):
    reference: str | None = None  # the dispatcher fills in the stored request's


# The end, results and the next survey.
@dataclass(frozen=True)
class Completed(Reply):
    """The one completion message (issue 17 §6)."""

    closing: Text
    items: Sequence[Mapping[str, Any]]  # the receipt: numbered answers
    summary: bool  # the flow shows figures: the dispatcher fills in `figures`
    offer_next: bool  # the in-chat follow-up survey
    followup: Text | None  # the flow's own follow-up text, only without an in-chat one
    figures: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CompletedHint(Reply):
    pass


@dataclass(frozen=True)
class SnapshotRequest(Reply):
    """Figures of the question just answered, for the options chosen (bot.dispatch.snapshots)."""

    question: Question
    options: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot(Reply):
    base: int
    items: Sequence[Mapping[str, Any]]
    at_most: int
    # The survey's counting rule: "respondent", or "organisation"/"plant" (each unit
    # counted once, the base line says so).
    counting: str = "respondent"


@dataclass(frozen=True)
class SummaryRequest(Reply):
    """The figures of the questions answered so far (the menu's Results)."""


@dataclass(frozen=True)
class Summary(Reply):
    rows: Sequence[Mapping[str, Any]]
    segment: Mapping[str, Any] | None
    answered: bool
    coarse: bool
    at_most: int
    counting: str = "respondent"  # as `Snapshot.counting`


@dataclass(frozen=True)
class ResultsOff(Reply):
    pass


@dataclass(frozen=True)
class ResultsLater(Reply):
    pass


@dataclass(frozen=True)
class NextAfterFinishing(Reply):
    pass


@dataclass(frozen=True)
class NoNextSurvey(Reply):
    pass


# Said by the dispatcher (bot.dispatch.service), outside a step.
@dataclass(frozen=True)
class NextUnavailable(Reply):
    pass


@dataclass(frozen=True)
class NoMorePages(Reply):
    pass


@dataclass(frozen=True)
class ReplyNotKept(Reply):
    pass


@dataclass(frozen=True)
class Reminder(Reply):
    number: str | None
    total: int | None
    title: Text
    tap_link: bool  # WeChat: the resume word as a tap link
