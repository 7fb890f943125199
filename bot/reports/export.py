"""All answers as a table, one row per respondent: CSV (Excel-friendly) and XLSX.

A survey counting per organisation or plant exports every respondent's row and a
`counted` 0/1 column (`COUNTED`): the analyst keeps the colleagues' answers (who said
what, and where they differ) and filters on `counted` = 1 for the figures every report
shows (SPSS `FILTER BY counted`, an Excel autofilter).

Multiple choice: one 0/1 column per option (`question:option`), blank when the
question was not answered; single choice and yes/no: the option id; free text and form
fields: the text. Contact-form fields are left blank once the respondent's contact
requests have all been handled (the details served the follow-up, which is over: PIPL
purpose limitation; the retention job deletes them later). Rows stream from the
database in batches, so an export of a million respondents never holds them all in
memory (consume the rows inside the transaction).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from bot.reports.labels import is_contact_detail, option_text
from bot.reports.local_time import CHINA
from bot.reports.text_report import option_label
from flows.model import CountingUnit, Flow, Question, QuestionType
from flows.state import Answer as StateAnswer
from storage.aggregates import option_ids
from storage.filters import NO_FILTER, ReportFilter, session_conditions
from storage.models import Answer, Respondent, SurveySession
from storage.retention import handled_respondents
from storage.rounds import answers_by_respondent
from storage.unit_sessions import set_aside_ids

# `version`: the survey version the respondent answered (their session's).
FIXED_COLUMNS = [
    "respondent_id",
    "channel",
    "lang",
    "status",
    "version",
    "started_at",
    "completed_at",
]
# A survey counting per organisation or plant (storage.unit_sessions) exports every
# session with this 0/1 column after the fixed ones: 1 for the session that speaks for
# its unit (the one every report counts), 0 for a colleague's that is not counted.
COUNTED = "counted"
# The column after a multiple-choice question's 0/1 columns: the chosen options in words.
LABELS = "labels"
ORIGINAL = "original"  # a number with a unit: the words the respondent typed ("1.5万吨")
PREVIOUS = "previous"  # a repeated survey: the respondent's answer in the previous round
# A cell starting with one of these is a formula to Excel: respondents' text must not be.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number as typed ("+8613800138000", "021-6123 4567"): Excel would read it as a
# number (8.61E+12, the leading 0 lost) or a formula. `="…"` makes Excel show it as
# written, as text. (Ids and other plain numbers never start with + or 0.)
_PHONE = re.compile(r"[+0]\d[\d \-]{4,}\d")


def fixed_columns(flow: Flow) -> list[str]:
    """The columns before the answers: `counted` too when the survey counts per unit."""
    per_unit = flow.counting is not CountingUnit.RESPONDENT
    return [*FIXED_COLUMNS, COUNTED] if per_unit else list(FIXED_COLUMNS)


def export_columns(flow: Flow) -> list[str]:
    columns = fixed_columns(flow)
    for question in flow.questions:
        if question.is_note:
            continue
        if question.type is QuestionType.MULTI:
            columns.extend(f"{question.id}:{o}" for o in option_ids(question))
            columns.append(f"{question.id}:{LABELS}")
        else:
            columns.append(question.id)
        if question.unit:  # the number in the unit, then what the respondent wrote
            columns.append(f"{question.id}:{ORIGINAL}")
        if _earlier_question(flow, question.id) is not None:
            columns.append(f"{question.id}:{PREVIOUS}")
    return columns


def _earlier_question(flow: Flow, question_id: str) -> str | None:
    rules = flow.previous_round
    return rules.earlier_question(question_id) if rules is not None else None


def export_rows(
    *,
    session: Session,
    flow: Flow,
    batch_size: int = 500,
    report_filter: ReportFilter = NO_FILTER,
    labels: bool = False,
) -> tuple[list[str], Iterator[list[str]]]:
    """The header and a lazy iterator over the rows the filter keeps, ordered by
    respondent id. `labels`: single-choice answers as their words ("主机厂 (OEM)", wjx's
    按选项文本) instead of their codes (按序号)."""
    return export_columns(flow), _rows(session, flow, batch_size, report_filter, labels)


def _rows(
    session: Session, flow: Flow, batch_size: int, report_filter: ReportFilter, labels: bool
) -> Iterator[list[str]]:
    after = 0
    # Every session the filter keeps, counted or not (no flow id: no counting rule here);
    # the `counted` column says which ones the reports count.
    real = session_conditions(report_filter)
    per_unit = flow.counting is not CountingUnit.RESPONDENT
    aside = set_aside_ids(
        session=session,
        flow_id=flow.id,
        unit=flow.counting,
        include_test=report_filter.include_test,
    )
    while True:
        batch = session.exec(
            select(SurveySession, Respondent)
            .join(Respondent, col(Respondent.id) == col(SurveySession.respondent_id))
            .where(SurveySession.flow_id == flow.id, col(SurveySession.id) > after, *real)
            .order_by(col(SurveySession.id))
            .limit(batch_size)
        ).all()
        if not batch:
            return
        answers = _answers(session, [s.id for s, _ in batch if s.id is not None])
        handled = handled_respondents(
            session=session, respondent_ids=[r.id for _, r in batch if r.id is not None]
        )
        earlier: dict[int, dict[str, StateAnswer]] = {}
        if flow.previous_round is not None:  # both rounds side by side
            earlier = answers_by_respondent(
                session=session,
                flow_id=flow.previous_round.survey,
                respondent_ids=[r.id for _, r in batch if r.id is not None],
            )
        columns = export_columns(flow)
        for survey_session, respondent in batch:
            given = answers[survey_session.id or 0]
            personal = respondent.id not in handled
            row = _row(flow, survey_session, respondent, given, labels, personal=personal)
            if per_unit:
                row.insert(len(FIXED_COLUMNS), "0" if survey_session.id in aside else "1")
            previous = earlier.get(respondent.id or 0, {})
            yield _with_previous(flow, columns, row, previous, labels)
        after = batch[-1][0].id or after


def _answers(session: Session, session_ids: list[int]) -> dict[int, dict[str, list[Answer]]]:
    by_session: dict[int, dict[str, list[Answer]]] = defaultdict(lambda: defaultdict(list))
    rows = session.exec(
        select(Answer).where(col(Answer.session_id).in_(session_ids)).order_by(col(Answer.id))
    ).all()
    for answer in rows:
        by_session[answer.session_id][answer.question_id].append(answer)
    return by_session


def _row(
    flow: Flow,
    survey_session: SurveySession,
    respondent: Respondent,
    answers: dict[str, list[Answer]],
    labels: bool = False,
    *,
    personal: bool = True,
) -> list[str]:
    row = [
        str(respondent.id),
        respondent.channel,
        respondent.lang,
        survey_session.status,
        str(survey_session.flow_version),
        _iso(survey_session.started_at),
        _iso(survey_session.completed_at),
    ]
    for question in flow.questions:
        if question.is_note:
            continue
        given = answers.get(question.id, [])
        if not personal and is_contact_detail(flow, question):
            given = []
        chosen = [a.option_id for a in given if a.option_id is not None]
        texts = [a.text for a in given if a.text is not None]
        if question.type is QuestionType.MULTI:
            row.extend(("1" if o in chosen else "0") if given else "" for o in option_ids(question))
            row.append("; ".join(_label(question, o) for o in chosen))
        elif question.is_choice:
            if labels:
                row.append("; ".join(_label(question, o) for o in chosen))
            else:
                row.append(",".join(chosen))
        else:
            row.append("\n".join(texts))
        if question.unit:
            row.append("\n".join(a.original_text for a in given if a.original_text is not None))
    return row


def _with_previous(
    flow: Flow, columns: list[str], row: list[str], earlier: dict[str, StateAnswer], labels: bool
) -> list[str]:
    """The row with each `:previous` cell filled in after its question's cells."""
    rules = flow.previous_round
    if rules is None:
        return row
    out: list[str] = []
    values = iter(row)  # the row has every column but the `:previous` ones
    for column in columns:
        if not column.endswith(f":{PREVIOUS}"):
            out.append(next(values))
            continue
        question = flow.question(column.removesuffix(f":{PREVIOUS}"))
        old = rules.earlier_question(question.id) or ""
        answer = earlier.get(old)
        if answer is None:
            out.append("")
        elif answer.options:
            mapped = [rules.option(old, o) for o in answer.options]
            shown = [_label(question, o) for o in mapped] if labels else mapped
            out.append(("; " if labels else ",").join(shown))
        else:
            out.append(answer.text or "")
    return out


def _label(question: Question, option_id: str) -> str:
    return option_label(option_text(question, option_id))


def _iso(value: datetime | None) -> str:
    """China time with its offset, to the second ("2026-12-04T18:05:09+08:00"): the time
    staff read everywhere else (chat, XLSX, SPSS), and still unambiguous."""
    return value.astimezone(CHINA).isoformat(timespec="seconds") if value is not None else ""


def _csv_safe(value: str) -> str:
    if _PHONE.fullmatch(value):
        return f'="{value}"'
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(target: str | Path | TextIO, header: list[str], rows: Iterable[list[str]]) -> int:
    """UTF-8 with a BOM (Excel then reads Chinese correctly); returns the rows written."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="") as stream:
            return _write_csv(stream, header, rows)
    target.write("\ufeff")
    return _write_csv(target, header, rows)


def _write_csv(stream: TextIO, header: list[str], rows: Iterable[list[str]]) -> int:
    writer = csv.writer(stream)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
        count += 1
    return count


def write_xlsx(
    path: str | Path, header: list[str], rows: Iterable[list[str]], *, sheet: str = "answers"
) -> int:
    """A write-only (streaming) workbook; every cell is text, never a formula."""
    # Imported here: openpyxl (and the numpy it picks up when installed) is ~35 MB that a
    # web worker carries only once someone downloads an XLSX export.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    count = 0
    for values in _with_header(header, rows):
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
        count += 1
    workbook.save(path)
    return count - 1


def _with_header(header: list[str], rows: Iterable[list[str]]) -> Iterator[list[str]]:
    yield header
    yield from rows
