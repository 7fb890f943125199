"""The AIAG survey counted per organisation, through the real dispatcher and staff hook:
two colleagues of one company answer differently; staff reports count the company once
and say so, and each colleague's own figures count their own answers for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from bot.dispatch.service import Service, ServiceConfig
from bot.settings import Channel
from bot.staff.handler import build_staff_handler
from bot.surveys.catalog import SurveyCatalog
from flows.model import CountingUnit
from tests.bot.staff.conftest import SUPPLIER, Chat, make_runtime, timeless

TO_14 = SUPPLIER[:-1]  # up to question 14, before the optional organisation step
ALONE = [*TO_14, "2"]  # declined the organisation step: counts on its own
COMPANY = ["1", "甲公司", "跳过", "上海"]
# The second colleague answers question 2 (commodity) with 底盘 (4) only, not 1 and 4.
COLLEAGUE = [TO_14[0], TO_14[1], "4", *TO_14[3:], *COMPANY]


@pytest.fixture
def per_organisation(db_url: str) -> Iterator[Chat]:
    runtime = make_runtime(db_url)
    flow = dataclasses.replace(runtime.flow, counting=CountingUnit.ORGANISATION, _index={})
    catalog = SurveyCatalog.fixed(flow)
    runtime.service = Service(
        runtime.engine,
        catalog,
        config=ServiceConfig(snapshot_min_respondents=3),
        staff_handler=build_staff_handler(runtime.settings, runtime.engine, flow, catalog),
    )
    try:
        yield Chat(runtime)
    finally:
        runtime.engine.dispose()


def test_staff_count_the_company_once_and_name_the_rule(per_organisation: Chat) -> None:
    chat = per_organisation
    for user in ("s1", "s2", "s3", "s4"):  # figures show from 5 (min_cell + 2) on
        chat.survey(user, ALONE)
    chat.survey("wx1", [*TO_14, *COMPANY])  # completes first: 甲公司 counts through it
    chat.survey("tg1", COLLEAGUE, channel=Channel.TELEGRAM)
    overview = chat.staff("/stats").messages[0].text
    assert "开始 Started 5｜完成 Completed 5" in overview  # 6 respondents, 5 units
    assert "计数规则 Counting rule：按机构，每家只计一次" in overview
    question = timeless(chat.staff("/stats 2").text)
    assert "按机构计，每家一次 counted per organisation, each once" in question
    # 甲公司 counts through wx1 (Interior and Chassis), not tg1 (Chassis only).
    assert "受访者 Respondents n = 5；选择 Selections 10" in question
    assert "内饰 (Interior)：5｜50.00%｜100.00%" in question
    progress = chat.staff("/progress").text
    assert "按机构计，每家一次 counted per organisation, each once" in progress
    crosstab = chat.staff("/stats 2 by 1").text
    assert "按机构计，每家一次 counted per organisation, each once" in crosstab


def test_each_colleague_sees_their_own_answers_stand_for_the_company(
    per_organisation: Chat,
) -> None:
    chat = per_organisation
    for user in ("s1", "s2", "s3", "s4"):  # figures show from 5 (min_cell + 2) on
        chat.survey(user, ALONE)
    first = chat.survey("wx1", [*TO_14, *COMPANY]).text
    second = chat.survey("tg1", COLLEAGUE, channel=Channel.TELEGRAM).text
    note = "按机构计，每家一次；您的答案代表您的机构"
    assert note in first and note in second
    # Five units whichever colleague looks: 4 on their own and 甲公司 once, through the
    # colleague looking: tg1 chose Chassis only, so Interior is not theirs.
    assert "（5 人 of 5）" in first and "（5 人 of 5）" in second and "6 人" not in second
    assert "2. ✓内饰 Interior 大多数 most; ✓底盘 Chassis" in first
    assert "2. 内饰 Interior 大多数 most; ✓底盘 Chassis" in second
