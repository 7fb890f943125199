"""What staff read from the report commands: /stats, /progress, /chart, /changes.

One frozen dataclass per kind, like the other staff replies (flows.staff_replies), each
mapped to its template by `flows.reply_registry`. Their figures are counted in storage
and shaped by bot.reports.staff_replies, so rows arrive here as plain mappings, and
every figure names the filter it was counted under (`StaffFilterLine`).
A question's `number` is the one respondents see, None for a question outside the count
(the contact form, the organisation step): its text alone is shown, never its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from flows.model import Question, Text
from flows.replies import Reply
from flows.staff_replies import Rows


# /stats, /progress, /chart and their filters.
@dataclass(frozen=True, kw_only=True)
class StaffFilterLine(Reply):
    conditions: Rows
    since: str | None
    until: str | None
    channel: str | None
    language: str | None
    test: bool
    # The flow's counting rule ("respondent", "organisation", "plant"): named when it is
    # not per respondent, so every figure says what it counted once.
    counting: str = "respondent"
    since_last_year: bool = False  # a month-day without a year taken as last year's


@dataclass(frozen=True, kw_only=True)
class StaffFilterError(Reply):
    problem: str
    text: str | None
    question: Question | None
    number: str | None
    options: Sequence[Text]


@dataclass(frozen=True, kw_only=True)
class StaffOverview(Reply):
    title: Text
    started: int
    completed: int
    rate: Decimal
    completed_today: int
    counting: str
    units: object  # storage.organisation_queries.UnitCount, or None
    as_of: str
    filter_line: str
    narrowed: bool = False  # a filter leaves some answers out: "none match", not "none yet"


@dataclass(frozen=True, kw_only=True)
class StaffStatsQuestion(Reply):
    number: str | None
    question: Question
    choice: bool
    respondents: int
    selections: int
    rows: Rows
    texts: Rows
    text_total: int
    numbers: object  # bot.reports.number_summary.NumberSummary, or None
    as_of: str
    filter_line: str
    narrowed: bool = False  # a filter leaves some answers out: "none match", not "none yet"


@dataclass(frozen=True, kw_only=True)
class StaffCrosstab(Reply):
    row_question: Question
    col_question: Question
    row_number: str | None
    col_number: str | None
    respondents: int
    columns: Rows
    as_of: str
    filter_line: str
    narrowed: bool = False  # a filter leaves some answers out: "none match", not "none yet"


@dataclass(frozen=True, kw_only=True)
class StaffCrosstabSame(Reply):
    number: str | None


@dataclass(frozen=True, kw_only=True)
class StaffProgress(Reply):
    started: int
    completed: int
    rate: Decimal
    started_today: int
    completed_today: int
    unfinished: int
    waiting: Rows
    idle_hours: int
    reminded: int
    came_back: int
    as_of: str
    filter_line: str


@dataclass(frozen=True, kw_only=True)
class StaffChart(Reply):
    question: Question
    number: str | None
    respondents: int
    chartable: bool
    drawing: bool
    as_of: str
    filter_line: str


@dataclass(frozen=True, kw_only=True)
class StaffPrivateQuestion(Reply):
    question: Question
    number: str | None


@dataclass(frozen=True, kw_only=True)
class StaffUnknownQuestion(Reply):
    ref: str
    not_choice: bool
    questions: Rows
    after_by: str | None = None  # "/stats 6 by": the question given before the missing one


@dataclass(frozen=True, kw_only=True)
class StaffChangesNone(Reply):
    title: Text


@dataclass(frozen=True, kw_only=True)
class StaffChangesUnmapped(Reply):
    question: Question
    number: str | None
    survey: str


@dataclass(frozen=True, kw_only=True)
class StaffChanges(Reply):
    question: Question
    number: str | None
    survey: str
    report: object  # bot.reports.round_changes.ChangeReport
