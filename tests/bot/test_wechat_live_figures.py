"""Live figures through POST /wechat (real signed XML, real dispatcher, default privacy
thresholds): the seen cases as a WeChat user gets them, each passive reply ≤ 2048 bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.wechat.menu import MenuKey
from bot.devtools.wechat_sim import WeChatSimulator
from tests.bot.wechat_harness import Harness, open_harness


@pytest.fixture
async def live(db_url: str) -> AsyncIterator[Harness]:
    async with open_harness(db_url, snapshot_min_respondents=5) as opened:
        yield opened


async def answer(sim: WeChatSimulator, openid: str, *texts: str) -> str:
    reply = None
    for text in texts:
        reply = await sim.send_text(openid, text)
        assert reply.status == 200
        assert len(reply.body.encode()) <= 2048 + 600  # the XML envelope around ≤ 2048 bytes
        assert reply.text is None or len(reply.text.encode()) <= 2048
    assert reply is not None and reply.text is not None
    return reply.text


async def test_nobody_else_is_said_without_a_percentage_over_wechat(live: Harness) -> None:
    sim = live.simulator(safe=False)
    for n in range(4):
        await answer(sim, f"o_s{n}", "hi", "3", "2", "1")
    text = await answer(sim, "o_s4", "hi", "中文", "2", "1,4")
    assert text.splitlines()[0] == "✓ 已记录：内饰、底盘"  # the confirmation first
    assert text.splitlines()[2] == (
        "5 位受访者中，您和大多数其他人（最多 2 人例外）选择了“内饰”；目前只有您选择了“底盘”。"
    )


async def test_the_results_menu_shows_only_answered_questions(live: Harness) -> None:
    sim = live.simulator(safe=True)
    for n in range(5):
        await answer(sim, f"o_s{n}", "hi", "English", "2", "1", "2")
    results = await sim.send_event("o_s4", "CLICK", MenuKey.LATEST_RESULTS)
    assert results.status == 200 and results.text is not None
    text = results.text
    assert text.startswith("Results so far (only the questions you have answered):")
    flow = live.runtime.flow
    for asked in ("role", "commodity", "function"):
        assert f"{flow.question(asked).text.en} (of 5 respondents)" in text
    figures = text.split("[4/")[0]
    for later in flow.questions[flow.position("function") + 1 :]:
        assert later.text.en not in figures
    assert "Interior most (incl. you)" in text and "%" not in figures
