"""The dashboard's filter lives in the URL, and every figure, chart, cross-tab and
download on the page obeys it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from tests.bot.web.conftest import SeededSite, empty_site

OEM = "where=role%3Aoem"


@pytest.fixture
async def staff(sqlite_site: SeededSite) -> AsyncIterator[httpx.AsyncClient]:
    async with sqlite_site.client() as client:
        assert (await client.get(sqlite_site.login_path())).status_code == 200
        yield client


def _value(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match is not None, element_id
    return match[1]


async def test_an_answer_filter_narrows_every_figure_and_every_link(
    staff: httpx.AsyncClient,
) -> None:
    everyone = (await staff.get("/dashboard")).text
    oems = (await staff.get(f"/dashboard?{OEM}")).text
    started = int(_value(oems, "started"))
    assert 0 < started < int(_value(everyone, "started"))
    assert "当前筛选 Filtered: 1. 您是OEM厂商还是供应商？ = 主机厂 (OEM)" in oems
    role = oems[oems.index('data-question="role"') :]
    assert re.search(
        r'data-option="supplier"><td class="label">[^<]*</td><td class="num count">0<', role
    )
    # Every chart, cross-tab link and download carries the filter on.
    for path in ("/dashboard/chart/role.png", "/dashboard/progress.png", "/export/csv",
                 "/export/xlsx", "/dashboard/crosstab"):  # fmt: skip
        assert f'{path}?{OEM}"' in oems, path
    assert '<option value="role:oem" selected>' in oems
    filtered_chart = (await staff.get(f"/dashboard/chart/role.png?{OEM}")).content
    assert filtered_chart != (await staff.get("/dashboard/chart/role.png")).content
    table = (await staff.get(f"/dashboard/crosstab?q=methodology&by=role&{OEM}")).text
    assert 'data-column="supplier">' in table and "n = 0</span>" in table
    assert '<input type="hidden" name="where" value="role:oem">' in table
    download = await staff.get(f"/export/csv?{OEM}")
    rows = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert len(rows) - 1 == started
    role_column = rows[0].index("role")
    assert {row[role_column] for row in rows[1:]} == {"oem"}
    # The workbook's summary sheet counts the filtered respondents only.
    workbook = load_workbook(io.BytesIO((await staff.get(f"/export/xlsx?{OEM}")).content))
    summary = [[c for c in row if c is not None] for row in workbook["summary"].values]
    workbook.close()
    oem_row = next(row for row in summary if row and row[0] == "主机厂 (OEM)")
    assert oem_row == ["主机厂 (OEM)", started, 1.0]


async def test_date_channel_and_language_filters_and_clearing(staff: httpx.AsyncClient) -> None:
    total = int(_value((await staff.get("/dashboard")).text, "started"))
    telegram = (await staff.get("/dashboard?channel=telegram")).text
    wechat = (await staff.get("/dashboard?channel=wechat")).text
    assert "渠道 channel telegram" in telegram
    assert 0 < int(_value(telegram, "started")) < total
    assert int(_value(telegram, "started")) + int(_value(wechat, "started")) == total
    future = (await staff.get("/dashboard?since=2099-01-01")).text
    assert _value(future, "started") == "0" and "暂无回答，无图表 No answers yet" in future
    assert '<img class="chart"' not in future
    everyone = (await staff.get("/dashboard?since=2000-01-01&until=2099-12-31&lang=")).text
    assert int(_value(everyone, "started")) > 0
    assert 'href="/dashboard">清除筛选 Clear</a>' in everyone


async def test_a_bad_filter_or_a_question_crossed_with_itself_is_refused(
    staff: httpx.AsyncClient,
) -> None:
    said = {
        "where=role:bus": "没有这个答案选项 No such answer: role:bus",
        "where=contact_name:x": "没有这个答案选项 No such answer: contact_name:x",
        "since=12-01": "“12-01”不是日期（格式如 2026-12-01）。“12-01” is not a day",
        "channel=fax": "没有“fax”这个渠道（可选：console、telegram、wechat）。No channel “fax”",
    }
    for query, reason in said.items():
        response = await staff.get(f"/dashboard?{query}&survey=aiag_carbon")
        assert response.status_code == 400, query
        assert "筛选无效 Invalid filter" in response.text and reason in response.text, query
        # A way out: the same page without the filter, for the same survey.
        assert 'href="/dashboard?survey=aiag_carbon">清除筛选，返回' in response.text
    reversed_days = await staff.get("/dashboard?since=2026-12-06&until=2026-12-01")
    assert reversed_days.status_code == 400
    assert "开始日期 2026-12-06 晚于结束日期 2026-12-01。" in reversed_days.text
    assert 'href="/dashboard">清除筛选，返回' in reversed_days.text
    same = await staff.get("/dashboard/crosstab?q=role&by=role")
    assert same.status_code == 400 and "不能把一道题和它自己交叉" in same.text


async def test_an_empty_survey_draws_no_charts(db_url: str, engine: Engine) -> None:
    site = empty_site(db_url, engine)
    async with site.client() as client:
        await client.get(site.login_path())
        html = (await client.get("/dashboard")).text
    assert '<img class="chart"' not in html
    assert "暂无回答，无图表 No answers yet, no chart" in html
