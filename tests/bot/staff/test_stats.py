"""/stats through the real dispatcher: the seed's report, one question, a cross-tab."""

from __future__ import annotations

import re

from sqlmodel import Session

from bot.reports import staff_replies as fmt
from bot.reports.text_report import render_report
from flows.model import Lang
from storage.aggregates import question_stats
from tests.bot.reports.seed_population import SEED_PERCENTAGES, SEED_TEXTS, TEXT_QUESTION
from tests.bot.staff.conftest import OEM, SUPPLIER, Chat, timeless, write_seed_population

WECHAT_PASSIVE_BYTES = 2048


def test_stats_prints_the_seed_report_in_parts_that_fit(chat: Chat) -> None:
    write_seed_population(chat.runtime)
    outcome = chat.staff("/stats all")
    texts = [m.text for m in outcome.messages]
    assert len(texts) > 1
    assert all(len(t.encode("utf-8")) <= WECHAT_PASSIVE_BYTES for t in texts)
    flow = chat.runtime.flow
    with Session(chat.runtime.engine) as session:
        stats = question_stats(session=session, flow=flow, text_limit=None)
    # Cut only between question blocks: together, exactly the seed-layout report, which
    # names the survey versions the answers cover.
    head = texts[0].splitlines()
    stamp = "\n".join(head[3:6])
    assert "\n\n".join(texts) == render_report(flow, stats, versions=[3], stamp=stamp).strip()
    assert head[2] == "问卷版本 3 Version 3"
    assert head[3].startswith("受访者 Respondents n = 316（完成 completed ")
    assert head[4].startswith("截至 As of 2026-") and head[4].endswith("China time (UTC+8)")
    assert head[5] == "筛选 Filter：不含测试数据 test data left out"
    report = "\n".join(texts)
    for question_id, pcts in SEED_PERCENTAGES.items():
        assert flow.question(question_id).text.get(Lang.BOTH) in report
        assert all(f"{p}%" in report for p in pcts)
    assert "是 (Yes) 71.84%" in report and "供应商 (Supplier) 98.73%" in report


def test_stats_lists_only_the_newest_texts_and_how_many_there_are(chat: Chat) -> None:
    """The seed's 20 texts, then three newer ones: the report shows the 20 newest (the
    three new ones first) and says of how many; the seed's 3 oldest are left out."""
    write_seed_population(chat.runtime)
    text_at = SUPPLIER.index("GRI Standards")
    for n in (1, 2, 3):
        chat.survey(f"new{n}", [*SUPPLIER[:text_at], f"newer text {n}", *SUPPLIER[text_at + 1 :]])
    assert fmt.TEXT_ANSWERS_SHOWN == 20
    report = "\n\n".join(m.text for m in chat.staff("/stats all").messages)
    explain = chat.runtime.flow.question(TEXT_QUESTION).text.get(Lang.BOTH)
    block = report.split(explain + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block[0] == "最新 20 条，共 23 条 20 newest of 23"
    texts = [line.split(" ", 1)[1] for line in block[1:]]
    assert texts == ["newer text 3", "newer text 2", "newer text 1"] + [
        t for _, t in SEED_TEXTS[:17]
    ]

    one = chat.staff(f"/stats {TEXT_QUESTION}").text
    assert "受访者 Respondents n = 23" in one
    assert "最新 20 条，共 23 条 20 newest of 23" in one
    assert one.index("newer text 3") < one.index("newer text 1")
    assert SEED_TEXTS[-1][1] not in one


def test_the_chinese_word_gives_the_same_report(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    assert timeless(chat.staff("统计").text) == timeless(chat.staff("/stats").text)
    assert timeless(chat.staff("统计 全部").text) == timeless(chat.staff("/stats all").text)


def test_one_question_shows_n_counts_and_both_shares(chat: Chat) -> None:
    for user in ("s1", "s2", "s3"):
        chat.survey(user, SUPPLIER)  # methodology "1、3": ISO14064 and GHG Protocol
    chat.survey("o1", OEM)  # methodology "6": not yet determined
    text = chat.staff("/stats 6").text
    assert text.startswith("【6】贵公司采用哪种碳盘查量化方法")
    assert "受访者 Respondents n = 4；选择 Selections 7" in text
    assert "ISO14064：3｜42.86%｜75.00%" in text
    assert "温室气体核算体系 (GHG Protocol)：3｜42.86%｜75.00%" in text
    assert "尚未确定 (Not Yet Determined)：1｜14.29%｜25.00%" in text
    assert "其他标准化方法 (Other Standardized Methodology)：0｜0.00%｜0.00%" in text
    assert timeless(chat.staff("/stats methodology").text) == timeless(text)
    assert timeless(chat.staff("统计6").text) == timeless(text)


def test_a_free_text_question_lists_the_answers(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    text = chat.staff("/stats reporting_explain").text
    assert "受访者 Respondents n = 1" in text
    # Each text with whose it is, labelled (a bare "1 GRI Standards" read as a count).
    assert re.search(r"\n受访者 Respondent #\d+：GRI Standards\n", text), text


def test_cross_tab_methodology_by_role(chat: Chat) -> None:
    for user in ("s1", "s2", "s3"):
        chat.survey(user, SUPPLIER)
    chat.survey("o1", OEM)
    text = chat.staff("/stats methodology by role").text
    assert "两题都回答 Answered both: 4" in text
    oem, supplier = text.split("主机厂 (OEM)（n = 1）")[1].split("供应商 (Supplier)（n = 3）")
    assert "  尚未确定 (Not Yet Determined)：1（100.00%）" in oem
    assert "  ISO14064：0（0.00%）" in oem
    assert "  ISO14064：3（100.00%）" in supplier
    assert "  温室气体核算体系 (GHG Protocol)：3（100.00%）" in supplier
    assert "  尚未确定 (Not Yet Determined)：0（0.00%）" in supplier
    assert timeless(chat.staff("/stats 6 by 1").text) == timeless(text)
    assert timeless(chat.staff("统计 6 按 1").text) == timeless(text)


def test_unknown_private_and_unsuitable_questions_are_explained(chat: Chat) -> None:
    assert "没有找到题目 No question “99”" in chat.staff("/stats 99").text
    assert "1. role — " in chat.staff("/stats nothing").text
    private = chat.staff("/stats contact_name").text
    assert "个人信息" in private and "personal contact-form data" in private
    not_choice = chat.staff("/stats reporting_explain by role").text
    assert "A cross-tab needs choice questions" in not_choice
    missing = chat.staff("/stats 6 by").text
    assert missing.startswith('“按 by”之后请写上第二个题号 Name the second question after "by"')
    assert "/stats 6 by 1" in missing and "No question" not in missing


def test_every_staff_action_is_audited(chat: Chat) -> None:
    chat.staff("/stats")
    chat.staff("/stats 6 by 1")
    chat.staff("/stats 99")
    entries = [(e.actor, e.action) for e in chat.audit()]
    assert entries == [
        ("wechat:o_staff", "stats_overview"),
        ("wechat:o_staff", "stats_crosstab"),
        ("wechat:o_staff", "stats_question"),
    ]
    assert '"by": "role"' in chat.audit()[1].detail


def test_deleting_my_data_changes_the_statistics(chat: Chat) -> None:
    for user in ("s1", "s2", "s3"):
        chat.survey(user, SUPPLIER)
    chat.survey("o1", OEM)
    before = chat.staff("/stats 1").text
    assert "受访者 Respondents n = 4" in before and "主机厂 (OEM)：1｜25.00%｜25.00%" in before
    assert "主机厂 (OEM) 25.00%" in chat.staff("/stats all").text

    assert "delete" in chat.send("o1", "delete my data").text.lower()
    chat.send("o1", "yes")

    after = chat.staff("/stats 1").text
    assert "受访者 Respondents n = 3" in after and "主机厂 (OEM)：0｜0.00%｜0.00%" in after
    assert "主机厂 (OEM) 0.00%" in chat.staff("/stats all").text
    assert "两题都回答 Answered both: 3" in chat.staff("/stats 6 by 1").text
    assert "开始 Started 3｜完成 Completed 3" in chat.staff("/progress").text
