"""Follow-up contacts: /contacts, /claim, /done (and their errors), re-notification."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlmodel import Session

from bot.app import create_app
from bot.envelope import Channel
from bot.staff.renotify import Renotifier
from storage.contacts import find_contact
from storage.models import ContactStatus, OutboxStatus
from tests.bot.staff.conftest import START, SUPPLIER, Chat, make_runtime

RIGHT_NOW = [*SUPPLIER[:-1], "1", "是", "张三", "上海汽车零部件有限公司", "13800138000", "跳过",
             "工作日下午"]  # fmt: skip


def alerts(chat: Chat) -> list[tuple[str, str, str]]:
    return [
        (o.channel, o.recipient, json.loads(o.payload_json)["text"])
        for o in chat.outbox()
        if o.status == OutboxStatus.PENDING.value
    ]


def test_a_request_is_listed_claimed_and_closed(chat: Chat) -> None:
    done = chat.survey("r1", RIGHT_NOW)
    assert "C-000001" in done.text  # the respondent's reference
    assert [(c, r) for c, r, _ in alerts(chat)] == [("wechat", "o_staff"), ("telegram", "900")]

    listing = chat.staff("/contacts").text
    assert "C-000001｜2026-03-02 09:" in listing and "未认领 unclaimed" in listing
    assert "姓名 Name：张三" in listing and "电话 Phone：+8613800138000" in listing
    assert "time：工作日下午" in listing
    assert chat.staff("联系").text == listing

    claimed = chat.staff("/claim C-000001").text
    assert "您已认领 You claimed C-000001" in claimed and "张三" in claimed
    assert "已认领 claimed: wechat:o_staff" in chat.staff("/contacts").text
    assert "You claimed C-000001" in chat.staff("认领 1").text  # claiming again: still yours

    closed = chat.staff("/done C-000001 called back, wants a webinar").text
    assert "C-000001 已完成 is done（备注 note：called back, wants a webinar）" in closed
    assert "（无 none）" in chat.staff("/contacts").text
    with Session(chat.runtime.engine) as session:
        contact = find_contact(session=session, ref="C-000001")
    assert contact.status == ContactStatus.DONE.value
    assert contact.note == "called back, wants a webinar"
    assert contact.claimed_by == "wechat:o_staff"


def test_claim_and_done_errors(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    assert "没有编号为 C-999 的联系请求" in chat.staff("/claim C-999").text
    assert "There is no contact request" in chat.staff("/done 42").text
    assert "/claim C-000012" in chat.staff("/claim").text  # usage
    chat.staff("/claim 1")
    other = chat.staff("/claim 1", channel=Channel.TELEGRAM).text
    assert "C-000001 is claimed by wechat:o_staff" in other
    assert "is claimed by wechat:o_staff" in chat.staff("/done 1", channel=Channel.TELEGRAM).text
    chat.staff("完成 1")
    assert "C-000001 is done already" in chat.staff("/done 1").text
    assert "C-000001 is done already" in chat.staff("/claim 1", channel=Channel.TELEGRAM).text
    actions = [(e.actor, e.action) for e in chat.audit()]
    assert actions == [
        ("wechat:o_staff", "contact_claimed_failed"),
        ("wechat:o_staff", "contact_done_failed"),
        ("wechat:o_staff", "contact_claimed_failed"),
        ("wechat:o_staff", "contact_claimed"),
        ("telegram:900", "contact_claimed_failed"),
        ("telegram:900", "contact_done_failed"),
        ("wechat:o_staff", "contact_done"),
        ("wechat:o_staff", "contact_done_failed"),
        ("telegram:900", "contact_claimed_failed"),
    ]


def test_unclaimed_requests_are_brought_up_again_after_the_configured_hours(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    created = chat.now
    first_alerts = len(alerts(chat))
    staff = (("wechat", "o_staff"), ("telegram", "900"))

    def run_at(hours: float) -> list[str]:
        renotifier = Renotifier(
            chat.runtime.engine,
            staff=staff,
            after_hours=24,
            clock=lambda: created + timedelta(hours=hours),
        )
        return renotifier.run_once()

    assert run_at(23) == []
    assert run_at(24.5) == ["C-000001"]
    reminders = alerts(chat)[first_alerts:]
    assert [(c, r) for c, r, _ in reminders] == list(staff)
    assert "提醒：联系请求 C-000001" in reminders[0][2] and "over 24 hours" in reminders[0][2]
    assert run_at(25) == []  # reminded at 24.5 h: next one due at 48.5 h
    assert run_at(48.6) == ["C-000001"]
    chat.now = created + timedelta(hours=49)
    chat.staff("/claim 1")
    assert run_at(80) == []  # claimed: nobody is reminded any more


async def test_the_app_runs_the_re_notification_job(db_url: str) -> None:
    runtime = make_runtime(db_url, renotify_hours=1)
    chat = Chat(runtime, now=START - timedelta(hours=3))  # the request is 3 hours old
    chat.survey("r1", RIGHT_NOW)
    before = len(alerts(chat))
    app = create_app(runtime.settings, runtime=runtime)
    try:
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if len(alerts(chat)) > before:
                    break
                await asyncio.sleep(0.05)
        assert len(alerts(chat)) == before + 2
    finally:
        runtime.engine.dispose()
