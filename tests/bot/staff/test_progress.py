"""/progress: started, completed, today's numbers and where respondents stop."""

from __future__ import annotations

from datetime import timedelta

from bot.dispatch.envelope import Channel
from flows.events import Intent
from tests.bot.staff.conftest import OEM, START, SUPPLIER, Chat, timeless


def test_progress_counts_and_drop_off(chat: Chat) -> None:
    # Yesterday (Beijing time): one completed survey, one respondent left at question 6.
    chat.now = START - timedelta(days=1, hours=2)
    chat.survey("s-yesterday", SUPPLIER)
    chat.survey("left-at-methodology", SUPPLIER[:6])  # language … ghg_target answered
    # Today: one completed, one stopped at question 6 a minute ago, one at the language.
    chat.now = START
    chat.survey("o-today", OEM)
    chat.survey("at-methodology", SUPPLIER[:6])
    chat.send("choosing", intent=Intent.START)

    text = chat.staff("/progress").text
    assert "开始 Started 5｜完成 Completed 2｜完成率 Completion rate 40.00%" in text
    assert "今天 Today (UTC+8)：开始 started 3｜完成 completed 1" in text
    assert "未完成 Unfinished 3" in text
    # Two stopped at 【6】 (one silent for over a day); 2 of the 4 who reached it answered it.
    lines = text.splitlines()
    methodology = next(line for line in lines if line.startswith("  【6】"))
    assert methodology.endswith(
        "：2（1 超过 over 24 h 未回复 silent；到达此题者的 of those who reached it 50.00%）"
    )
    language = next(line for line in lines if "选择语言 Language choice" in line)
    assert language.endswith("：1（0 超过 over 24 h 未回复 silent）")
    assert lines.index(methodology) < lines.index(language)  # biggest stop first
    assert timeless(chat.staff("进度").text) == timeless(text)
    assert chat.audit()[-1].action == "progress"


def test_progress_of_an_empty_survey(chat: Chat) -> None:
    text = chat.staff("/progress", channel=Channel.TELEGRAM).text
    assert "开始 Started 0｜完成 Completed 0｜完成率 Completion rate 0.00%" in text
    assert "（无 none）" in text
