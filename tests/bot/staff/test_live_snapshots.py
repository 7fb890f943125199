"""Respondent-side figures through the real dispatcher: the peer snapshot after each
answer (withheld below the privacy threshold), the completion summary with its peer
segment, and the completion chart image."""

from __future__ import annotations

import base64
import dataclasses
import json

from bot.completion_charts import ChartWorker
from bot.envelope import Channel, Envelope
from bot.service import Service, ServiceConfig
from flows.events import Inbound, Intent
from tests.bot.staff.conftest import OEM, SUPPLIER, Chat

PNG = b"\x89PNG\r\n\x1a\n"
# The bilingual snapshot line once 3 respondents (the test threshold) chose 供应商 Supplier.
SUPPLIER_SNAPSHOT = "你和 100.00% 的受访者一样选择了“供应商”（共 3 人） / Like 100.00% of 3 respondents, you answered Supplier."  # noqa: E501


def after_role(chat: Chat, user: str, language: str = "3", role: str = "2") -> str:
    chat.send(user, intent=Intent.START)
    chat.send(user, language)
    return chat.send(user, role).text


def test_no_snapshot_below_the_threshold_then_one_line_in_the_reply(chat: Chat) -> None:
    first = after_role(chat, "s1")
    second = after_role(chat, "s2")
    for text in (first, second):
        assert text.startswith("【2/")  # straight to the next question: nothing to compare yet
        assert "受访者" not in text and "respondents" not in text
    third = after_role(chat, "s3")
    assert third.splitlines()[0] == SUPPLIER_SNAPSHOT
    assert "【2/" in third  # the snapshot opens the message that asks the next question


def test_multiple_choice_snapshot_names_each_chosen_option(chat: Chat) -> None:
    for user in ("s1", "s2", "s3"):
        after_role(chat, user)
        reply = chat.send(user, "1,4").text
    assert reply.splitlines()[0] == (
        "共 3 位受访者中，100.00% 选择了“内饰”，100.00% 选择了“底盘” / "
        "Of 3 respondents, 100.00% also chose Interior, 100.00% also chose Chassis."
    )


def test_snapshot_in_the_respondent_s_language(chat: Chat) -> None:
    after_role(chat, "s1")
    after_role(chat, "s2")
    english = after_role(chat, "o1", language="English", role="1")
    assert english.splitlines()[0] == "Like 33.33% of 3 respondents, you answered OEM."
    assert "你和" not in english


def test_a_question_can_switch_its_snapshot_off(chat: Chat) -> None:
    flow = chat.runtime.flow
    quiet = tuple(
        dataclasses.replace(q, snapshot=False) if q.id == "role" else q for q in flow.questions
    )
    service = Service(
        chat.runtime.engine,
        dataclasses.replace(flow, questions=quiet, _index={}),
        config=ServiceConfig(snapshot_min_respondents=1),
    )
    chat.runtime.service = service
    for user in ("s1", "s2", "s3"):
        assert after_role(chat, user).startswith("【2/")
    # Other questions keep theirs (here from 1 respondent on).
    assert chat.send("s3", "1").text.startswith("共 1 位受访者中，100.00% 选择了“内饰”")


def draw_charts(chat: Chat, *, channels: tuple[str, ...] = ("wechat",)) -> dict[str, bytes]:
    """Run the chart worker once; recipient → PNG queued for delivery."""
    runtime = chat.runtime
    worker = ChartWorker(
        runtime.engine, runtime.flow, channels=channels, min_respondents=3, clock=lambda: chat.now
    )
    worker.run_once()
    images = {}
    for item in chat.outbox():
        if item.kind == "image" and item.status == "pending":
            (image,) = json.loads(item.payload_json)["images"]
            images[item.recipient] = base64.b64decode(image)
    return images


def test_completion_summary_compares_with_suppliers_of_the_same_commodity(chat: Chat) -> None:
    lonely = chat.survey("s1", SUPPLIER)
    assert "参与人数较少" in lonely.text and "与您同类" not in lonely.text
    chat.survey("s2", SUPPLIER)
    chat.survey("o1", OEM)
    done = chat.survey("s3", SUPPLIER)
    text = done.text
    assert "目前的调查结果（共 4 位受访者）" in text and "Results so far (4 respondents)" in text
    assert "与您同类（内饰）的 3 家供应商相比" in text
    assert "Compared with 3 suppliers like you (Interior):" in text
    segment = text.split("Compared with 3 suppliers like you (Interior):")[1]
    assert "Not Yet Determined" not in segment.split("Which function")[0]  # the OEM's answer
    assert "ISO14064 100.00%" in segment
    assert "Are you an OEM or a Supplier?" not in segment.split("AIAG has launched")[0]
    assert "wenjuan.com" in text  # the follow-up survey invitation
    assert all(m.image_png is None for m in done.messages)  # the chart follows, drawn apart


def test_the_completion_chart_follows_through_the_outbox(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    assert draw_charts(chat) == {}  # alone: every question below the threshold, no chart
    chat.survey("s2", SUPPLIER)
    chat.survey("s3", SUPPLIER)
    chat.survey("t1", SUPPLIER, channel=Channel.TELEGRAM)
    charts = draw_charts(chat)
    assert set(charts) == {"s2", "s3"}  # drawn from today's figures; s1's was dropped
    assert all(png.startswith(PNG) for png in charts.values())
    assert set(draw_charts(chat, channels=("telegram",))) == {"s2", "s3", "t1"}
    assert draw_charts(chat, channels=("wechat", "telegram")).keys() == {"s2", "s3", "t1"}


def test_no_chart_for_a_respondent_who_deleted_their_data(chat: Chat) -> None:
    for user in ("s1", "s2", "s3", "s4"):
        chat.survey(user, SUPPLIER)
    chat.send("s4", "删除我的数据")
    chat.send("s4", "是")
    assert set(draw_charts(chat)) == {"s1", "s2", "s3"}


def test_an_oem_gets_no_supplier_segment(chat: Chat) -> None:
    for user in ("s1", "s2", "s3"):
        chat.survey(user, SUPPLIER)
    done = chat.survey("o1", OEM)
    assert "Results so far (4 respondents)" in done.text
    assert "suppliers like you" not in done.text


def test_a_retried_chart_command_gets_its_reply_again_and_one_chart(chat: Chat) -> None:
    """WeChat retries a push whose reply it did not get: the stored reply, and the chart
    queued once (it is drawn and sent through the outbox)."""
    for user in ("s1", "s2", "s3"):
        after_role(chat, user)
    envelope = Envelope(Channel.WECHAT, "o_staff", "retry-chart", Inbound(chat.now, "/chart 1"))
    first = chat.runtime.service.handle_sync(envelope)
    again = chat.runtime.service.handle_sync(envelope)
    assert not first.duplicate and again.duplicate
    assert "图表生成中" in first.messages[0].text
    assert again.messages == first.messages
    assert len([o for o in chat.outbox() if o.kind == "staff_chart"]) == 1


def test_peer_segments_stay_exact_through_edits_restarts_and_deletions(chat: Chat) -> None:
    """The dispatcher keeps the segment counters from the states before and after each
    step; whatever respondents type, they equal a recount from the answer rows."""
    import random

    from storage.consistency import verify
    from storage.db import transaction

    rng = random.Random(5)
    users = ["s1", "s2", "s3", "o1"]
    for user in users[:3]:
        chat.survey(user, SUPPLIER)
    chat.survey("o1", OEM)
    texts = ["修改 1", "修改 2", "1", "2", "1,4", "3 5", "返回", "跳过", "重新开始", "是",
             "否", "删除我的数据", "2、7", "中文", "9", "你好"]  # fmt: skip
    for _ in range(160):
        chat.send(rng.choice(users), rng.choice(texts))
        with transaction(chat.runtime.engine) as session:
            assert verify(session=session, flow_id=chat.runtime.flow.id) == []
