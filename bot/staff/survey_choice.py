"""`/survey`: which survey a staff member's reports are about (several run side by side).

The choice is kept per staff member in the shared key-value table, so it holds across
workers and restarts; without one, reports are about the default survey.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.settings import StaffMember
from bot.staff.call import Call, Planned, Result, Say
from bot.surveys.catalog import SurveyCatalog
from flows.model import Flow
from flows.staff_replies import StaffSurveys, StaffSurveyUnknown
from storage import surveys as registry
from storage.kv import kv_get, kv_set


def _key(member: StaffMember) -> str:
    return f"staff_survey:{member}"


def chosen_flow(
    *, session: Session, catalog: SurveyCatalog, member: StaffMember, now: datetime
) -> Flow:
    """The newest version of the survey this staff member chose (default: the default)."""
    catalog.refresh(session)
    chosen = kv_get(session=session, key=_key(member), now=now)
    survey_id = chosen if chosen and catalog.newest(chosen) else catalog.default_flow_id
    flow = catalog.newest_flow(session, survey_id)
    assert flow is not None  # the default survey is published at start-up
    return flow


def survey_command(call: Call, catalog: SurveyCatalog, say: Say) -> Planned:
    """`/survey` lists the surveys; `/survey 2` or `/survey aiag_pcf_followup` picks one
    (listed here, in the read transaction; the choice is kept in the write one)."""
    session = call.session
    catalog.refresh(session, force=True)
    ids = catalog.survey_ids()
    ref = call.request.argument.strip()
    picked = _resolve(ref, ids) if ref else None
    if ref and picked is None:
        return Result(say(StaffSurveyUnknown(ref=ref, ids=ids)), "survey")
    if picked is not None:
        current = catalog.newest_flow(session, picked)
        assert current is not None  # listed by the catalog just above
    else:
        current = chosen_flow(session=session, catalog=catalog, member=call.member, now=call.now)
    rows = []
    for number, survey_id in enumerate(ids, 1):
        flow = catalog.newest_flow(session, survey_id)
        assert flow is not None
        # Real respondents only, as /stats, /progress and the dashboard count them.
        counts = registry.version_counts(session=session, flow_id=survey_id, include_test=False)
        rows.append(
            {
                "number": number,
                "id": survey_id,
                "title": flow.title,
                "version": flow.version,
                "open": catalog.is_open(survey_id),
                "started": sum(c.started for c in counts.values()),
                "completed": sum(c.completed for c in counts.values()),
                "versions": sorted(counts),
                "chosen": survey_id == current.id,
            }
        )
    listed = StaffSurveys(surveys=rows, picked=bool(ref), current=current.title)
    result = Result(say(listed), "survey", {"survey": current.id})
    if picked is None:
        return result

    def choose(write: Call) -> Result:
        kv_set(session=write.session, key=_key(write.member), value=picked, expires_at=None)
        return result

    return choose


def _resolve(ref: str, ids: list[str]) -> str | None:
    if ref.isdigit() and 1 <= int(ref) <= len(ids):
        return ids[int(ref) - 1]
    folded = {i.casefold(): i for i in ids}
    return folded.get(ref.casefold())
