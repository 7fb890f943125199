"""Every staff reply the handler produced renders in 中文, English and bilingual."""

from __future__ import annotations

from dataclasses import replace

from bot.dispatch.render import Renderer, template_keys
from bot.reports.round_changes import change_report
from flows.model import Lang, Text
from flows.replies import Reply
from flows.reply_registry import template_name
from flows.staff_replies import (
    StaffBroadcastMessage,
    StaffContactAlert,
    StaffContactNotice,
    StaffContactReminder,
    StaffRemind,
)
from flows.staff_report_replies import StaffChanges, StaffChangesUnmapped, StaffFilterLine
from flows.state import Answer
from tests.bot.staff.conftest import OEM, SUPPLIER, Chat

RIGHT_NOW = [*SUPPLIER[:-2], "1", "是", "张三", "ACME", "13800138000", "跳过", "跳过", "2"]


class RecordingRenderer(Renderer):
    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []

    def render(self, reply: Reply, lang: Lang) -> str:
        self.replies.append(reply)
        return super().render(reply, lang)


def test_staff_replies_render_in_every_language(chat: Chat) -> None:
    recorder = RecordingRenderer()
    handler = chat.runtime.service.staff_handler
    assert handler is not None
    handler.renderer = recorder  # type: ignore[attr-defined]
    chat.survey("s1", RIGHT_NOW)
    chat.survey("o1", OEM)
    chat.survey("g1", [*SUPPLIER[:-1], "1", "甲公司", "跳过", "上海"])
    chat.survey("g2", [*SUPPLIER[:-1], "1", "乙公司", "跳过", "苏州"])
    for text in ["/help", "/stats", "/stats all", "/stats 2 by 2", "/stats where 1=bus",
                 "/stats 6", "/contacts all", "/claim 1", "/unclaim 1", "/unclaim 1",
                 "/assign 1 2", "/assign 1 nobody", "/assign 1", "/stats 11", "/stats 6 by 1",
                 "/stats 99", "/stats 11 by 1",
                 "/stats contact_name", "/progress", "/contacts", "/claim", "/claim 9",
                 "/claim 1", "/claim 1", "/done 1 ok", "/done 1", "/export", "/dashboard",
                 "/broadcast hi", "/confirm", "/confirm", "/broadcast", "/broadcast hi",
                 "/cancel", "/chart 4", "/chart 11", "/survey", "/survey 2", "/survey x",
                 "/survey 1", "/test", "/test end", "/test mark 1", "/test mark 1",
                 "/test unmark 1", "/test mark 99", "/test x", "/remind",
                 "/changes 1", "/orgs", "/orgs x",
                 "/orgs merge 1 9", "/orgs merge 1 2", "/orgs split L2"]:  # fmt: skip
        chat.staff(text)
    # Sent to others (broadcast recipients, staff by the re-notification job):
    recorder.replies.append(StaffBroadcastMessage(text="大家好 Hello"))
    reminder = StaffContactReminder(reference="C-000001", created="2026-03-02 09:00", hours="24")
    recorder.replies.append(reminder)
    # Rendered for the outbox (new-request alerts, notices to the other staff):
    alert = StaffContactAlert(
        reference="C-000001",
        reason=Text("问卷", "survey"),
        created="x",
        details=[("姓名 Name", "张三")],
        question=None,
        number=None,
    )
    recorder.replies.append(alert)
    notice = StaffContactNotice(
        action="claimed",
        reference="C-000001",
        actor="王芳",
        to_you=False,
        assignee=None,
        details=[],
    )
    recorder.replies.append(notice)
    unfiltered = StaffFilterLine(
        conditions=[], since=None, until=None, channel=None, language=None, test=False
    )
    recorder.replies.append(unfiltered)
    closed = StaffRemind(queued=None, title=Text("调查", "Survey"), hours=1)
    recorder.replies.append(closed)  # /remind on a closed survey
    # A survey with a previous round (tests/bot/test_rounds_reports.py runs them for real):
    flow = chat.runtime.flow
    role = flow.questions[0]
    pairs = [(Answer((role.options[0].id,)), Answer((role.options[1].id,)))]
    report = change_report(flow, role, role.id, pairs)
    changes = StaffChanges(question=role, number="1", survey="earlier", report=report)
    recorder.replies.append(changes)
    empty = replace(changes, report=change_report(flow, role, role.id, []))
    recorder.replies.append(empty)
    unmapped = StaffChangesUnmapped(question=role, number="1", survey="earlier")
    recorder.replies.append(unmapped)
    keys = {template_name(r) for r in recorder.replies}
    assert {k for k in template_keys(Lang.ZH) if k.startswith("staff_")} <= keys
    plain = Renderer()
    for reply in recorder.replies:
        for lang in Lang:
            assert plain.render(reply, lang).strip(), (reply, lang)


def test_a_bilingual_notice_lists_the_contact_details_once() -> None:
    """An assignment tells both headlines, then the details (labelled in both languages)
    once: not the personal data twice in one message."""
    details = [("姓名 Name", "张三"), ("电话 Phone", "+8613800138000")]
    notice = StaffContactNotice(
        action="assigned", reference="C-000003", actor="李明", to_you=True, assignee=None,
        details=details,
    )  # fmt: skip
    text = Renderer().render(notice, Lang.BOTH)
    assert text == (
        "李明 把联系请求 C-000003 指派给了您。\n"
        "李明 assigned contact request C-000003 to you.\n"
        "  姓名 Name：张三\n"
        "  电话 Phone：+8613800138000"
    )
    assert Renderer().render(notice, Lang.EN).count("+8613800138000") == 1
