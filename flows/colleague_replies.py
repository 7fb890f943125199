"""What a respondent is told about a colleague of their organisation or plant (issue 20 §1).

Filled in by the dispatcher from storage (bot.dispatch.colleagues); rendered by the
templates named in flows.reply_registry. Nothing here names the colleague: no name, no
contact, no free text they typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.replies import Reply


@dataclass(frozen=True)
class ColleagueAnswered(Reply):
    """After the organisation step: someone of the same unit answered this survey."""

    organisation: str  # as the respondent typed it
    plant: str | None  # as the respondent typed it; shown when counting per plant
    unit: str  # flows.model.CountingUnit: "organisation" or "plant"
    completed: bool  # a colleague completed the survey (else: started it)
    theirs_count: bool  # the colleague's answers are the unit's counted ones now
    can_view: bool  # the flow's `colleagues_see_answers`


@dataclass(frozen=True)
class ColleagueAnswers(Reply):
    """The answers the unit counts, a colleague's: numbers and answer labels only."""

    items: Sequence[Mapping[str, Any]]  # number, question, answer; hidden: a text answer
    completed: bool


@dataclass(frozen=True)
class ColleagueUnavailable(Reply):
    """A colleague choice that cannot be carried out, and why."""

    # no_link: not linked to an organisation (the step withdrawn, data deleted);
    # no_colleague: nobody else of the unit answered; view_off: the survey does not show
    # colleagues' answers; own: the answers counted are the respondent's own.
    reason: str
    unit: str = "organisation"  # flows.model.CountingUnit


@dataclass(frozen=True)
class TookOver(Reply):
    already: bool  # they were counted before this message: nothing changed
    unit: str = "organisation"


@dataclass(frozen=True)
class ColleagueKept(Reply):
    theirs_count: bool  # the colleague's answers (else the respondent's own) still count
    unit: str = "organisation"
