"""What staff read about organisations: `/orgs`, the pending matches, counting units.

Counting units (flows.model.CountingUnit): per respondent every survey session counts;
per organisation each organisation counts once however many of its people answered;
per plant each (organisation, plant key). The rule, which session speaks for a unit,
is storage.unit_sessions's; `unit_count` counts through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from flows.model import CountingUnit
from storage.filters import ReportFilter, session_conditions
from storage.models import Respondent, SurveySession
from storage.organisation_models import (
    MatchStatus,
    Organisation,
    OrganisationLink,
    OrganisationMatch,
)


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    respondent_id: int
    channel: str
    plant: str | None
    completed: bool


@dataclass(frozen=True)
class OrganisationRow:
    id: int
    name: str
    code: str | None
    links: tuple[LinkRow, ...]

    @property
    def completed(self) -> int:
        return sum(1 for link in self.links if link.completed)


@dataclass(frozen=True)
class MatchRow:
    id: int
    organisation: str
    candidate: str
    score: int


@dataclass(frozen=True)
class UnitCount:
    unit: CountingUnit
    started: int  # units with at least one session
    completed: int  # units with at least one completed session


def organisations(*, session: Session, flow_id: str) -> list[OrganisationRow]:
    """Active organisations with a respondent in `flow_id`, most respondents first."""
    rows = session.exec(
        select(Organisation, OrganisationLink, Respondent, SurveySession.completed_at)
        .join(OrganisationLink, col(OrganisationLink.organisation_id) == Organisation.id)
        .join(Respondent, col(Respondent.id) == OrganisationLink.respondent_id)
        .outerjoin(
            SurveySession,
            (col(SurveySession.respondent_id) == OrganisationLink.respondent_id)
            & (col(SurveySession.flow_id) == OrganisationLink.flow_id),
        )
        .where(OrganisationLink.flow_id == flow_id, col(Organisation.merged_into).is_(None))
        .where(col(Respondent.is_test).is_(False))
        .order_by(col(Organisation.id), col(OrganisationLink.id))
    ).all()
    grouped: dict[int, tuple[Organisation, list[LinkRow]]] = {}
    for organisation, link, respondent, completed_at in rows:
        assert organisation.id is not None and link.id is not None
        entry = grouped.setdefault(organisation.id, (organisation, []))
        entry[1].append(
            LinkRow(
                link_id=link.id,
                respondent_id=link.respondent_id,
                channel=respondent.channel,
                plant=link.plant_given,
                completed=completed_at is not None,
            )
        )
    out = [
        OrganisationRow(org_id, org.name, org.code, tuple(links))
        for org_id, (org, links) in grouped.items()
    ]
    return sorted(out, key=lambda row: (-len(row.links), row.id))


def pending_matches(*, session: Session) -> list[MatchRow]:
    """Likenesses waiting for staff, between organisations that are both still active."""
    matches = session.exec(
        select(OrganisationMatch)
        .where(OrganisationMatch.status == MatchStatus.PENDING)
        .order_by(col(OrganisationMatch.id))
    ).all()
    out: list[MatchRow] = []
    for match in matches:
        first = session.get(Organisation, match.organisation_id)
        second = session.get(Organisation, match.candidate_id)
        if first is None or second is None or first.merged_into or second.merged_into:
            continue
        assert match.id is not None
        out.append(MatchRow(match.id, first.name, second.name, match.score))
    return out


def unit_count(*, session: Session, flow_id: str, unit: CountingUnit) -> UnitCount:
    """How many units started and completed `flow_id`, counted by `unit`: each unit's
    counted session (storage.unit_sessions), completed or not."""
    kept = and_(
        col(SurveySession.flow_id) == flow_id,
        *session_conditions(ReportFilter(counting=unit), flow_id),
    )
    started, completed = session.exec(
        select(func.count(), func.count(col(SurveySession.completed_at))).where(kept)
    ).one()
    return UnitCount(unit, int(started), int(completed))
