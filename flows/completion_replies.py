"""The end of a survey: the completion message, results and the next survey.

Three kinds are requests the dispatcher answers with live figures from storage
(bot.dispatch.snapshots): `SnapshotRequest` becomes `Snapshot`, `SummaryRequest` becomes
`Summary`, and `Completed.figures` is filled in. The rest say that results are off or
come later, and whether a follow-up survey is there to start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.model import Question, Text
from flows.replies import Reply


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
    """A message after the survey was completed: what can still be done, the follow-up
    survey first when the flow has one (`next:`)."""

    offer_next: bool = False


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
