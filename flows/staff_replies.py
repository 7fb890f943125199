"""What the bot says to staff: one frozen dataclass per kind, like the engine's
(flows.replies, issue 15 §3). The replies of the report commands (/stats, /progress,
/chart, /changes) are in flows.staff_report_replies.

`flows.reply_registry` maps each kind to its template (`bot/templates/*/staff_*.j2`);
the fields are the template's variables. Staff replies render bilingually, except the
broadcast message, which goes to respondents in their language. Figures come from
storage through bot/ (bot.reports.staff_replies), so their rows are plain mappings and
sequences here: flows/ imports nothing from bot/ or storage/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flows.model import Question, Text
from flows.replies import Reply

Rows = Sequence[Mapping[str, object]]
Details = Sequence[tuple[str, str]]  # (label, value) of a follow-up request's details


@dataclass(frozen=True, kw_only=True)
class StaffHelp(Reply):
    commands: Rows
    unknown: str | None = None  # a "/word" that is no staff command
    guess: str | None = None  # the command it is closest to ("stats" for "/stat")


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
    view: str | None = None  # the unknown list asked of /contacts


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
    was_yours: bool = False  # assigned to someone else while this staff member had it


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
