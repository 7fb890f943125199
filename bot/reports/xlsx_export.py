"""The analysis workbook: typed cells, China-time datetimes, numbered bilingual headers,
a codebook sheet; frozen header row and autofilter.

Built from the same rows as the CSV (`bot.reports.export.export_rows`), column by
column: ids, versions and 0/1 flags are integers (SUM works), times are real datetimes
in Asia/Shanghai (the zone named in the header), answers stay text cells, never
formulas. The header names each column by the question number respondents see (none
outside the count: the contact form, the organisation step) and the question in both
languages; the codebook sheet lists every code with its labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.reports.export import COUNTED, LABELS, ORIGINAL, PREVIOUS, fixed_columns
from bot.reports.labels import numbered, option_text
from bot.reports.number_summary import NumberSummary
from bot.reports.xlsx_summary import COUNTING_NOTES, PERCENT_FORMAT, Percent, Row
from flows import numbering
from flows.model import Flow, Lang, QuestionType
from storage.aggregates import option_ids

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The fixed columns' bilingual headers, shared by the SPSS export's variable labels.
FIXED_HEADERS = {
    "respondent_id": "编号 Respondent ID",
    "channel": "渠道 Channel",
    "lang": "语言 Language",
    "status": "状态 Status",
    "version": "问卷版本 Version",
    "started_at": "开始时间 Started (Asia/Shanghai)",
    "completed_at": "完成时间 Completed (Asia/Shanghai)",
    "counted": "计入统计（按单位规则，0/1） Counted (unit rule, 0/1)",
}
_INTEGER_FIXED = {"respondent_id", "version", "counted"}
_TIME_FIXED = {"started_at", "completed_at"}


@dataclass(frozen=True)
class Column:
    code: str  # the CSV's column id
    header: str
    kind: str  # "int" | "number" | "time" | "text"


def columns(flow: Flow) -> list[Column]:
    out = [
        Column(
            c,
            FIXED_HEADERS[c],
            "int" if c in _INTEGER_FIXED else "time" if c in _TIME_FIXED else "text",
        )
        for c in fixed_columns(flow)
    ]
    for question in flow.questions:
        if question.is_note:
            continue
        title = numbered(flow, question.id, f"{question.text.zh} / {question.text.en}")
        if question.type is QuestionType.MULTI:
            for option_id in option_ids(question):
                text = option_text(question, option_id)
                header = numbered(flow, question.id, f"{text.zh} / {text.en} (0/1)")
                out.append(Column(f"{question.id}:{option_id}", header, "int"))
            out.append(Column(f"{question.id}:{LABELS}", f"{title} (选项 labels)", "text"))
        elif question.is_numeric:
            unit = f" ({question.unit})" if question.unit else ""
            kind = "int" if question.type is QuestionType.INTEGER else "number"
            out.append(Column(question.id, title + unit, kind))
        else:
            out.append(Column(question.id, title, "text"))
        if question.unit:
            header = numbered(flow, question.id, "原文 As written")
            out.append(Column(f"{question.id}:{ORIGINAL}", header, "text"))
        rules = flow.previous_round
        if rules is not None and rules.earlier_question(question.id) is not None:
            header = numbered(flow, question.id, f"上一轮 Previous round ({rules.survey})")
            out.append(Column(f"{question.id}:{PREVIOUS}", header, "text"))
    return out


def codebook(flow: Flow) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["题号 No.", "列 Column", "题目 Question (中文)", "Question (English)", "代码 Code",
         "选项 Option (中文)", "Option (English)"],
    ]  # fmt: skip
    for question in flow.questions:
        if question.is_note:
            continue
        n = numbering.label(flow, question.id) or ""  # blank outside the count
        ids = option_ids(question) if question.is_choice else ()
        if not ids:
            rows.append([n, question.id, question.text.zh, question.text.en, "", "", ""])
        for option_id in ids:
            text = option_text(question, option_id)
            column = (
                f"{question.id}:{option_id}" if question.type is QuestionType.MULTI else question.id
            )
            rows.append(
                [n, column, question.text.zh, question.text.en, option_id, text.zh, text.en]
            )
    if flow.counting in COUNTING_NOTES:
        rows.append([])
        rows.append(["", COUNTED, COUNTING_NOTES[flow.counting], "", "1 / 0", "计入 / 不计入",
                     "Counted / not counted"])  # fmt: skip
    return rows


def number_rows(flow: Flow, numbers: Mapping[str, NumberSummary]) -> list[list[Any]]:
    """One row per numeric question: its unit and figures (blank until answered)."""
    rows: list[list[Any]] = [
        ["题号 No.", "列 Column", "题目 Question", "单位 Unit", "n", "合计 Sum",
         "中位数 Median", "Q1", "Q3", "最小 Min", "最大 Max"],
    ]  # fmt: skip
    for question in flow.questions:
        if not question.is_numeric:
            continue
        head = [numbering.label(flow, question.id) or "", question.id, question.text.get(Lang.BOTH)]
        head.append(question.unit or "")
        summary = numbers.get(question.id)
        if summary is None:
            rows.append([*head, 0, None, None, None, None, None, None])
            continue
        figures = (summary.total, summary.median, summary.q1, summary.q3, summary.low, summary.high)
        rows.append([*head, summary.n, *(Decimal(f) for f in figures)])
    return rows


def _typed(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "number":
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if kind == "time":
        return (
            datetime.fromisoformat(value).astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
        )
    return value


def write_analysis_xlsx(
    path: str | Path,
    flow: Flow,
    rows: Iterable[list[str]],
    numbers: Mapping[str, NumberSummary] | None = None,
    *,
    summary: Sequence[Row] = (),
) -> int:
    """The answers sheet (streamed), the summary sheet (`bot.reports.xlsx_summary`'s
    rows, when given), the codebook and, when the survey has numeric questions, a
    "numbers" sheet (n, sum, median, quartiles); returns the answer rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = columns(flow)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="answers")
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    header = []
    for column in cols:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        cells = []
        for column, raw in zip(cols, values, strict=True):
            value = _typed(raw, column.kind)
            cell = WriteOnlyCell(
                sheet,
                value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value,
            )
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"
    if summary:
        overview = workbook.create_sheet(title="summary")
        for row in summary:
            overview.append([_summary_cell(overview, value) for value in row])
    book = workbook.create_sheet(title="codebook")
    book.freeze_panes = "A2"
    for row in codebook(flow):
        book.append(row)
    if any(q.is_numeric for q in flow.questions):
        figures = workbook.create_sheet(title="numbers")
        figures.freeze_panes = "A2"
        for row in number_rows(flow, numbers or {}):
            figures.append(row)
    workbook.save(path)
    return count


def _summary_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Percent):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = PERCENT_FORMAT
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # a respondent's "=…" stays text
        return cell
    return WriteOnlyCell(sheet, value=value)
