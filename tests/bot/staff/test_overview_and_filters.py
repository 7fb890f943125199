"""/stats alone fits one bubble; every report names n, its filter and its time; filters
narrow /stats, cross-tabs and /progress alike (typed in English or Chinese)."""

from __future__ import annotations

from datetime import timedelta, timezone

from tests.bot.staff.conftest import OEM, SUPPLIER, Chat, timeless

WECHAT_PASSIVE_BYTES = 2048


def test_the_overview_is_one_short_message_with_its_time(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    chat.survey("o1", OEM[:3])  # stopped early
    outcome = chat.staff("统计")
    assert len(outcome.messages) == 1
    text = outcome.text
    assert len(text.encode("utf-8")) < 700
    assert "开始 Started 2｜完成 Completed 1｜完成率 Completion rate 50.00%" in text
    assert "今天完成 Completed today 1" in text
    # 01:00 UTC plus minutes of chatting: 09:xx in Beijing, labelled as such.
    beijing = chat.now.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert beijing.startswith("2026-03-02 09:")
    assert f"截至 As of {beijing} 北京时间 China time (UTC+8)" in text
    assert "统计 全部 /stats all" in text
    assert "选项 百分比" not in text


def test_an_empty_survey_says_no_answers_yet(chat: Chat) -> None:
    for command in ("/stats", "/stats all"):
        text = chat.staff(command).text
        assert "还没有答卷 No answers yet" in text and "0.00%" not in text, command
    one = chat.staff("/stats 1").text
    assert "还没有人回答此题 No answers to this question yet" in one and "0.00%" not in one
    cross = chat.staff("/stats 6 by 1").text
    assert "No respondent has answered both yet" in cross and "0.00%" not in cross


def test_every_report_names_n_and_its_time(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    for command in ("/stats 6", "/stats 6 by 1", "/progress"):
        text = chat.staff(command).text
        assert "截至 As of 2026-03-02" in text and "不含测试数据" in text, command
    report = chat.staff("/stats all").messages[0].text
    assert "受访者 Respondents n = 1（完成 completed 1）" in report


def test_an_answer_filter_in_english_and_chinese(chat: Chat) -> None:
    for user in ("s1", "s2"):
        chat.survey(user, SUPPLIER)
    chat.survey("o1", OEM)
    text = chat.staff("/stats 6 where 1=OEM").text
    assert "受访者 Respondents n = 1；选择 Selections 1" in text
    assert "尚未确定 (Not Yet Determined)：1｜100.00%｜100.00%" in text
    assert "筛选 Filter：【1】=主机厂 (OEM)" in text
    for same in ("统计6 筛选 第1题=主机厂", "统计 6 筛选1=oem", "/stats 6 where role = 1"):
        assert timeless(chat.staff(same).text) == timeless(text), same
    suppliers = chat.staff("/stats where 1=supplier").text
    assert "开始 Started 2｜完成 Completed 2" in suppliers
    cross = chat.staff("/stats 6 by 1 where 1=2").text
    assert "两题都回答 Answered both: 2" in cross and "主机厂 (OEM)（n = 0）" in cross
    progress = chat.staff("进度 筛选 第1题=主机厂").text
    assert "开始 Started 1｜完成 Completed 1" in progress and "【1】=主机厂" in progress
    report = "\n".join(m.text for m in chat.staff("统计 全部 筛选 1=供应商").messages)
    assert "受访者 Respondents n = 2" in report and "供应商 (Supplier) 100.00%" in report


def test_date_channel_and_language_filters(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    chat.now += timedelta(days=2)  # 2026-03-04 in Beijing
    chat.survey("o1", OEM)  # answers in English (its first answer chose the language)
    assert "开始 Started 1｜" in chat.staff("/stats since 03-04").text
    assert "开始 Started 1｜" in chat.staff("统计 从 3月4日").text
    assert "开始 Started 1｜" in chat.staff("/stats until 03-03").text
    assert "开始 Started 2｜" in chat.staff("/stats since 03-01 until 03-04").text
    assert "开始 Started 2｜" in chat.staff("统计 渠道 微信").text
    # Nothing matches the filter: said so, not "no answers yet".
    nothing = chat.staff("/stats channel telegram").text
    assert "没有符合筛选条件的答卷 No answers match this filter" in nothing
    assert "No answers yet" not in nothing
    one = chat.staff("/stats 6 channel telegram").text
    assert "没有符合筛选条件的回答 No answers to this question match this filter" in one
    cross = chat.staff("/stats 6 by 1 channel telegram").text
    assert "No respondent matching this filter has answered both" in cross
    english = chat.staff("/stats lang en").text
    assert "开始 Started 1｜" in english and "语言 language en" in english


def test_a_date_without_a_year_reads_as_staff_mean_it(chat: Chat) -> None:
    # On 2 March 2026: "until 03-31" is this month's end, not last year's (which, after
    # "since 03-01", left no day between them and showed an empty report).
    chat.survey("s1", SUPPLIER)
    text = chat.staff("/stats since 03-01 until 03-31").text
    assert "开始 Started 1｜" in text
    assert "2026-03-01 起 since；至 until 2026-03-31" in text
    # A start after the end is refused with the reason, not answered with zeros.
    refused = chat.staff("/stats since 03-02 until 03-01").text
    assert "开始日期晚于结束日期（2026-03-02 > 2026-03-01）" in refused
    assert "The start date is after the end date (2026-03-02 > 2026-03-01)" in refused
    assert "开始 Started" not in refused
    # A start a few days ahead (a typo for today?) is last year's, and the line says why.
    ahead = chat.staff("/stats since 03-05").text
    assert "2025-03-05 起 since（未写年份，今年的这一天还没到，按去年计 no year given" in ahead
    assert "按去年计" not in chat.staff("/stats since 2025-03-05").text  # a year given
    assert "按去年计" not in chat.staff("/stats since 03-01").text


def test_bad_filters_and_a_question_crossed_with_itself_are_refused(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    cases = {
        "/stats 6 where 1=bus": "没有选项“bus”",
        "/stats 6 where 99=1": "筛选里没有找到题目“99”",
        "/stats where reporting_explain=1": "只能按选择题筛选",
        "/stats since 13-45": "看不懂日期“13-45”",
        "/stats channel fax": "没有渠道“fax”",
        "/stats lang fr": "没有语言“fr”",
        "/stats where": "“where”后面要写上内容",
        "/stats where 1": "看不懂筛选条件“1”",
    }
    for command, expected in cases.items():
        text = chat.staff(command).text
        assert expected in text and "选项 Option" not in text, command
    same = chat.staff("/stats 2 by 2").text
    assert "不能把一道题和它自己交叉" in same and "cannot be crossed with itself" in same
    assert chat.audit()[-1].action == "stats_crosstab_refused"
    assert "主机厂, 2=Supplier" not in chat.staff("/stats 6 where 1=bus").text
    assert "1=OEM, 2=Supplier" in chat.staff("/stats 6 where 1=bus").text
