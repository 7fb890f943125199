"""Recognising organisations across chat accounts, and staff's merge / split / confirm.

`recognise` runs in the dispatcher's transaction when the organisation step is done
(`flows.events.OrganisationGiven`): the same 统一社会信用代码 is the same organisation;
without one, the same name key (flows.organisation.name_key) is; a merely similar name
creates a new organisation and a pending `organisation_match` for staff. Merges, splits
and match decisions are staff commands (bot.staff.org_commands), audited there.
Functions take `*, session` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from flows.events import OrganisationGiven
from flows.organisation import PROPOSE_AT, likeness, name_key, plant_key
from storage.organisation_models import (
    MatchStatus,
    Organisation,
    OrganisationLink,
    OrganisationMatch,
)


class OrganisationError(ValueError):
    """A staff request that cannot be carried out; `reason` names why (for the reply)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Recognised:
    organisation_id: int
    created: bool  # a new organisation (perhaps with proposed matches)
    proposed: int  # pending matches created for staff


def recognise(
    *,
    session: Session,
    respondent_id: int,
    flow_id: str,
    given: OrganisationGiven,
    now: datetime,
) -> Recognised | None:
    """Link the respondent's answers in `flow_id` to their organisation (None: unlinked)."""
    link = _link_of(session, respondent_id, flow_id)
    if given.name is None:
        if link is not None:
            session.delete(link)
        return None
    key = name_key(given.name) or given.name.casefold()
    organisation = _find(session, key, given.code)
    created, proposed = organisation is None, 0
    if organisation is None:
        organisation = Organisation(name=given.name, name_key=key, code=given.code, created_at=now)
        session.add(organisation)
        session.flush()
        proposed = _propose(session, organisation, now)
    elif given.code and organisation.code is None:
        organisation.code = given.code
        session.add(organisation)
    assert organisation.id is not None
    if link is None:
        link = OrganisationLink(
            respondent_id=respondent_id, flow_id=flow_id, organisation_id=0, name_given=""
        )
    unit = (organisation.id, plant_key(given.plant))
    if (link.organisation_id, link.plant_key) != unit:
        link.took_over_at = None  # a take-over was of the unit they answered for before
    link.organisation_id, link.plant_key = unit
    link.name_given, link.code_given, link.plant_given = given.name, given.code, given.plant
    link.created_at = now
    session.add(link)
    return Recognised(organisation.id, created, proposed)


def _find(session: Session, key: str, code: str | None) -> Organisation | None:
    active = select(Organisation).where(col(Organisation.merged_into).is_(None))
    if code:
        found = session.exec(active.where(Organisation.code == code)).first()
        if found is not None:
            return found
    for candidate in session.exec(active.where(Organisation.name_key == key)).all():
        # Another code under the same name is another legal entity (a namesake elsewhere).
        if not code or candidate.code in (None, code):
            return candidate
    return None


def _propose(session: Session, new: Organisation, now: datetime) -> int:
    others = session.exec(
        select(Organisation).where(
            col(Organisation.merged_into).is_(None), Organisation.id != new.id
        )
    ).all()
    proposed = 0
    for other in others:
        if new.code and other.code and new.code != other.code:
            continue  # two codes: two legal entities, however alike the names
        score = likeness(new.name_key, other.name_key)
        if score >= PROPOSE_AT:
            assert new.id is not None and other.id is not None
            match = OrganisationMatch(
                organisation_id=new.id,
                candidate_id=other.id,
                score=round(score * 100),
                created_at=now,
            )
            session.add(match)
            proposed += 1
    return proposed


def _link_of(session: Session, respondent_id: int, flow_id: str) -> OrganisationLink | None:
    return session.exec(
        select(OrganisationLink).where(
            OrganisationLink.respondent_id == respondent_id, OrganisationLink.flow_id == flow_id
        )
    ).first()


def active_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationError("unknown_organisation")
    if organisation.merged_into is not None:
        raise OrganisationError("merged_already")
    return organisation


def merge(*, session: Session, keep_id: int, other_id: int, now: datetime) -> int:
    """Move `other`'s respondents to `keep`; returns how many links moved."""
    if keep_id == other_id:
        raise OrganisationError("same_organisation")
    keep = active_organisation(session, keep_id)
    other = active_organisation(session, other_id)
    if keep.code and other.code and keep.code != other.code:
        raise OrganisationError("different_codes")
    links = session.exec(
        select(OrganisationLink).where(OrganisationLink.organisation_id == other_id)
    ).all()
    for link in links:
        link.organisation_id = keep_id
        session.add(link)
    if keep.code is None and other.code is not None:
        keep.code = other.code  # `other` keeps its own too: the trail shows what was merged
    other.merged_into = keep_id
    session.add_all([keep, other])
    for match in _pending_between(session, keep_id, other_id):
        match.status, match.decided_at = MatchStatus.CONFIRMED, now
        session.add(match)
    return len(links)


def split(*, session: Session, link_id: int, now: datetime) -> tuple[int, int]:
    """One respondent's link out into a new organisation: (from id, new id).

    The new organisation takes the name they typed; the code stays with the old one when
    it is the same (a wrong code was not theirs to give), so nothing else moves."""
    link = session.get(OrganisationLink, link_id)
    if link is None:
        raise OrganisationError("unknown_link")
    old = active_organisation(session, link.organisation_id)
    code = link.code_given if link.code_given != old.code else None
    new = Organisation(
        name=link.name_given, name_key=name_key(link.name_given), code=code, created_at=now
    )
    session.add(new)
    session.flush()
    assert new.id is not None and old.id is not None
    link.organisation_id = new.id
    session.add(link)
    # Staff said they differ: never propose the pair again.
    session.add(
        OrganisationMatch(
            organisation_id=new.id,
            candidate_id=old.id,
            score=round(likeness(new.name_key, old.name_key) * 100),
            status=MatchStatus.REJECTED,
            created_at=now,
            decided_at=now,
        )
    )
    return old.id, new.id


def decide_match(
    *, session: Session, match_id: int, same: bool, now: datetime
) -> OrganisationMatch:
    """Staff's answer to a proposed likeness: same (merged into the older) or not."""
    match = session.get(OrganisationMatch, match_id)
    if match is None or match.status != MatchStatus.PENDING:
        raise OrganisationError("unknown_match")
    if same:
        merge(session=session, keep_id=match.candidate_id, other_id=match.organisation_id, now=now)
    match.status = MatchStatus.CONFIRMED if same else MatchStatus.REJECTED
    match.decided_at = now
    session.add(match)
    return match


def _pending_between(session: Session, a: int, b: int) -> list[OrganisationMatch]:
    pairs = ((a, b), (b, a))
    found: list[OrganisationMatch] = []
    for first, second in pairs:
        found += session.exec(
            select(OrganisationMatch).where(
                OrganisationMatch.organisation_id == first,
                OrganisationMatch.candidate_id == second,
                OrganisationMatch.status == MatchStatus.PENDING,
            )
        ).all()
    return found


def forget_links(*, session: Session, respondent_id: int) -> int:
    """ "Delete my data": which organisation they answered for goes; the organisation stays."""
    table = OrganisationLink.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        delete(table).where(table.c.respondent_id == respondent_id)
    )
    return int(result.rowcount or 0)


def links_count(*, session: Session, respondent_id: int) -> int:
    return session.exec(
        select(func.count()).where(OrganisationLink.respondent_id == respondent_id)
    ).one()
