"""What goes into the engine (`Inbound`) and what comes out (effects; replies: flows.replies).

Effects are past-tense facts the caller carries out (goflow's events): storage writes
answer rows and contact requests from them; channels never interpret them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from flows import replies
from flows.model import Lang


class Intent(StrEnum):
    """Non-text inputs a channel can produce (WeChat subscribe / menu click, Telegram /start)."""

    START = "start"  # subscribe, /start, menu "start or resume"
    MY_ANSWERS = "my_answers"
    CONTACT_ME = "contact_me"
    HELP = "help"
    RESTART = "restart"
    RESULTS = "results"  # the latest aggregate results (WeChat menu "结果 Results")
    UNSUPPORTED = "unsupported"  # an image, a sticker … : hint to reply with text


@dataclass(frozen=True)
class Inbound:
    now: datetime
    text: str | None = None
    intent: Intent | None = None
    # A button tap names the question it was shown for; if that is no longer the one
    # being asked, the tap is stale and must not change an answer silently.
    expect: str | None = None


@dataclass(frozen=True)
class AnswerRecorded:
    question_id: str
    options: tuple[str, ...] = ()
    text: str | None = None
    original: str | None = None  # a converted number's text as the respondent wrote it
    carried: str | None = None  # flows.rounds.Carried: kept or changed the earlier round's


@dataclass(frozen=True)
class AnswerCleared:
    """A previous answer no longer applies (its condition turned false, or restart)."""

    question_id: str


@dataclass(frozen=True)
class SurveyStarted:
    flow_id: str
    flow_version: int


@dataclass(frozen=True)
class SurveyCompleted:
    flow_id: str
    flow_version: int


@dataclass(frozen=True)
class LanguageChosen:
    lang: Lang


@dataclass(frozen=True)
class ContactRequested:
    reason: str  # "survey" (立即联系 Right now) or "contact_me" (asked later)
    details: Mapping[str, str]  # detail question id → answer text


@dataclass(frozen=True)
class ContactWithdrawn:
    """The respondent took back the answer that made a contact request (立即联系 Right now
    changed to something else after the form was filled): nobody should call them for it.
    Storage closes their open request of that reason; the dispatcher tells the staff."""

    reason: str  # "survey"


@dataclass(frozen=True)
class SubscriptionChanged:
    """Asked (or no longer asks) for updates: the /broadcast audience."""

    subscribed: bool


@dataclass(frozen=True)
class RemindersDeclined:
    """The respondent sent "不再提醒 / no reminders": never remind them again."""


@dataclass(frozen=True)
class DataDeleted:
    """The respondent confirmed "delete my data": remove answers and contact data."""


@dataclass(frozen=True)
class OrganisationGiven:
    """The organisation step is done (or, with `name=None`, withdrawn).

    Storage recognises the organisation (by code, else by name + plant) and links the
    respondent to it; the texts are as typed (the code already checked and cleaned)."""

    name: str | None
    code: str | None = None
    plant: str | None = None


class UnitAction(StrEnum):
    """What a respondent chose once told a colleague of their unit answered."""

    VIEW = "view"  # see the answers the unit counts (if the survey allows)
    TAKE_OVER = "take_over"  # their own answers count for the unit from now on
    KEEP = "keep"  # nothing changes


@dataclass(frozen=True)
class UnitChoiceMade:
    """The respondent chose what to do about a colleague's answers (flows.colleagues).

    Storage knows the colleagues: the dispatcher checks the choice is still theirs to
    make, carries it out and answers it (bot.dispatch.colleagues)."""

    action: UnitAction


@dataclass(frozen=True)
class NextSurveyChosen:
    """The respondent finished and asked for the survey offered next (`Flow.next`).

    The dispatcher starts it: it knows which surveys are open; the engine does not."""

    flow_id: str


Effect = (
    AnswerRecorded
    | AnswerCleared
    | SurveyStarted
    | SurveyCompleted
    | LanguageChosen
    | ContactRequested
    | ContactWithdrawn
    | SubscriptionChanged
    | DataDeleted
    | RemindersDeclined
    | NextSurveyChosen
    | OrganisationGiven
    | UnitChoiceMade
)


@dataclass(frozen=True)
class Step:
    state: Any  # flows.state.SessionState (Any avoids a cycle in type-only imports)
    replies: tuple[replies.Reply, ...]
    effects: tuple[Effect, ...]
