"""One reminder to respondents who stop (issue 17 §7), end to end over POST /wechat.

Given a respondent who stopped at question 4, when the reminder job runs 21 hours later
(on two workers), then exactly one reminder with a tap link is delivered inside the
48-hour window; "继续" brings them back to question 4; staff see 1 reminded, 1 back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app.channel_seams import DatabaseTokenStore
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.sender import WeChatSender
from bot.workers.delivery import Delivery
from bot.workers.reminders import Reminders
from storage.models import Outbox
from storage.reminders import reminder_counts
from storage.transactions import transaction
from tests.bot.wechat_harness import APP_ID, APP_SECRET, Harness


async def _deliver(harness: Harness, now: datetime) -> list[str]:
    api = WeChatApi(
        APP_ID,
        APP_SECRET,
        token_store=DatabaseTokenStore(harness.runtime.engine),
        base_url=harness.api.base_url,
    )
    try:
        await Delivery(
            harness.runtime.engine, {"wechat": WeChatSender(api)}, clock=lambda: now
        ).run_once()
    finally:
        api.close()
    sends = harness.api.calls_to("/cgi-bin/message/custom/send")
    return [c.json["text"]["content"] for c in sends if "text" in c.json]


def _workers(harness: Harness, now: datetime) -> list[Reminders]:
    runtime = harness.runtime
    return [Reminders(runtime.engine, runtime.catalog, clock=lambda: now) for _ in range(2)]


async def test_one_reminder_with_a_tap_link_and_the_way_back(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    for text in ["你好", "中文", "2", "1", "1"]:
        await sim.send_text("o_stopper", text)
    already = len(await _deliver(harness, datetime.now(UTC) + timedelta(seconds=10)))

    early = datetime.now(UTC) + timedelta(hours=19)
    assert [w.run_once() for w in _workers(harness, early)] == [0, 0]  # not yet: 20 h

    later = datetime.now(UTC) + timedelta(hours=21)
    first, second = _workers(harness, later)
    assert (first.run_once(), second.run_once(), first.run_once()) == (1, 0, 0)
    sent = (await _deliver(harness, later + timedelta(seconds=10)))[already:]
    (reminder,) = sent
    assert "第 4 题（共 14 题）" in reminder and "weixin://bizmsgmenu" in reminder
    assert "不再提醒" in reminder and "Reminder" not in reminder  # their language only

    back = await sim.send_text("o_stopper", "继续")
    assert "欢迎回来" in back.text and "【4/14】" in back.text
    with transaction(harness.runtime.engine) as session:
        assert reminder_counts(session=session, flow_ids=["aiag_carbon"]) == (1, 1)

    much_later = later + timedelta(hours=30)
    assert [w.run_once() for w in _workers(harness, much_later)] == [0, 0]  # never twice


async def test_no_reminders_opts_out(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    for text in ["hi", "English", "2"]:
        await sim.send_text("o_optout", text)
    reply = await sim.send_text("o_optout", "no reminders")
    assert "no more reminders" in reply.text and "[2/14]" in reply.text
    later = datetime.now(UTC) + timedelta(hours=21)
    assert [w.run_once() for w in _workers(harness, later)] == [0, 0]


async def test_outside_the_48_hour_window_nobody_is_reminded(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    for text in ["hi", "English", "2"]:
        await sim.send_text("o_gone", text)
    too_late = datetime.now(UTC) + timedelta(hours=48)
    assert [w.run_once() for w in _workers(harness, too_late)] == [0, 0]


async def test_telegram_gets_the_words_without_a_wechat_link(harness: Harness) -> None:
    # The job renders per channel: a Telegram respondent's row in the same database.
    from flows.state import SessionState, Status
    from storage.respondents import lock_respondent
    from storage.session_rows import save_session_row

    start = datetime.now(UTC)
    with transaction(harness.runtime.engine) as session:
        respondent = lock_respondent(
            session=session, channel="telegram", channel_user_id="42", now=start
        )
        assert respondent.id is not None
        version = harness.runtime.flow.version
        state = SessionState("aiag_carbon", version, status=Status.ACTIVE, current="function")
        save_session_row(session=session, respondent_id=respondent.id, state=state, now=start)
    later = start + timedelta(hours=21)
    assert [w.run_once() for w in _workers(harness, later)] == [1, 0]
    with transaction(harness.runtime.engine) as session:
        (row,) = session.exec(select(Outbox).where(Outbox.channel == "telegram")).all()
    assert "weixin" not in row.payload_json and "continue" in row.payload_json
    assert "3/14" not in row.payload_json and "question 3 of 14" in row.payload_json
