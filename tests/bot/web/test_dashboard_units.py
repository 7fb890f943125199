"""The dashboard of a survey counted per organisation: each organisation once, and the
page says so (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.staff.names import StaffNames
from bot.web.dashboard import Dashboard, chart_questions, gather_dashboard
from bot.web.pages import make_environment
from bot.web.survey_choice import Survey
from flows.definition import load_flow
from flows.events import AnswerRecorded, OrganisationGiven
from flows.model import CountingUnit, Flow
from flows.surveys import DEFAULT_FLOW
from storage.transactions import transaction
from tests.storage.sample import apply, new_respondent

NOW = datetime(2026, 3, 2, tzinfo=UTC)
AIAG = load_flow(DEFAULT_FLOW)
PER_ORGANISATION = dataclasses.replace(AIAG, counting=CountingUnit.ORGANISATION, _index={})


def _answer(engine: Engine, user: str, role: str, organisation: str | None) -> None:
    _, session_id = new_respondent(engine, user, flow=AIAG)
    effects: list[object] = [AnswerRecorded("role", (role,))]
    if organisation is not None:
        effects.append(OrganisationGiven(organisation, None, "上海"))
    apply(engine, session_id, *effects)  # type: ignore[arg-type]


def _page(flow: Flow, dashboard: Dashboard) -> str:
    return (
        make_environment()
        .get_template("dashboard.html")
        .render(
            d=dashboard,
            member="staff",
            base="",
            choices=chart_questions(flow),
            survey=Survey(flow, (flow.id,), (flow.version,), explicit=False),
            filter_options=[],
            names=StaffNames((), {}),
            csrf="token",
        )
    )


def test_the_dashboard_counts_each_organisation_once_and_says_so(engine: Engine) -> None:
    _answer(engine, "a", "supplier", "甲公司")  # the earliest started: 甲公司's counted one
    _answer(engine, "b", "oem", "甲公司")
    _answer(engine, "c", "oem", None)
    with transaction(engine, readonly=True) as session:
        units = gather_dashboard(session=session, flow=PER_ORGANISATION, now=NOW)
        people = gather_dashboard(session=session, flow=AIAG, now=NOW)
    role = {s.question.id: s for s in units.sections}["role"]
    assert (units.started, role.stats.respondents) == (2, 2)
    assert {r.option_id: r.count for r in role.rows} == {"oem": 1, "supplier": 1}
    everyone = {s.question.id: s for s in people.sections}["role"]
    assert (people.started, everyone.stats.respondents) == (3, 3)  # per respondent: as before
    html = _page(PER_ORGANISATION, units)
    assert 'id="counting-rule" data-counting="organisation"' in html
    assert "按机构计，每家一次" in html and "per organisation, each counted once" in html
    assert '<div class="label">单位 Units</div>' in html
    plain = _page(AIAG, people)
    assert "counting-rule" not in plain and '<div class="label">受访者 Respondents</div>' in plain
