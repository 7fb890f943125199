"""Colleagues of one counting unit (issue 20 §1): who else answered, whose answers count.

In a survey that counts per organisation or per plant (flows.model.CountingUnit), the
respondents linked to one unit (the same organisation, or the same organisation and
plant key) in that survey are colleagues. One of them is counted, by the rule every report
uses (storage.unit_sessions, read from there, not restated here). Test respondents are
nobody's colleagues.

`take_over` is the only write: it sets the respondent's `took_over_at`. A retried push is
answered from the dispatcher's dedupe row; a second "take over" is answered "already".
Functions take `*, session` and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from flows.model import CountingUnit
from flows.state import Answer, SessionState
from storage.models import Respondent, SurveySession
from storage.organisation_models import OrganisationLink
from storage.unit_sessions import set_aside


@dataclass(frozen=True)
class Member:
    """One respondent of the unit with a session in the survey."""

    respondent_id: int
    session_id: int
    started_at: datetime
    completed_at: datetime | None
    took_over_at: datetime | None
    counted: bool  # the unit's counted session (storage.unit_sessions)


@dataclass(frozen=True)
class Unit:
    link: OrganisationLink  # the asking respondent's own
    members: tuple[Member, ...]  # everyone of the unit in the survey, them included

    def others(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.respondent_id != self.link.respondent_id)

    def counted(self) -> Member | None:
        return next((m for m in self.members if m.counted), None)

    def counts_theirs(self) -> bool:
        chosen = self.counted()
        return chosen is not None and chosen.respondent_id == self.link.respondent_id


def unit_of(
    *, session: Session, respondent_id: int, flow_id: str, counting: CountingUnit
) -> Unit | None:
    """The respondent's unit in `flow_id`; None when answers count per respondent or they
    are linked to no organisation (the step skipped, withdrawn, or their data deleted)."""
    if counting is CountingUnit.RESPONDENT:
        return None
    link = session.exec(
        select(OrganisationLink).where(
            OrganisationLink.respondent_id == respondent_id, OrganisationLink.flow_id == flow_id
        )
    ).first()
    if link is None:
        return None
    query = (
        select(OrganisationLink, SurveySession)
        .join(Respondent, col(Respondent.id) == OrganisationLink.respondent_id)
        .join(
            SurveySession,
            (col(SurveySession.respondent_id) == OrganisationLink.respondent_id)
            & (col(SurveySession.flow_id) == OrganisationLink.flow_id),
        )
        .where(
            OrganisationLink.flow_id == flow_id,
            OrganisationLink.organisation_id == link.organisation_id,
            col(Respondent.is_test).is_(False) | (col(Respondent.id) == respondent_id),
        )
    )
    if counting is CountingUnit.PLANT:
        query = query.where(OrganisationLink.plant_key == link.plant_key)
    rows = session.exec(query).all()
    asker = session.get(Respondent, respondent_id)
    ranked = set_aside(flow_id, counting, include_test=asker is not None and asker.is_test)
    ids = [row.id for _, row in rows]
    aside = set(session.exec(ranked.where(ranked.selected_columns[0].in_(ids))).all())
    members = []
    for other, row in rows:
        assert row.id is not None
        members.append(
            Member(
                other.respondent_id,
                row.id,
                row.started_at,
                row.completed_at,
                other.took_over_at,
                counted=row.id not in aside,
            )
        )
    return Unit(link, tuple(sorted(members, key=lambda m: m.session_id)))


class TakeOver(StrEnum):
    DONE = "done"  # their answers count for the unit from now on
    ALREADY = "already"  # they were counted before this message
    NO_COLLEAGUE = "no_colleague"  # nobody else of the unit answered: nothing to take over
    NO_LINK = "no_link"  # not linked (withdrawn, deleted) or the survey counts per person


def take_over(
    *, session: Session, respondent_id: int, flow_id: str, counting: CountingUnit, now: datetime
) -> TakeOver:
    """Make the respondent's answers the unit's counted ones (sets `took_over_at`)."""
    unit = unit_of(session=session, respondent_id=respondent_id, flow_id=flow_id, counting=counting)
    if unit is None:
        return TakeOver.NO_LINK
    if not unit.others():
        return TakeOver.NO_COLLEAGUE
    if unit.counts_theirs():
        return TakeOver.ALREADY
    unit.link.took_over_at = now
    session.add(unit.link)
    return TakeOver.DONE


@dataclass(frozen=True)
class CountedAnswers:
    """The answers a unit counts, when they are a colleague's (no name, no contact)."""

    flow_version: int
    answers: Mapping[str, Answer]
    completed: bool


def counted_answers(*, session: Session, unit: Unit) -> CountedAnswers | None:
    """The colleague's answers the unit counts; None when the counted ones are the
    respondent's own (or nobody's)."""
    chosen = unit.counted()
    if chosen is None or chosen.respondent_id == unit.link.respondent_id:
        return None
    row = session.get(SurveySession, chosen.session_id)
    if row is None:
        return None
    state = SessionState.from_json(row.state_json)
    return CountedAnswers(row.flow_version, state.answers, row.completed_at is not None)
