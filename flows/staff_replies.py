"""What the bot says to staff: one frozen dataclass per kind, like the engine's
(flows.replies, issue 15 §3).

`flows.reply_registry` maps each kind to its template (`bot/templates/*/staff_*.j2`);
the fields are the template's variables. Staff replies render bilingually, except the
broadcast message, which goes to respondents in their language. Figures come from
storage through bot/ (bot.reports.staff_replies), so their rows are plain mappings and
sequences here: flows/ imports nothing from bot/ or storage/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flows.model import Question, Text
from flows.replies import Reply

Rows = Sequence[Mapping[str, object]]
Details = Sequence[tuple[str, str]]  # (label, value) of a follow-up request's details


@dataclass(frozen=True, kw_only=True)
class StaffHelp(Reply):
    commands: Rows


@dataclass(frozen=True, kw_only=True)
class StaffLink(Reply):
    kind: str  # "export" or "dashboard"
    links: Rows
    minutes: int


@dataclass(frozen=True, kw_only=True)
class StaffRemind(Reply):
    queued: int | None  # None: the survey is closed
    title: Text
    hours: int


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


@dataclass(frozen=True, kw_only=True)
class StaffStatsQuestion(Reply):
    number: str
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


@dataclass(frozen=True, kw_only=True)
class StaffCrosstab(Reply):
    row_question: Question
    col_question: Question
    row_number: str
    col_number: str
    respondents: int
    columns: Rows
    as_of: str
    filter_line: str


@dataclass(frozen=True, kw_only=True)
class StaffCrosstabSame(Reply):
    number: str


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
    number: str
    respondents: int
    chartable: bool
    drawing: bool
    as_of: str
    filter_line: str


@dataclass(frozen=True, kw_only=True)
class StaffPrivateQuestion(Reply):
    question: Question
    number: str


@dataclass(frozen=True, kw_only=True)
class StaffUnknownQuestion(Reply):
    ref: str
    not_choice: bool
    questions: Rows


@dataclass(frozen=True, kw_only=True)
class StaffChangesNone(Reply):
    title: Text


@dataclass(frozen=True, kw_only=True)
class StaffChangesUnmapped(Reply):
    question: Question
    number: str
    survey: str


@dataclass(frozen=True, kw_only=True)
class StaffChanges(Reply):
    question: Question
    number: str
    survey: str
    report: object  # bot.reports.round_changes.ChangeReport


# Follow-up requests.
@dataclass(frozen=True, kw_only=True)
class StaffContacts(Reply):
    view: str
    contacts: Rows
    more: bool


@dataclass(frozen=True, kw_only=True)
class StaffContactError(Reply):
    command: str
    reference: str | None
    claimed_by: str | None
    reason: str
    staff: str | None = None  # the unknown name given to /assign
    staff_names: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class StaffContactUpdated(Reply):
    action: str
    reference: str | None
    note: str | None
    assignee: str | None
    details: Details


@dataclass(frozen=True, kw_only=True)
class StaffContactNotice(Reply):
    """To the other staff: who moved which request (an assignee also gets the details)."""

    action: str
    reference: str | None
    actor: str
    to_you: bool
    assignee: str | None
    details: Details


@dataclass(frozen=True, kw_only=True)
class StaffContactAlert(Reply):
    reference: str | None
    reason: Text
    created: str
    details: Details
    question: Question | None  # the question whose answer asked for the call
    number: str | None


@dataclass(frozen=True, kw_only=True)
class StaffContactReminder(Reply):
    reference: str | None
    created: str
    hours: str


# /broadcast.
@dataclass(frozen=True, kw_only=True)
class StaffBroadcastPreview(Reply):
    text: str
    now: int
    later: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class StaffBroadcastNone(Reply):
    reason: str
    minutes: int
    limit: int


@dataclass(frozen=True, kw_only=True)
class StaffBroadcastSent(Reply):
    now: int
    later: int


@dataclass(frozen=True, kw_only=True)
class StaffBroadcastMessage(Reply):
    text: str


# /survey, /test, /orgs.
@dataclass(frozen=True, kw_only=True)
class StaffSurveys(Reply):
    surveys: Rows
    picked: bool
    current: Text


@dataclass(frozen=True, kw_only=True)
class StaffSurveyUnknown(Reply):
    ref: str
    ids: Sequence[str]


@dataclass(frozen=True, kw_only=True)
class StaffTest(Reply):
    action: str
    days: int | None = None  # start
    respondent: int | None = None  # mark, unmark
    found: bool = False
    changed: bool = False


@dataclass(frozen=True, kw_only=True)
class StaffOrgs(Reply):
    survey: Text
    counting: str
    started: int
    completed: int
    organisations: Sequence[object]
    more: int
    matches: Sequence[object]


@dataclass(frozen=True, kw_only=True)
class StaffOrgsDone(Reply):
    """The fields of the verb done: merge (kept, merged, links), split (link, source,
    to), same/different (match, organisation, candidate)."""

    verb: str
    kept: int | None = None
    merged: int | None = None
    links: int | None = None
    link: int | None = None
    source: int | None = None
    to: int | None = None
    match: int | None = None
    organisation: int | None = None
    candidate: int | None = None


@dataclass(frozen=True, kw_only=True)
class StaffOrgsError(Reply):
    reason: str
