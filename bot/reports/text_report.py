"""The published summary's layout (the seed "Overall Summary"), from live statistics.

For every choice question: the question in Chinese and English, "选项 百分比", then one
row per option, "{zh} ({en}) {pct}%", the share of all selections with two decimals (a
column adds up to ~100 %, as in the seed). Free-text questions list the answers with
the respondent's number, newest first; when only the newest are listed, a line before
them says how many of how many. Contact-form fields are never printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from bot.reports.labels import is_personal, option_text
from bot.reports.number_summary import NumberSummary
from flows.model import CountingUnit, Flow, Lang, Question, QuestionType, Text
from storage.aggregates import QuestionStats

HEADER = "AIAG Supply Chain Sustainability"
COLUMNS = "选项 百分比"
# The counting rule (storage.unit_sessions), named in a report when it is not per
# respondent (the CLI report, the XLSX summary sheet and codebook).
COUNTING_NOTES = {
    CountingUnit.ORGANISATION: "计数规则：按机构计，每家一次（未填机构者各计一次；答卷表中"
    " counted = 1 者） Counting rule: per organisation, each counted once (each respondent"
    " without an organisation counts once; the answers sheet's rows with counted = 1)",
    CountingUnit.PLANT: "计数规则：按工厂计，每个工厂一次（未填机构者各计一次；答卷表中"
    " counted = 1 者） Counting rule: per plant, each counted once (each respondent"
    " without an organisation counts once; the answers sheet's rows with counted = 1)",
}


def option_label(text: Text) -> str:
    """'内饰 (Interior)'; a label that reads the same in both languages once ('SQE')."""
    return text.zh if text.zh == text.en else f"{text.zh} ({text.en})"


def versions_line(versions: Sequence[int]) -> str:
    """'问卷版本 Versions: 1, 2': which versions of the survey the answers were given under."""
    if not versions:
        return "问卷版本：尚无回答 Versions: no answers yet"
    listed = ", ".join(str(v) for v in versions)
    return f"问卷版本 {listed} Version{'s' if len(versions) > 1 else ''} {listed}"


def render_report(
    flow: Flow,
    stats: Mapping[str, QuestionStats],
    *,
    include_texts: bool = True,
    versions: Sequence[int] | None = None,
    stamp: str | None = None,
    numbers: Mapping[str, NumberSummary] | None = None,
) -> str:
    """`versions`: the versions the answers cover, named under the title when given;
    `stamp`: a line after them (staff reports: n, the filter, the time of the figures);
    `numbers`: numeric questions' sums, medians and quartiles (bot.reports.number_summary)."""
    head = [HEADER, flow.title.get(Lang.BOTH)]
    if versions is not None:
        head.append(versions_line(versions))
    if stamp:
        head.append(stamp)
    blocks = ["\n".join(head)]
    for question in flow.questions:
        question_stats = stats.get(question.id)
        if question_stats is None or is_personal(flow, question):
            continue
        summary = (numbers or {}).get(question.id)
        if question.is_choice:
            blocks.append(_choice_block(question, question_stats))
        elif question.is_numeric and summary is not None:
            blocks.append(_number_block(question, summary))
        elif question.type in (QuestionType.TEXT, QuestionType.INTEGER) and include_texts:
            blocks.append(_text_block(question, question_stats))
    return "\n\n".join(blocks) + "\n"


def _choice_block(question: Question, stats: QuestionStats) -> str:
    lines = [question.text.get(Lang.BOTH), COLUMNS]
    for option in stats.options:
        label = option_label(option_text(question, option.option_id))
        lines.append(f"{label} {_two_decimals(option.pct_of_selections)}%")
    return "\n".join(lines)


def _two_decimals(pct: Decimal) -> Decimal:
    return pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def newest_of(shown: int, total: int) -> str:
    """'最新 20 条，共 553,211 条 20 newest of 553,211'."""
    return f"最新 {shown} 条，共 {total:,} 条 {shown} newest of {total:,}"


def number_line(question: Question, summary: NumberSummary) -> str:
    """'n = 5｜合计 sum 75000｜中位数 median 15000｜Q1 12000｜Q3 20000（tCO2e）'."""
    unit = f"（{question.unit}）" if question.unit else ""
    return (
        f"n = {summary.n}｜合计 sum {summary.total}｜中位数 median {summary.median}｜"
        f"Q1 {summary.q1}｜Q3 {summary.q3}｜最小 min {summary.low}｜最大 max {summary.high}{unit}"
    )


def _number_block(question: Question, summary: NumberSummary) -> str:
    return f"{question.text.get(Lang.BOTH)}\n{number_line(question, summary)}"


def _text_block(question: Question, stats: QuestionStats) -> str:
    lines = [question.text.get(Lang.BOTH)]
    if len(stats.texts) < stats.text_total:
        lines.append(newest_of(len(stats.texts), stats.text_total))
    for answer in stats.texts:
        lines.append(f"{answer.respondent_id} {' '.join(answer.text.split())}")
    return "\n".join(lines)
