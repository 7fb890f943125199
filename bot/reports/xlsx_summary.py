"""The workbook's summary sheet: the published summary's layout (the seed "Overall
Summary"), as cells.

Per choice question, in the flow's (the seed's) order: the question in Chinese and
English, the seed's "选项 / 百分比" columns with a count between them, then one row per
option with the seed's wording ("主机厂 (OEM)"), its count (an integer) and its share of
all selections (a number shown as "1.27%", so a column adds up to ~100 % as in the seed).
Free-text questions list the answers with the respondent's number, newest first, as the
seed does. Contact-form fields are never listed. A survey counting per organisation or
plant counts each unit once (`question_stats` follows the flow's rule) and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.reports.labels import is_personal, option_text
from bot.reports.text_report import COUNTING_NOTES, HEADER, newest_of, option_label
from flows.model import Flow, Lang, Question, QuestionType
from storage.aggregates import QuestionStats, question_stats
from storage.filters import NO_FILTER, ReportFilter

TITLE = "总结 Overall Summary"
COLUMNS = ("选项", "计数", "百分比")  # the seed's "选项 百分比", with the count added
TEXTS = 500  # free texts per question on the sheet, newest first (the rest: answers sheet)
PERCENT_FORMAT = "0.00%"


@dataclass(frozen=True)
class Percent:
    """A share to be written as a number with a percent format (0.0127 shown "1.27%")."""

    value: float


Row = list[Any]


def read_summary(
    *, session: Session, flow: Flow, now: datetime, report_filter: ReportFilter = NO_FILTER
) -> list[Row]:
    """The sheet of the sessions the filter keeps, as of `now` (named in China time)."""
    stats = question_stats(
        session=session, flow=flow, text_limit=TEXTS, report_filter=report_filter
    )
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    return summary_rows(flow, stats, stamp=f"截至 As of {local:%Y-%m-%d %H:%M} (Asia/Shanghai)")


def summary_rows(flow: Flow, stats: Mapping[str, QuestionStats], *, stamp: str = "") -> list[Row]:
    """The sheet, row by row; a `Percent` cell is a formatted number."""
    rows: list[Row] = [[HEADER], [flow.title.get(Lang.BOTH)], [TITLE]]
    if stamp:
        rows.append([stamp])
    if flow.counting in COUNTING_NOTES:
        rows.append([COUNTING_NOTES[flow.counting]])
    for question in flow.questions:
        question_stats = stats.get(question.id)
        if question_stats is None or is_personal(flow, question):
            continue
        if question.is_choice:
            rows.append([])
            rows.extend(_choice_rows(question, question_stats))
        elif question.type in (QuestionType.TEXT, QuestionType.INTEGER):
            rows.append([])
            rows.extend(_text_rows(question, question_stats))
    return rows


def _choice_rows(question: Question, stats: QuestionStats) -> list[Row]:
    rows: list[Row] = [[question.text.get(Lang.BOTH)], list(COLUMNS)]
    for option in stats.options:
        label = option_label(option_text(question, option.option_id))
        share = (option.pct_of_selections / Decimal(100)).quantize(Decimal("0.0001"))
        rows.append([label, option.count, Percent(float(share))])
    return rows


def _text_rows(question: Question, stats: QuestionStats) -> list[Row]:
    rows: list[Row] = [[question.text.get(Lang.BOTH)]]
    if len(stats.texts) < stats.text_total:
        rows.append([newest_of(len(stats.texts), stats.text_total)])
    rows.extend([answer.respondent_id, answer.text] for answer in stats.texts)
    return rows
