"""/survey: staff pick which survey /stats, /progress and /chart are about."""

from __future__ import annotations

from tests.bot.staff.conftest import SUPPLIER, Chat


def test_survey_lists_switches_and_reports_follow(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    chat.send("s1", "后续调查")
    chat.send("s1", "1")  # the follow-up's first answer
    listed = chat.staff("/survey").messages[0].text
    lines = listed.splitlines()
    assert lines[1].startswith("1. AIAG 供应链可持续发展碳性能调查（aiag_carbon，版本 3，开放）")
    assert lines[1].endswith("开始 1，完成 1，回答版本 3 ← 当前")  # the default is chosen
    assert lines[2].startswith("2. AIAG 产品碳足迹（PCF）后续调查（aiag_pcf_followup")
    assert lines[2].endswith("开始 1，完成 0，回答版本 2")
    picked = chat.staff("/survey 2").messages[0].text
    assert "Statistics, progress and charts are now about: AIAG Product Carbon" in picked
    report = "\n".join(m.text for m in chat.staff("/stats all").messages)
    assert "AIAG 产品碳足迹（PCF）后续调查" in report and "问卷版本 2 Version 2" in report
    assert "您是OEM厂商还是供应商？" not in report
    progress = chat.staff("/progress").messages[0].text
    assert "开始 Started 1｜完成 Completed 0" in progress
    back = chat.staff("/survey aiag_carbon").messages[0].text
    assert "now about: AIAG" in back
    report = "\n".join(m.text for m in chat.staff("统计 全部").messages)
    assert "您是OEM厂商还是供应商？" in report


def test_unknown_survey_is_named_and_the_choice_stays(chat: Chat) -> None:
    reply = chat.staff("/survey 9").messages[0].text
    assert "没有这个调查：9" in reply and "No survey 9" in reply
    assert "aiag_carbon, aiag_pcf_followup" in reply
    report = "\n".join(m.text for m in chat.staff("/stats all").messages)
    assert report.startswith("AIAG 供应链可持续发展碳性能调查")


def test_a_broadcast_invites_to_the_follow_up_and_the_reply_starts_it(chat: Chat) -> None:
    updates = [*SUPPLIER[:-2], "2", "2"]  # 有信息更新时 When updated information
    chat.survey("w_sub", updates)
    invite = "AIAG 后续调查已开放，回复“后续调查”开始。The follow-up survey is open: reply next."
    chat.staff(f"/broadcast {invite}")
    assert "已群发：1 人现在收到" in chat.staff("/confirm").text
    started = chat.send("w_sub", "后续调查").text
    assert "AIAG 产品碳足迹（PCF）后续调查" in started and "【1/" in started
    assert "请选择语言" not in started  # the bilingual layout chosen in survey 1 carries over
