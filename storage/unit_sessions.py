"""The counting rule (issue 20 §1): which survey sessions a report counts, in one place.

A flow file's `counting:` (flows.model.CountingUnit) says what each figure counts once:

- `respondent` (the default, AIAG as shipped): every survey session counts.
- `organisation`: each organisation counts once; `plant`: each (organisation, plant key).
  A unit counts through ONE session, its *counted session*:
  1. the session of the unit's link with the latest `took_over_at` (a colleague who took
     over the unit), if any;
  2. else the unit's earliest completed session (earliest `completed_at`);
  3. else its earliest started session (earliest `started_at`).
  Ties go to the lower session id. The unit's figures are that session's answers, all of
  them, whether or not it has finished: a take-over that is still being answered counts
  as the unit's unfinished session.
- Sessions without an organisation link count on their own, one each: nobody is dropped
  from a figure for skipping the optional organisation step.
- Test respondents are left out (unless a report includes test data): they are neither
  counted nor chosen as a unit's counted session.

Merges move every link of the merged-away organisation to the one kept
(storage.organisations.merge), so a link's `organisation_id` is already the organisation
after merges and the merged units count once.

The rule is applied before any other report filter: a filter (an answer, a channel, days)
then keeps some of the counted sessions, so a filtered figure is a part of the unfiltered
one. `viewer` puts one session first in its unit: the figures a respondent is shown count
their own answers for their unit (the privacy rule of bot.reports.disclosure assumes the
viewer is in the base, and a colleague's answers are not theirs to see).

In SQL the rule is its complement, `set_aside`: the linked sessions that are not their
unit's counted one (a window over the survey's organisation links only); a report keeps
every session outside it. `counted_condition` is that WHERE condition on a session id
column; storage.filters adds it to every report's conditions
(storage.filters.ReportFilter.counting), so the per-question figures, cross-tabs,
progress, the dashboard and the exports all obey it. The counters
(storage.aggregates, session_counters, segment_counters) count every session, so a flow
counting per organisation or plant takes the query path (`ReportFilter.narrows`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from flows.model import CountingUnit
from storage.models import Respondent, SurveySession
from storage.organisation_models import OrganisationLink


def set_aside(
    flow_id: str,
    unit: CountingUnit,
    *,
    include_test: bool = False,
    viewer: int | None = None,
) -> SelectOfScalar[Any]:
    """SELECT the ids of `flow_id`'s sessions the rule does not count: the linked sessions
    that are not their unit's counted session. Only linked sessions are ranked (a survey's
    organisation step is optional: most sessions are not read at all), and every session
    outside this set counts."""
    s, link = SurveySession, OrganisationLink
    session_id = col(s.id)
    partition: list[Any] = [col(link.organisation_id)]
    if unit is CountingUnit.PLANT:
        partition.append(col(link.plant_key))
    order: list[Any] = []
    if viewer is not None:
        order.append(case((session_id == viewer, 0), else_=1))
    took_over = col(link.took_over_at)
    completed = col(s.completed_at)
    order += [
        case((took_over.is_(None), 1), else_=0),  # NULLs sort apart on SQLite and PostgreSQL
        took_over.desc(),
        case((completed.is_(None), 1), else_=0),
        completed.asc(),
        col(s.started_at).asc(),
        session_id.asc(),
    ]
    rank = func.row_number().over(partition_by=partition, order_by=order).label("unit_rank")
    ranked: Select[Any, Any] = (
        select(session_id.label("session_id"), rank)
        .select_from(link)
        .join(
            s,
            and_(
                col(s.respondent_id) == col(link.respondent_id),
                col(s.flow_id) == col(link.flow_id),
            ),
        )
        .where(col(link.flow_id) == flow_id)
    )
    if not include_test:
        test = select(Respondent.id).where(col(Respondent.is_test))
        ranked = ranked.where(col(link.respondent_id).not_in(test))
    chosen = ranked.subquery("unit_ranked")
    return select(chosen.c.session_id).where(chosen.c.unit_rank > 1)


def counted_condition(
    session_id: Any,
    flow_id: str,
    unit: CountingUnit,
    *,
    include_test: bool = False,
    viewer: int | None = None,
) -> ColumnElement[bool]:
    """A WHERE condition keeping rows whose `session_id` column is a counted session
    (always true per respondent: every session counts). Test sessions are not set aside
    here: the report filter leaves them out (or in) on its own."""
    if unit is CountingUnit.RESPONDENT:
        return true()
    aside = set_aside(flow_id, unit, include_test=include_test, viewer=viewer)
    return session_id.not_in(aside)  # type: ignore[no-any-return]


def set_aside_ids(
    *, session: Session, flow_id: str, unit: CountingUnit, include_test: bool = False
) -> frozenset[int]:
    """The ids of the sessions not counted (an export's `counted` column is 0 for these:
    the rule ranks the whole survey's links, so this is read once, not per batch)."""
    if unit is CountingUnit.RESPONDENT:
        return frozenset()
    aside = set_aside(flow_id, unit, include_test=include_test)
    return frozenset(int(i) for i in session.exec(aside).all())
