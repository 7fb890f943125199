"""/remind (提醒): the one reminder, now, under the reminder job's rules, exactly once.

Given respondents who stopped at different times on both channels, when staff send
/remind, then only those the job could remind (unfinished, silent for over an hour, real,
inside WeChat's 48-hour window, never reminded) get one reminder; a retried delivery of
the same staff message queues nothing more, and neither does the job afterwards.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session

from bot.dispatch.envelope import Channel, Envelope
from bot.staff.commands import StaffCommand, parse_staff_command
from bot.workers.reminders import Reminders
from flows.events import Inbound
from storage.test_data import mark_test, respondent_id_of
from tests.bot.staff.conftest import STAFF_WECHAT, START, SUPPLIER, Chat


def _reminders(chat: Chat) -> list[tuple[str, str]]:
    """(recipient, text) of the reminders in the outbox."""
    rows = [(r.recipient, json.loads(r.payload_json).get("text", "")) for r in chat.outbox()]
    return [(who, text) for who, text in rows if "不再提醒" in text or "no more" in text]


def _population(chat: Chat) -> None:
    chat.now = START - timedelta(hours=60)
    chat.survey("tg-old", SUPPLIER[:3], channel=Channel.TELEGRAM)  # Telegram: no window
    chat.survey("wx-gone", SUPPLIER[:3])  # outside WeChat's 48 hours
    chat.now = START - timedelta(hours=3)
    chat.survey("wx-stopped", SUPPLIER[:4])
    chat.survey("wx-done", SUPPLIER)
    chat.survey("wx-test", SUPPLIER[:3])
    chat.survey("wx-quiet", SUPPLIER[:3])
    chat.send("wx-quiet", "不再提醒")  # opted out
    chat.now = START - timedelta(minutes=10)
    chat.survey("wx-typing", SUPPLIER[:3])  # answering right now: left alone
    with Session(chat.runtime.engine) as session:
        test_id = respondent_id_of(session=session, channel="wechat", channel_user_id="wx-test")
        assert test_id is not None
        mark_test(session=session, respondent_id=test_id, is_test=True, now=chat.now)
        session.commit()
    chat.now = START


def test_remind_queues_the_one_reminder_for_those_due(chat: Chat) -> None:
    _population(chat)

    reply = chat.staff("/remind").text

    assert "已排队发送提醒 2 人" in reply and "Reminders queued: 2" in reply
    sent = _reminders(chat)
    assert sorted(who for who, _ in sent) == ["tg-old", "wx-stopped"]
    wechat = next(text for who, text in sent if who == "wx-stopped")
    assert "第 4 题" in wechat and "weixin://bizmsgmenu" in wechat
    audit = chat.audit()[-1]
    assert audit.action == "remind"
    assert json.loads(audit.detail) == {
        "command": "remind",
        "argument": "",
        "survey": "aiag_carbon",
        "queued": 2,
    }
    # The /progress figures count them.
    assert "提醒 Reminded 2" in chat.staff("/progress").text


def test_a_retried_remind_is_exactly_once(chat: Chat) -> None:
    _population(chat)
    inbound = Inbound(now=START, text="提醒")
    envelope = Envelope(Channel.WECHAT, STAFF_WECHAT, "remind-msg-1", inbound)

    first = chat.runtime.service.handle_sync(envelope)
    again = chat.runtime.service.handle_sync(envelope)  # WeChat retries the same message

    assert first.text == again.text and "已排队发送提醒 2 人" in first.text
    assert len(_reminders(chat)) == 2
    assert [a.action for a in chat.audit()].count("remind") == 1
    # A new /remind, and the job later, remind nobody twice: one reminder per person ever
    # (the job reminds only wx-typing, whom /remind left alone while they were answering).
    assert "已排队发送提醒 0 人" in chat.staff("/remind").text
    later = START + timedelta(hours=21)
    job = Reminders(chat.runtime.engine, chat.runtime.catalog, clock=lambda: later)
    assert job.run_once() == 1
    assert sorted(who for who, _ in _reminders(chat)) == ["tg-old", "wx-stopped", "wx-typing"]


def test_the_job_follows_the_same_rules(chat: Chat) -> None:
    _population(chat)
    # 21 hours on, the job's own wait (20 h) has passed for wx-stopped and wx-typing only;
    # tg-old is past it too (no window on Telegram); wx-gone, test data, opt-out: never.
    later = START + timedelta(hours=21)
    job = Reminders(chat.runtime.engine, chat.runtime.catalog, clock=lambda: later)
    assert job.run_once() == 3
    assert sorted(who for who, _ in _reminders(chat)) == ["tg-old", "wx-stopped", "wx-typing"]
    assert "已排队发送提醒 0 人" in chat.staff("/remind").text


def test_remind_words() -> None:
    assert parse_staff_command("/remind") == parse_staff_command("提醒")
    request = parse_staff_command("提醒")
    assert request is not None and request.command is StaffCommand.REMIND
    assert parse_staff_command("提醒我一下吧") is None  # an answer that starts with the word
