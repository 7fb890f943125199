"""/orgs: one supplier on WeChat and Telegram, likenesses staff confirm, merge and split."""

from __future__ import annotations

import json

from bot.settings import Channel
from tests.bot.staff.conftest import SUPPLIER, Chat

TO_14 = SUPPLIER[:-1]  # up to question 14, before the optional organisation step
CODE = "91350100M000100Y43"


def test_orgs_lists_recognises_and_confirms(chat: Chat) -> None:
    chat.survey("wx1", [*TO_14, "1", "上海某某汽车零部件有限公司", CODE, "上海"])
    chat.survey("tg1", [*TO_14, "1", "某某汽配", CODE, "上海市"], channel=Channel.TELEGRAM)
    chat.survey("wx2", [*TO_14, "1", "上海某某汽配", "跳过", "跳过"])
    chat.survey("wx3", TO_14 + ["2"])  # declined the step
    listed = chat.staff("/orgs").messages[0].text
    assert "按受访者 per respondent；已开始 started 4，已完成 completed 4" in listed
    assert f"上海某某汽车零部件有限公司（{CODE}）：2 人 respondents，已完成 completed 2" in listed
    assert "wechat · 上海 ✓" in listed and "telegram · 上海市 ✓" in listed
    assert "上海某某汽配：1 人" in listed
    assert "M1 上海某某汽配 ≈ 上海某某汽车零部件有限公司" in listed
    done = chat.staff("/orgs same M1").messages[0].text
    assert "已确认 M1" in done and "已写入审计日志" in done
    listed = chat.staff("机构").messages[0].text
    assert "：3 人 respondents，已完成 completed 3" in listed and "M1" not in listed
    audit = [a for a in chat.audit() if a.action.startswith("org")]
    assert [a.action for a in audit] == ["orgs_viewed", "org_match_confirmed", "orgs_viewed"]
    assert json.loads(audit[1].detail)["match"] == 1
    overview = chat.staff("/stats").messages[0].text
    assert "计数规则 Counting rule：按受访者 per respondent" in overview


def test_merge_and_split_are_audited_and_refusals_change_nothing(chat: Chat) -> None:
    chat.survey("wx1", [*TO_14, "1", "甲公司", "跳过", "上海"])
    chat.survey("wx2", [*TO_14, "1", "乙公司", "跳过", "苏州"])
    refused = chat.staff("/orgs merge 1 1").messages[0].text
    assert "不能把机构并入它自己" in refused and "未做任何更改" in refused
    assert "用法" in chat.staff("/orgs merge 1").messages[0].text
    merged = chat.staff("/orgs merge 1 2").messages[0].text
    assert "已将 #2 并入 #1（1 位受访者）" in merged
    assert "甲公司：2 人" in chat.staff("/orgs").messages[0].text
    split = chat.staff("/orgs split L2").messages[0].text
    assert "已将 L2 从 #1 拆分为新机构 #3" in split
    listed = chat.staff("/orgs").messages[0].text
    assert "甲公司：1 人" in listed and "#3 乙公司：1 人" in listed
    actions = [a.action for a in chat.audit() if a.action.startswith("org")]
    assert actions == ["orgs_refused", "orgs_refused", "org_merged", "orgs_viewed", "org_split",
                       "orgs_viewed"]  # fmt: skip
    details = [json.loads(a.detail) for a in chat.audit() if a.action == "org_split"]
    assert details[0]["link"] == 2 and details[0]["to"] == 3
