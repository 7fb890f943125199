"""What the staff dashboard shows, gathered in one read-only transaction.

Plain frozen dataclasses for the templates: the seed-style table of every choice
question, the free-text answers, progress per channel and per day, and the open contact
requests. Contact-form fields never appear as questions (they are personal information):
staff see them only with the contact request they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from bot.reports.labels import detail_label, is_personal, numbered, option_text
from bot.reports.local_time import CHINA_OFFSET
from bot.reports.number_summary import NumberSummary, number_summaries
from bot.reports.text_report import option_label
from flows import numbering
from flows.model import Flow, Question, Text
from storage.aggregates import FreeText, QuestionStats, option_ids, percent, question_stats
from storage.contacts import contact_details, open_contacts
from storage.crosstab import crosstab
from storage.filters import NO_FILTER, ReportFilter
from storage.progress import survey_progress
from storage.web_queries import (
    ChannelProgress,
    DayProgress,
    HourProgress,
    progress_by_channel,
    progress_by_day,
    progress_by_hour,
)

HOURLY_DAYS = 3  # answers spanning fewer calendar days are charted per hour
TEXT_LIMIT = 500  # free-text answers listed per question, newest first
RECENT = timedelta(hours=24)  # "in the last 24 h"; an unfinished session idle longer is stale
CONTACT_LIMIT = 200


@dataclass(frozen=True)
class OptionRow:
    option_id: str
    label: str  # the seed's "内饰 (Interior)"
    count: int
    pct_of_selections: Decimal
    pct_of_respondents: Decimal


@dataclass(frozen=True)
class Section:
    number: str | None  # the survey's own ("5", "10a"); None outside the count (contact form)
    question: Question
    stats: QuestionStats
    rows: tuple[OptionRow, ...]
    texts: tuple[FreeText, ...]
    numbers: NumberSummary | None = None  # numeric questions: n, sum, median, quartiles

    @property
    def is_choice(self) -> bool:
        return self.question.is_choice


@dataclass(frozen=True)
class ContactRow:
    reference: str
    status: str
    reason: str
    created_at: datetime
    claimed_by: str | None
    details: Mapping[str, str]
    note: str | None = None


@dataclass(frozen=True)
class WaitingRow:
    """Unfinished respondents stopped at one question."""

    question_id: str | None
    label: str
    sessions: int
    idle: int


@dataclass(frozen=True)
class Dashboard:
    title: Text
    started: int
    completed: int
    channels: tuple[ChannelProgress, ...]
    days: tuple[DayProgress, ...]
    started_recently: int
    completed_recently: int
    waiting: tuple[WaitingRow, ...]
    sections: tuple[Section, ...]
    contacts: tuple[ContactRow, ...]
    detail_labels: Mapping[str, str]  # contact-form question id → column heading
    generated_at: datetime
    text_limit: int

    @property
    def completion_rate(self) -> Decimal:
        return percent(self.completed, self.started)


@dataclass(frozen=True)
class CrossTabView:
    """`question` (rows) broken down by `by` (columns): respondents per cell, and their
    share of the column's base (who chose the column option and answered `question`)."""

    question: Question
    by: Question
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], int]
    bases: Mapping[str, int]
    row_labels: Mapping[str, str]
    column_labels: Mapping[str, str]

    def count(self, row: str, column: str) -> int:
        return self.cells.get((row, column), 0)

    def pct(self, row: str, column: str) -> Decimal:
        return percent(self.count(row, column), self.bases.get(column, 0))


def is_reportable(flow: Flow, question: Question) -> bool:
    """Shown on the dashboard: everything but the contact form's personal details."""
    return not (question.is_note or is_personal(flow, question))


def chart_questions(flow: Flow) -> list[Question]:
    """The questions with a chart (and offered in the cross-tab form)."""
    return [q for q in flow.questions if q.is_choice and is_reportable(flow, q)]


def gather_dashboard(
    *,
    session: Session,
    flow: Flow,
    now: datetime,
    text_limit: int = TEXT_LIMIT,
    report_filter: ReportFilter = NO_FILTER,
    from_counters: bool = True,
) -> Dashboard:
    """Every figure for the sessions `report_filter` keeps (the contact list is not a
    figure: it shows every open request). `from_counters=False`: sessions counted from
    the rows, not the session counters (the benchmark's "before")."""
    report_filter = report_filter.for_flow(flow.counting)  # storage.unit_sessions
    stats = question_stats(
        session=session, flow=flow, text_limit=text_limit, report_filter=report_filter
    )
    numbers = number_summaries(session=session, flow=flow, report_filter=report_filter)
    sections = []
    for question in flow.questions:
        if not is_reportable(flow, question) or question.id not in stats:
            continue
        of_question = stats[question.id]
        rows = tuple(
            OptionRow(
                o.option_id,
                option_label(option_text(question, o.option_id)),
                o.count,
                o.pct_of_selections,
                o.pct_of_respondents,
            )
            for o in of_question.options
        )
        number = numbering.label(flow, question.id)
        figures = numbers.get(question.id)
        sections.append(Section(number, question, of_question, rows, of_question.texts, figures))
    channels = tuple(
        progress_by_channel(
            session=session,
            flow_id=flow.id,
            report_filter=report_filter,
            from_counters=from_counters,
        )
    )
    contacts = tuple(
        ContactRow(
            reference=c.reference or str(c.id),
            status=c.status,
            reason=c.reason,
            created_at=c.created_at,
            claimed_by=c.claimed_by,
            details=contact_details(c),
            note=c.note,
        )
        for c in open_contacts(session=session, include_claimed=True, limit=CONTACT_LIMIT)
    )
    details = flow.contact.detail_questions if flow.contact else ()
    progress = survey_progress(
        session=session,
        flow_id=flow.id,
        since=now - RECENT,
        idle_before=now - RECENT,
        report_filter=report_filter,
        from_counters=from_counters,
    )
    waiting = tuple(
        WaitingRow(w.question_id, _waiting_label(flow, w.question_id), w.sessions, w.idle)
        for w in progress.waiting
    )
    return Dashboard(
        title=flow.title,
        started=sum(c.started for c in channels),
        completed=sum(c.completed for c in channels),
        channels=channels,
        days=tuple(
            progress_by_day(
                session=session,
                flow_id=flow.id,
                utc_offset=CHINA_OFFSET,
                report_filter=report_filter,
                from_counters=from_counters,
            )
        ),
        started_recently=progress.started_since,
        completed_recently=progress.completed_since,
        waiting=waiting,
        sections=tuple(sections),
        contacts=contacts,
        detail_labels={q: _detail_heading(flow, q) for q in details},
        generated_at=now,
        text_limit=text_limit,
    )


def progress_series(
    *, session: Session, flow_id: str, report_filter: ReportFilter = NO_FILTER
) -> tuple[list[DayProgress], list[HourProgress] | None]:
    """Per day, and per hour too while the answers span only a campaign's first days
    (`HOURLY_DAYS`); China time."""
    days = progress_by_day(
        session=session, flow_id=flow_id, utc_offset=CHINA_OFFSET, report_filter=report_filter
    )
    if not days or (days[-1].day - days[0].day).days >= HOURLY_DAYS:
        return days, None
    hours = progress_by_hour(
        session=session, flow_id=flow_id, utc_offset=CHINA_OFFSET, report_filter=report_filter
    )
    return days, hours


def _waiting_label(flow: Flow, question_id: str | None) -> str:
    if question_id is None or not flow.has_question(question_id):
        return "尚未开始答题 Not at a question yet"
    question = flow.question(question_id)
    return numbered(flow, question_id, f"{question.text.zh} {question.text.en}")


def _detail_heading(flow: Flow, question_id: str) -> str:
    return detail_label(flow, question_id)


def gather_crosstab(
    *,
    session: Session,
    flow: Flow,
    question_id: str,
    by_id: str,
    report_filter: ReportFilter = NO_FILTER,
) -> CrossTabView:
    """Raises `KeyError` for an unknown question, `ValueError` for one without options."""
    question, by = flow.question(question_id), flow.question(by_id)
    if not (is_reportable(flow, question) and is_reportable(flow, by)):
        raise ValueError("personal details are not cross-tabulated")
    if not (question.is_choice and by.is_choice):
        raise ValueError("a cross-tab needs two choice questions")
    report_filter = report_filter.for_flow(flow.counting)  # storage.unit_sessions
    table = crosstab(
        session=session,
        flow_id=flow.id,
        row_question=question_id,
        col_question=by_id,
        report_filter=report_filter,
    )
    rows, columns = option_ids(question), option_ids(by)
    return CrossTabView(
        question=question,
        by=by,
        rows=rows,
        columns=columns,
        cells=table.cells,
        bases=table.col_bases,
        row_labels={o: option_label(option_text(question, o)) for o in rows},
        column_labels={o: option_label(option_text(by, o)) for o in columns},
    )
