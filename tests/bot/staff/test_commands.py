"""Parsing staff commands: slash and Chinese forms, arguments, question references."""

from __future__ import annotations

import pytest

from bot.staff.commands import (
    StaffCommand,
    StaffRequest,
    find_question,
    parse_staff_command,
    split_by,
    split_reference,
)
from flows.model import Flow

C = StaffCommand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/stats", StaffRequest(C.STATS)),
        ("  /STATS  ", StaffRequest(C.STATS)),
        ("/stats@aiag_survey_bot 6", StaffRequest(C.STATS, "6")),
        ("／ｓｔａｔｓ 6", StaffRequest(C.STATS, "6")),  # a full-width keyboard
        ("/stats methodology by role", StaffRequest(C.STATS, "methodology by role")),
        ("统计", StaffRequest(C.STATS)),
        ("统计。", StaffRequest(C.STATS)),
        ("统计6", StaffRequest(C.STATS, "6")),
        ("统计 6 按 1", StaffRequest(C.STATS, "6 按 1")),
        ("/progress", StaffRequest(C.PROGRESS)),
        ("进度", StaffRequest(C.PROGRESS)),
        ("/contacts", StaffRequest(C.CONTACTS)),
        ("联系", StaffRequest(C.CONTACTS)),
        ("/claim 12", StaffRequest(C.CLAIM, "12")),
        ("认领 C-000012", StaffRequest(C.CLAIM, "C-000012")),
        ("/done C-000012 called back", StaffRequest(C.DONE, "C-000012 called back")),
        ("完成 12 已回电", StaffRequest(C.DONE, "12 已回电")),
        ("/export", StaffRequest(C.EXPORT)),
        ("导出", StaffRequest(C.EXPORT)),
        ("/dashboard", StaffRequest(C.DASHBOARD)),
        (
            "/broadcast 下周二，网络研讨会！\n欢迎参加",
            StaffRequest(C.BROADCAST, "下周二，网络研讨会！\n欢迎参加"),
        ),
        ("群发 Webinar next Tuesday", StaffRequest(C.BROADCAST, "Webinar next Tuesday")),
        ("/confirm", StaffRequest(C.CONFIRM)),
        ("/cancel", StaffRequest(C.CANCEL)),
        ("/chart 4", StaffRequest(C.CHART, "4")),
        ("图表 carbon_policy", StaffRequest(C.CHART, "carbon_policy")),
        ("/help", StaffRequest(C.HELP)),
        ("/staff", StaffRequest(C.HELP)),
    ],
)
def test_staff_commands(text: str, expected: StaffRequest) -> None:
    assert parse_staff_command(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "2", "1,3", "是", "help", "帮助", "联系我", "统计数据不全", "完成", "完成了",
     "/lang zh", "/start", "/unknown", "确认", "取消", "GRI Standards"],
)  # fmt: skip
def test_survey_input_is_no_staff_command(text: str) -> None:
    assert parse_staff_command(text) is None


def test_confirm_words_only_while_a_broadcast_waits() -> None:
    assert parse_staff_command("确认", confirming=True) == StaffRequest(C.CONFIRM)
    assert parse_staff_command("取消。", confirming=True) == StaffRequest(C.CANCEL)
    assert parse_staff_command("确认收到", confirming=True) is None


def test_arguments() -> None:
    assert split_by("methodology by role") == ("methodology", "role")
    assert split_by("6 BY 1") == ("6", "1")
    assert split_by("6按1") == ("6", "1")
    assert split_by("6 × 1") == ("6", "1")
    assert split_by("6") == ("6", None)
    assert split_by("by role") == ("by role", None)
    # The second question left out: said, not read as a question called "6 by".
    assert split_by("6 by") == ("6", "")
    assert split_by("6按") == ("6", "")
    assert split_by("methodology BY ") == ("methodology", "")
    assert split_by("nearby") == ("nearby", None)
    assert split_reference("C-000012 called back, ok") == ("C-000012", "called back, ok")
    assert split_reference("12") == ("12", None)
    assert split_reference("") == ("", None)


def test_question_references(flow: Flow) -> None:
    assert find_question(flow, "1") is flow.questions[0]
    assert find_question(flow, "6").id == "methodology"  # type: ignore[union-attr]
    assert find_question(flow, "q6").id == "methodology"  # type: ignore[union-attr]
    assert find_question(flow, "第6题").id == "methodology"  # type: ignore[union-attr]
    assert find_question(flow, "METHODOLOGY").id == "methodology"  # type: ignore[union-attr]
    assert find_question(flow, "0") is None
    assert find_question(flow, str(len(flow.questions) + 1)) is None
    assert find_question(flow, "nothing") is None
