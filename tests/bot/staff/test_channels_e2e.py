"""Staff commands and held broadcasts over the real channels: signed WeChat pushes
(passive reply + customer-service tail, images by media upload) and Telegram updates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import update

from bot.workers.completion_charts import ChartWorker
from bot.workers.delivery import Delivery
from storage.models import Respondent
from storage.transactions import transaction
from tests.bot.staff.conftest import SECRET, STAFF_TELEGRAM, STAFF_WECHAT, SUPPLIER, make_runtime
from tests.bot.wechat_harness import Harness, open_harness
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import running
from tests.fakes.telegram_user import TelegramUser

UPDATES = [*SUPPLIER[:-2], "2", "2"]  # ends with 有信息更新时 When updated information
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def wechat(db_url: str) -> AsyncIterator[Harness]:
    async with open_harness(
        db_url, staff_raw=f"wechat:{STAFF_WECHAT}", secret_key=SECRET
    ) as harness:
        yield harness


async def deliver(harness: Harness) -> None:
    """The app's background work once: draw queued charts, then send the outbox."""
    runtime = harness.runtime
    worker = ChartWorker(runtime.engine, runtime.catalog, channels=("wechat",), min_respondents=1)
    await anyio.to_thread.run_sync(worker.run_once)
    await harness.deliver()


def sent(harness: Harness, openid: str) -> list[dict[str, object]]:
    calls = harness.api.calls_to("/cgi-bin/message/custom/send")
    return [c.json for c in calls if c.json["touser"] == openid]


async def test_wechat_staff_report_chart_and_a_held_broadcast(wechat: Harness) -> None:
    sim = wechat.simulator(safe=True)
    await sim.send_event("o_sub", "subscribe")
    for text in UPDATES:
        await sim.send_text("o_sub", text)

    report = await sim.send_text(STAFF_WECHAT, "统计 全部")
    assert report.text is not None and report.text.startswith("AIAG Supply Chain Sustainability")
    await deliver(wechat)
    tail = "".join(m["text"]["content"] for m in sent(wechat, STAFF_WECHAT) if "text" in m)
    assert "是 (Yes) 100.00%" in report.text + tail and "立即联系 (Right now)" in report.text + tail

    chart = await sim.send_text(STAFF_WECHAT, "图表 4")
    assert chart.text is not None and chart.text.startswith("【4】")
    assert "图表生成中" in chart.text  # at once; the image follows through the outbox
    await deliver(wechat)
    assert wechat.api.calls_to("/cgi-bin/media/upload")
    assert any(m.get("msgtype") == "image" for m in sent(wechat, STAFF_WECHAT))

    outsider = await sim.send_text("o_outsider", "/stats")
    assert outsider.text is not None and "选项 百分比" not in outsider.text

    # The subscriber last wrote three days ago: outside WeChat's 48-hour window.
    with transaction(wechat.runtime.engine) as session:
        three_days_ago = datetime.now(UTC) - timedelta(days=3)
        session.exec(
            update(Respondent)
            .where(Respondent.channel_user_id == "o_sub")  # type: ignore[arg-type]
            .values(last_inbound_at=three_days_ago)
        )
    preview = await sim.send_text(STAFF_WECHAT, "群发 下周二网络研讨会")
    assert (
        preview.text is not None
        and "稍后 Later (下次来信时 when they next write): 1" in preview.text
    )
    confirmed = await sim.send_text(STAFF_WECHAT, "确认")
    assert confirmed.text is not None and "1 人将在下次来信时收到" in confirmed.text
    await deliver(wechat)
    # Nothing may be sent outside the window (the welcome's tail, queued long ago, went).
    assert not [m for m in sent(wechat, "o_sub") if "研讨会" in str(m)]

    # Staff are never respondents: a bare word gets the staff help, not the survey.
    helped = await sim.send_text(STAFF_WECHAT, "完成")
    assert helped.text is not None and "员工命令" in helped.text
    overview = await sim.send_text(STAFF_WECHAT, "统计")
    # o_sub finished, o_outsider was walked in by its "/stats"; the staff member is not.
    assert overview.text is not None and "开始 Started 2｜完成 Completed 1" in overview.text

    back = await sim.send_text("o_sub", "我的答案")
    assert back.text is not None
    assert back.text.startswith("【AIAG 信息更新 Update】\n下周二网络研讨会")


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


async def test_telegram_staff_commands_answer_in_the_chat(
    db_url: str, telegram_api: FakeBotApi
) -> None:
    runtime = make_runtime(db_url)
    try:
        async with running(telegram_api, runtime.service, staff_ids=[STAFF_TELEGRAM]) as tg:
            staff = TelegramUser(tg.client, telegram_api, user_id=int(STAFF_TELEGRAM))
            respondent = TelegramUser(tg.client, telegram_api, user_id=5001, first_update_id=1)
            await respondent.say("/start")
            for text in SUPPLIER:
                await respondent.say(text)
            await staff.say("/stats@aiag_survey_bot 1")
            assert "供应商 (Supplier)：1｜100.00%｜100.00%" in telegram_api.sent_texts(900)[-1]
            await staff.say("/chart 1")
            assert "drawing the chart" in telegram_api.sent_texts(900)[-1]
            assert telegram_api.calls_to("sendPhoto") == []  # not on the reply path
            worker = ChartWorker(
                runtime.engine, runtime.catalog, channels=("telegram",), min_respondents=1
            )
            await anyio.to_thread.run_sync(worker.run_once)
            later = datetime.now(UTC) + timedelta(seconds=10)
            await Delivery(runtime.engine, {"telegram": tg.channel}, clock=lambda: later).run_once()
            photos = telegram_api.calls_to("sendPhoto")
            # The staff chart (exact figures, staff only); the lone respondent gets no
            # completion chart: one answer per question is below the privacy rule's minimum.
            assert sorted(p.params["chat_id"] for p in photos) == [900]
            await respondent.say("/stats")
            assert "选项" not in telegram_api.sent_texts(5001)[-1]
    finally:
        runtime.engine.dispose()
