"""The dashboard per survey: `?survey=ID` on every page, link and download."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.reports.export import export_columns
from bot.web.dashboard import chart_questions
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from tests.bot.web.conftest import SeededSite

PNG = b"\x89PNG\r\n\x1a\n"
FOLLOWUP = DEFAULT_FLOW.with_name("aiag_pcf_followup.yaml")


@pytest.fixture
async def staff(sqlite_site: SeededSite) -> AsyncIterator[httpx.AsyncClient]:
    async with sqlite_site.client() as client:
        assert (await client.get(sqlite_site.login_path())).status_code == 200
        yield client


async def test_the_default_survey_names_its_versions_and_the_others(
    staff: httpx.AsyncClient,
) -> None:
    html = (await staff.get("/dashboard")).text
    assert "问卷版本 Versions: 3</p>" in html
    # The switcher names the surveys by title; choosing one opens its page.
    assert '<option value="aiag_pcf_followup">AIAG 产品碳足迹（PCF）后续调查</option>' in html
    assert '<option value="aiag_carbon" selected>' in html
    assert '<form class="surveys" method="get" action="/dashboard">' in html
    assert 'href="/export/csv"' in html  # the default survey's links carry nothing


async def test_the_follow_up_survey_has_its_own_page(staff: httpx.AsyncClient) -> None:
    flow = load_flow(FOLLOWUP)
    html = (await staff.get("/dashboard?survey=aiag_pcf_followup")).text
    assert "AIAG 产品碳足迹（PCF）后续调查" in html
    assert "尚无回答 no answers yet" in html
    assert '<div class="value" id="started">0</div>' in html
    assert 'href="/export/csv?survey=aiag_pcf_followup"' in html
    assert 'href="/dashboard/crosstab?survey=aiag_pcf_followup"' in html
    first = chart_questions(flow)[0]
    # No answers: no empty chart on the page (the chart itself still draws).
    assert f'src="/dashboard/chart/{first.id}.png' not in html
    chart = await staff.get(f"/dashboard/chart/{first.id}.png?survey=aiag_pcf_followup")
    assert chart.status_code == 200 and chart.content.startswith(PNG)
    # A question of the other survey is no chart of this one.
    assert (
        await staff.get("/dashboard/chart/role.png?survey=aiag_pcf_followup")
    ).status_code == 404
    crosstab = await staff.get("/dashboard/crosstab?survey=aiag_pcf_followup")
    assert crosstab.status_code == 200
    assert '<input type="hidden" name="survey" value="aiag_pcf_followup">' in crosstab.text
    progress = await staff.get("/dashboard/progress.png?survey=aiag_pcf_followup")
    assert progress.status_code == 200 and progress.content.startswith(PNG)


async def test_the_follow_up_export_has_its_columns(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/export/csv?survey=aiag_pcf_followup")
    assert response.status_code == 200
    assert 'filename="aiag_pcf_followup-' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [export_columns(load_flow(FOLLOWUP))]  # nobody answered it yet


async def test_an_unknown_survey_is_a_404_without_data(staff: httpx.AsyncClient) -> None:
    for path in (
        "/dashboard?survey=ghost",
        "/export/csv?survey=ghost",
        "/dashboard/crosstab?survey=<x>",
    ):
        response = await staff.get(path)
        assert response.status_code == 404, path
        assert "No such survey" in response.text and "<x>" not in response.text
