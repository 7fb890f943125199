from __future__ import annotations

from decimal import Decimal

from bot.reports.text_report import render_report
from storage.aggregates import FreeText, OptionStat, QuestionStats, percent
from tests.storage.sample import small_flow


def _choice(question_id: str, counts: dict[str, int], respondents: int) -> QuestionStats:
    total = sum(counts.values())
    return QuestionStats(
        question_id,
        respondents,
        total,
        tuple(
            OptionStat(o, c, percent(c, total), percent(c, respondents)) for o, c in counts.items()
        ),
    )


STATS = {
    "role": _choice("role", {"oem": 1, "supplier": 3}, 4),
    "tools": _choice("tools", {"excel": 1, "sap": 2, "none": 1}, 3),
    "policy": _choice("policy", {"yes": 1, "no": 3}, 4),
    "explain": QuestionStats(
        "explain", 2, 0, (), (FreeText(7, "多行\n文本  text"), FreeText(3, "ok"))
    ),
    "name": QuestionStats("name", 1, 0, (), (FreeText(7, "王伟"),)),
}


def test_layout_follows_the_seed() -> None:
    report = render_report(small_flow(), STATS)
    assert report.startswith("AIAG Supply Chain Sustainability\n小调查 Mini survey\n\n")
    assert "角色 Role\n选项 百分比\n主机厂 (OEM) 25.00%\n供应商 (Supplier) 75.00%\n" in report
    # Same text in both languages: printed once; yes/no options are implicit.
    assert "表格 (Excel) 25.00%\nSAP 50.00%\n没有 (None) 25.00%\n" in report
    assert "政策 Policy\n选项 百分比\n是 (Yes) 25.00%\n否 (No) 75.00%\n" in report
    assert "请说明 Please explain\n7 多行 文本 text\n3 ok\n" in report


def test_personal_fields_never_appear_and_texts_are_optional() -> None:
    assert "王伟" not in render_report(small_flow(), STATS)
    without = render_report(small_flow(), STATS, include_texts=False)
    assert "Please explain" not in without and "ok" not in without


def test_percentages_always_show_two_decimals() -> None:
    stats = {
        "role": QuestionStats("role", 3, 3, (OptionStat("oem", 1, Decimal("33.3333"), Decimal(0)),))
    }
    assert "主机厂 (OEM) 33.33%" in render_report(small_flow(), stats)


def test_a_question_without_statistics_is_left_out() -> None:
    report = render_report(small_flow(), {"role": STATS["role"]})
    assert "Tools" not in report and "Role" in report


def test_only_the_newest_texts_are_listed_and_the_report_says_of_how_many() -> None:
    newest = (FreeText(9, "newest"), FreeText(8, "older"))
    partial = {"explain": QuestionStats("explain", 553_211, 0, (), newest, text_total=553_211)}
    report = render_report(small_flow(), partial)
    assert (
        "请说明 Please explain\n最新 2 条，共 553,211 条 2 newest of 553,211\n9 newest\n" in report
    )
    complete = {"explain": QuestionStats("explain", 2, 0, (), newest, text_total=2)}
    assert "请说明 Please explain\n9 newest\n8 older\n" in render_report(small_flow(), complete)
