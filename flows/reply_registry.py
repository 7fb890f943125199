"""The one registry from a reply kind (a flows.replies.Reply) to its template's name.

`bot/templates/{zh,en,both}/<name>.j2` renders it, with the reply's fields as variables;
Engine replies (flows.replies, flows.command_replies, flows.confirmation_replies,
flows.contact_form_replies, flows.completion_replies, flows.outside_step_replies,
flows.colleague_replies) and staff replies (flows.staff_replies,
flows.staff_report_replies) alike;
tests/bot/test_render.py checks that every kind has its three templates and that no
template is left without a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from flows.colleague_replies import (
    ColleagueAnswered,
    ColleagueAnswers,
    ColleagueKept,
    ColleagueUnavailable,
    TookOver,
)
from flows.command_replies import (
    BackAtStart,
    CannotSkip,
    ChangeUnknown,
    Help,
    NotNow,
    RemindersOff,
    StaleButton,
    UnknownCommand,
    UnsupportedInput,
)
from flows.completion_replies import (
    Completed,
    CompletedHint,
    NextAfterFinishing,
    NoNextSurvey,
    ResultsLater,
    ResultsOff,
    Snapshot,
    SnapshotRequest,
    Summary,
    SummaryRequest,
)
from flows.confirmation_replies import (
    Cancelled,
    ConfirmDelete,
    ConfirmInvalid,
    ConfirmRestart,
    ConfirmReuse,
    DataDeletedNotice,
    Restarted,
)
from flows.contact_form_replies import (
    ContactCreated,
    ContactDeclined,
    ContactFormIntro,
    ContactStillOpen,
    ContactUnavailable,
    ContactWithdrawnNotice,
)
from flows.outside_step_replies import NextUnavailable, NoMorePages, Reminder, ReplyNotKept
from flows.replies import (
    AnswersDropped,
    AnswerUpdated,
    AskQuestion,
    ChooseLanguage,
    InvalidAnswer,
    InvalidLanguage,
    LanguageSet,
    MyAnswers,
    NoAnswers,
    Note,
    Preface,
    Recorded,
    Reply,
    SurveyClosed,
    SurveyUpdated,
    Welcome,
    WelcomeBack,
)
from flows.staff_replies import (
    StaffBroadcastMessage,
    StaffBroadcastNone,
    StaffBroadcastPreview,
    StaffBroadcastSent,
    StaffContactAlert,
    StaffContactError,
    StaffContactNotice,
    StaffContactReminder,
    StaffContacts,
    StaffContactUpdated,
    StaffHelp,
    StaffLink,
    StaffOrgs,
    StaffOrgsDone,
    StaffOrgsError,
    StaffRemind,
    StaffSurveys,
    StaffSurveyUnknown,
    StaffTest,
)
from flows.staff_report_replies import (
    StaffChanges,
    StaffChangesNone,
    StaffChangesUnmapped,
    StaffChart,
    StaffCrosstab,
    StaffCrosstabSame,
    StaffFilterError,
    StaffFilterLine,
    StaffOverview,
    StaffPrivateQuestion,
    StaffProgress,
    StaffStatsQuestion,
    StaffUnknownQuestion,
)

TEMPLATES: Mapping[type[Reply], str] = {
    # Asking and answering (flows.replies).
    Welcome: "welcome",
    Preface: "preface",
    ChooseLanguage: "choose_language",
    LanguageSet: "language_set",
    InvalidLanguage: "invalid_language",
    AskQuestion: "question",
    Note: "note",
    WelcomeBack: "welcome_back",
    SurveyUpdated: "survey_updated",
    SurveyClosed: "survey_closed",
    Recorded: "recorded",
    InvalidAnswer: "invalid_answer",
    AnswerUpdated: "answer_updated",
    AnswersDropped: "answers_dropped",
    MyAnswers: "my_answers",
    NoAnswers: "no_answers",
    # Navigation and commands (flows.command_replies).
    BackAtStart: "back_at_start",
    CannotSkip: "cannot_skip",
    NotNow: "not_now",
    ChangeUnknown: "change_unknown",
    Help: "help",
    UnknownCommand: "unknown_command",
    UnsupportedInput: "unsupported_input",
    StaleButton: "stale_button",
    RemindersOff: "reminders_off",
    # Confirmations and their outcomes (flows.confirmation_replies).
    ConfirmRestart: "confirm_restart",
    ConfirmDelete: "confirm_delete",
    ConfirmReuse: "confirm_reuse",
    ConfirmInvalid: "confirm_invalid",
    Cancelled: "cancelled",
    Restarted: "restarted",
    DataDeletedNotice: "data_deleted",
    # The contact form (flows.contact_form_replies).
    ContactFormIntro: "contact_form_intro",
    ContactUnavailable: "contact_unavailable",
    ContactDeclined: "contact_declined",
    ContactCreated: "contact_created",
    ContactWithdrawnNotice: "contact_withdrawn",
    ContactStillOpen: "contact_still_open",
    # The end, results and the next survey (flows.completion_replies).
    Completed: "completed",
    CompletedHint: "completed_hint",
    Snapshot: "snapshot",
    Summary: "completion_summary",
    ResultsOff: "results_off",
    ResultsLater: "results_later",
    NextAfterFinishing: "next_after_finishing",
    NoNextSurvey: "no_next_survey",
    # Said outside a step (flows.outside_step_replies).
    NextUnavailable: "next_unavailable",
    NoMorePages: "no_more_pages",
    ReplyNotKept: "reply_not_kept",
    Reminder: "reminder",
    # A colleague of the same organisation or plant (flows.colleague_replies).
    ColleagueAnswered: "colleague_answered",
    ColleagueAnswers: "colleague_answers",
    ColleagueUnavailable: "colleague_unavailable",
    TookOver: "took_over",
    ColleagueKept: "colleague_kept",
    # What staff read (flows.staff_replies; the report commands' in
    # flows.staff_report_replies).
    StaffHelp: "staff_help",
    StaffLink: "staff_link",
    StaffRemind: "staff_remind",
    StaffFilterLine: "staff_filter_line",
    StaffFilterError: "staff_filter_error",
    StaffOverview: "staff_overview",
    StaffStatsQuestion: "staff_stats_question",
    StaffCrosstab: "staff_crosstab",
    StaffCrosstabSame: "staff_crosstab_same",
    StaffProgress: "staff_progress",
    StaffChart: "staff_chart",
    StaffPrivateQuestion: "staff_private_question",
    StaffUnknownQuestion: "staff_unknown_question",
    StaffChangesNone: "staff_changes_none",
    StaffChangesUnmapped: "staff_changes_unmapped",
    StaffChanges: "staff_changes",
    StaffContacts: "staff_contacts",
    StaffContactError: "staff_contact_error",
    StaffContactUpdated: "staff_contact_updated",
    StaffContactNotice: "staff_contact_notice",
    StaffContactAlert: "staff_contact_alert",
    StaffContactReminder: "staff_contact_reminder",
    StaffBroadcastPreview: "staff_broadcast_preview",
    StaffBroadcastNone: "staff_broadcast_none",
    StaffBroadcastSent: "staff_broadcast_sent",
    StaffBroadcastMessage: "staff_broadcast_message",
    StaffSurveys: "staff_surveys",
    StaffSurveyUnknown: "staff_survey_unknown",
    StaffTest: "staff_test",
    StaffOrgs: "staff_orgs",
    StaffOrgsDone: "staff_orgs_done",
    StaffOrgsError: "staff_orgs_error",
}

# Answered by the dispatcher before rendering (never rendered as they are), with the
# template of their answer.
REQUESTS: Mapping[type[Reply], str] = {
    SnapshotRequest: TEMPLATES[Snapshot],
    SummaryRequest: TEMPLATES[Summary],
}


def template_name(reply: Reply) -> str:
    """The template of a reply; of a request, the template of its answer."""
    kind = type(reply)
    return TEMPLATES[kind] if kind in TEMPLATES else REQUESTS[kind]


def template_params(reply: Reply) -> dict[str, Any]:
    """The template's variables: the reply's fields (shallow: flow objects stay objects)."""
    kind = type(reply)
    names = _PARAM_NAMES.get(kind)
    if names is None:  # a kind's fields never change: looked up once (a reply or more a push)
        names = _PARAM_NAMES[kind] = tuple(f.name for f in fields(reply) if f.name != "lang")
    return {name: getattr(reply, name) for name in names}


_PARAM_NAMES: dict[type, tuple[str, ...]] = {}
