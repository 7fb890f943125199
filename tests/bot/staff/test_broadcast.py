"""/broadcast: counted now and later by each channel's rules, confirmed, held, released."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.dispatch.envelope import Channel
from bot.staff.broadcast import reachable_now
from storage.broadcasts import HELD
from storage.models import OutboxStatus, Respondent
from tests.bot.staff.conftest import OEM, START, SUPPLIER, Chat

UPDATES = [*SUPPLIER[:-2], "2", "2"]  # 有信息更新时 When updated information (bilingual replies)
UPDATES_EN = [*OEM[:-2], "2", "no"]  # the same in English
NEWS = "网络研讨会 3月10日 Webinar on 10 March"


def subscribers(chat: Chat) -> None:
    chat.now = START - timedelta(hours=100)
    chat.survey("t_user", UPDATES_EN, channel=Channel.TELEGRAM)  # Telegram: reachable any time
    chat.now = START - timedelta(hours=49)
    chat.survey("w_old", UPDATES)  # last wrote 49 h ago: outside WeChat's window
    chat.now = START
    chat.survey("w_recent", UPDATES)
    chat.survey("c_user", UPDATES, channel=Channel.CONSOLE)  # a terminal: only when it writes
    chat.survey("w_not_subscribed", SUPPLIER)


def test_preview_confirm_and_delivery_by_channel(chat: Chat) -> None:
    subscribers(chat)
    alerts_before = {o.id for o in chat.outbox()}
    preview = chat.staff(f"/broadcast {NEWS}").text
    assert NEWS in preview
    assert "现在 Now: 2｜稍后 Later (下次来信时 when they next write): 2" in preview
    assert {o.id for o in chat.outbox()} == alerts_before  # nothing sent before /confirm

    sent = chat.staff("/confirm").text
    assert "已群发：2 人现在收到，2 人将在下次来信时收到。" in sent
    new = [o for o in chat.outbox() if o.id not in alerts_before]
    now = {
        (o.channel, o.recipient): json.loads(o.payload_json) for o in new if o.status == "pending"
    }
    held = {(o.channel, o.recipient): json.loads(o.payload_json) for o in new if o.status == HELD}
    assert now == {
        ("wechat", "w_recent"): {"texts": [f"【AIAG 信息更新 Update】\n{NEWS}"]},
        ("telegram", "t_user"): {"text": f"[AIAG update]\n{NEWS}"},
    }
    assert set(held) == {("wechat", "w_old"), ("console", "c_user")}

    assert "没有待确认的群发" in chat.staff("/confirm").text  # sent once only
    audit = [(e.action, json.loads(e.detail)) for e in chat.audit()]
    assert audit[0] == ("broadcast_prepared", {"command": "broadcast", "argument": NEWS})
    assert audit[1][0] == "broadcast_sent"
    assert (audit[1][1]["now"], audit[1][1]["later"], audit[1][1]["text"]) == (2, 2, NEWS)
    assert audit[2][0] == "broadcast_confirm_nothing"


def test_held_broadcast_goes_out_with_the_reply_to_the_next_message(chat: Chat) -> None:
    subscribers(chat)
    chat.staff(f"/broadcast {NEWS}")
    chat.staff("确认")  # the Chinese word confirms while a broadcast waits
    reply = chat.send("w_old", "我的答案", wait=timedelta(hours=3))
    assert reply.messages[0].text == f"【AIAG 信息更新 Update】\n{NEWS}"
    assert "我的答案" not in reply.messages[0].text and len(reply.messages) >= 2
    again = chat.send("w_old", "我的答案")
    assert NEWS not in again.text
    held = [o for o in chat.outbox() if o.recipient == "w_old" and o.kind == "broadcast"]
    assert [o.status for o in held] == [OutboxStatus.SENT.value]
    console = chat.send("c_user", "help", channel=Channel.CONSOLE)
    assert console.messages[0].text.endswith(NEWS)


def test_the_48_hour_window_decides_now_or_later(chat: Chat) -> None:
    chat.now = START - timedelta(hours=49)
    chat.survey("w_49h", UPDATES)
    chat.now = START - timedelta(hours=47)
    chat.survey("w_47h", UPDATES)
    chat.now = START
    preview = chat.staff(f"/broadcast {NEWS}").text
    assert "现在 Now: 1｜稍后 Later (下次来信时 when they next write): 1" in preview
    chat.staff("/confirm")
    pending = {
        o.recipient for o in chat.outbox() if o.status == "pending" and o.channel == "wechat"
    }
    held = {o.recipient for o in chat.outbox() if o.status == HELD}
    assert "w_47h" in pending and held == {"w_49h"}


def test_reachable_now_rules() -> None:
    now = START
    wechat = Respondent(channel="wechat", channel_user_id="w", created_at=now)
    assert not reachable_now(wechat, now)  # never wrote (no window)
    for hours, expected in ((1, True), (47.5, True), (47.95, False), (48, False), (72, False)):
        wechat.last_inbound_at = now - timedelta(hours=hours)
        assert reachable_now(wechat, now) is expected, hours
    telegram = Respondent(channel="telegram", channel_user_id="1", created_at=now)
    assert reachable_now(telegram, now)
    console = Respondent(channel="console", channel_user_id="me", created_at=now)
    assert not reachable_now(console, now)


def test_cancel_expiry_and_confirm_words(chat: Chat) -> None:
    chat.now = START
    chat.survey("w_recent", UPDATES)
    assert "没有待确认的群发" in chat.staff("/cancel").text
    chat.staff(f"/broadcast {NEWS}")
    assert "已取消群发" in chat.staff("取消").text
    assert "没有待确认的群发" in chat.staff("/confirm").text
    chat.staff(f"/broadcast {NEWS}")
    chat.now += timedelta(minutes=11)  # the pending broadcast lasts 10 minutes
    assert "没有待确认的群发" in chat.staff("/confirm").text
    assert not [o for o in chat.outbox() if NEWS in o.payload_json]
    # Nothing pending (it expired): "确认" says so, as /confirm does, not the whole help;
    # nothing is sent.
    reply = chat.staff("确认").text
    assert "没有待确认的群发" in reply and "已群发" not in reply
    assert "没有待确认的群发" in chat.staff("取消").text
    assert '"command": "cancel"' in chat.audit()[-1].detail
    assert not [o for o in chat.outbox() if NEWS in o.payload_json]


def test_empty_and_too_long_broadcasts_are_refused(chat: Chat) -> None:
    assert "请写上要群发的内容" in chat.staff("/broadcast").text
    assert "too long" in chat.staff("/broadcast " + "长" * 1501).text
    assert "没有待确认的群发" in chat.staff("/confirm").text
