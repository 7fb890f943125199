"""What the engine says: the base `Reply`, and the replies that ask and take answers.

Every reply is one frozen dataclass per kind (issue 15 §3). A reply names no template:
`flows.reply_registry` is the one registry from a kind to its template
(`bot/templates/{zh,en,both}/<name>.j2`); the fields are the template's variables.
`lang` forces a language (errors are always bilingual); None = the respondent's. Here:
the welcome, language, question and position replies, and the answers' (recorded,
invalid, listed). The other kinds have a module each by job: flows.command_replies,
flows.confirmation_replies, flows.contact_form_replies, flows.completion_replies,
flows.outside_step_replies. Nothing here is stored: replies are rendered inside the
step's transaction and only their text is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.model import Lang, Question, Text
from flows.offers import Offer
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
    offer: Offer | None = None  # an earlier answer to keep with one tap (flows.offers)
    contact_details: bool = False  # a question of the contact form, after the count


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
    """ "✓ 已记录：…" for an answer; "✓ 已跳过" for an optional question skipped (an empty
    answer)."""

    question: Question
    answer: Answer
    cleared: bool = False  # skipped, and the answer it had before is gone


@dataclass(frozen=True)
class InvalidAnswer(Reply):
    reason: str
    params: Mapping[str, Any]
    question: Question
    retries: int
    message: Text | None = None  # the flow's own constraint_message


@dataclass(frozen=True)
class AnswersDropped(Reply):
    """A changed answer made other questions' answers no longer apply: they were removed
    ("第 2、8 题的回答已不适用，已删除"). `numbers`: their labels, in survey order."""

    numbers: tuple[str, ...]


@dataclass(frozen=True)
class AnswerUpdated(Reply):
    pass


@dataclass(frozen=True)
class MyAnswers(Reply):
    items: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class NoAnswers(Reply):
    items: Sequence[Mapping[str, Any]] = ()
