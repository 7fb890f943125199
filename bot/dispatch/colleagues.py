"""Telling a respondent about colleagues of their organisation or plant (issue 20 §1).

In a survey that counts per organisation or per plant: once the organisation step is
stored (storage.organisations.recognise, in this transaction), `notice` says so when
someone else of the respondent's unit has a session in the survey, and `answer` carries
out the respondent's choice (flows.colleagues: view, take over, keep as is). Both ask
storage at that moment, so a tap after the link was withdrawn, after "delete my data",
or after the colleague left gets a plain answer instead of acting on what was. A retried
push never gets here twice: it is answered from the dispatcher's dedupe row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.surveys.catalog import SurveyCatalog, UnknownSurvey
from flows import numbering
from flows.colleague_replies import (
    ColleagueAnswered,
    ColleagueAnswers,
    ColleagueKept,
    ColleagueUnavailable,
    TookOver,
)
from flows.events import Effect, OrganisationGiven, UnitAction
from flows.model import Flow
from flows.navigation import relevant_questions
from flows.replies import Reply
from flows.state import Answer
from storage.colleagues import TakeOver, Unit, counted_answers, take_over, unit_of


class Colleagues:
    def __init__(
        self,
        session: Session,
        catalog: SurveyCatalog,
        flow: Flow,
        respondent_id: int,
        now: datetime,
    ) -> None:
        self.session = session
        self.catalog = catalog
        self.flow = flow
        self.respondent_id = respondent_id
        self.now = now

    def _unit(self) -> Unit | None:
        return unit_of(
            session=self.session,
            respondent_id=self.respondent_id,
            flow_id=self.flow.id,
            counting=self.flow.counting,
        )

    def notice(self, effects: Sequence[Effect]) -> ColleagueAnswered | None:
        """After the organisation step: whether a colleague of the unit answered."""
        if not any(isinstance(e, OrganisationGiven) and e.name for e in effects):
            return None
        unit = self._unit()
        if unit is None or not unit.others():
            return None
        rules = self.flow.organisation
        return ColleagueAnswered(
            organisation=unit.link.name_given,
            plant=unit.link.plant_given,
            unit=self.flow.counting.value,
            completed=any(m.completed_at is not None for m in unit.others()),
            theirs_count=not unit.counts_theirs(),
            can_view=rules is not None and rules.colleagues_see_answers,
        )

    def answer(self, action: UnitAction) -> Reply:
        """Carry out a colleague choice and say what it did (or why it cannot be done)."""
        where = self.flow.counting.value
        if action is UnitAction.TAKE_OVER:
            done = take_over(
                session=self.session,
                respondent_id=self.respondent_id,
                flow_id=self.flow.id,
                counting=self.flow.counting,
                now=self.now,
            )
            if done in (TakeOver.NO_LINK, TakeOver.NO_COLLEAGUE):
                return ColleagueUnavailable(done.value, where)
            return TookOver(already=done is TakeOver.ALREADY, unit=where)
        unit = self._unit()
        if unit is None:
            return ColleagueUnavailable("no_link", where)
        if not unit.others():
            return ColleagueUnavailable("no_colleague", where)
        if action is UnitAction.KEEP:
            return ColleagueKept(theirs_count=not unit.counts_theirs(), unit=where)
        rules = self.flow.organisation
        if rules is None or not rules.colleagues_see_answers:
            return ColleagueUnavailable("view_off", where)
        counted = counted_answers(session=self.session, unit=unit)
        if counted is None:
            return ColleagueUnavailable("own", where)
        flow = self._version(counted.flow_version)
        return ColleagueAnswers(shown_items(flow, counted.answers), counted.completed)

    def _version(self, version: int) -> Flow:
        if version == self.flow.version:
            return self.flow
        try:
            return self.catalog.flow(self.session, self.flow.id, version)
        except UnknownSurvey:
            return self.flow  # answers are keyed by question ids, which versions keep


def shown_items(flow: Flow, answers: Mapping[str, Answer]) -> list[dict[str, Any]]:
    """A colleague's answers as a colleague may see them: numbered questions only (never
    the contact form or the organisation step, whose fields name people), and a text
    answer only as "a text answer" (free text can name anyone)."""
    items: list[dict[str, Any]] = []
    for question in relevant_questions(flow, answers):
        answer = answers.get(question.id)
        number = numbering.label(flow, question.id)
        if answer is None or number is None or question.field is not None:
            continue
        hidden = not answer.options and answer.text is not None and not question.is_numeric
        items.append({"number": number, "question": question, "answer": answer, "hidden": hidden})
    return items
