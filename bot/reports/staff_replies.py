"""Staff replies (flows.staff_replies): one question, a cross-tab, progress, contacts.

Figures come in from storage; this module only chooses what to show and how to label
it. Wording lives in `bot/templates/*/staff_*.j2`; staff replies render bilingually.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.reports.labels import detail_label, is_personal, option_text
from bot.reports.number_summary import NumberSummary
from bot.reports.text_report import option_label, render_report
from flows import numbering
from flows.model import Flow, Question
from flows.staff_report_replies import (
    StaffCrosstab,
    StaffOverview,
    StaffProgress,
    StaffStatsQuestion,
)
from storage.aggregates import QuestionStats, option_ids, percent
from storage.contacts import contact_details
from storage.crosstab import CrossTab
from storage.models import ContactRequest
from storage.organisation_queries import UnitCount
from storage.progress import Progress

# China has one time zone and no daylight saving time: "today" for AIAG's staff.
# A block of the full report per message, kept under WeChat's 2048-byte passive reply.
MESSAGE_BYTES = 1800
TEXT_ANSWERS_SHOWN = 20  # newest free texts per question in /stats (and their total)


def number(flow: Flow, question: Question) -> str | None:
    """The number respondents see ("5", "10a"); None outside the count (the contact form,
    the organisation step): the templates then show the question's text alone, never its
    id in the number's place (as `labels.numbered` does for the dashboard and exports)."""
    return numbering.label(flow, question.id)


def report_messages(
    flow: Flow,
    stats: Mapping[str, QuestionStats],
    *,
    versions: Sequence[int] | None = None,
    stamp: str | None = None,
    numbers: Mapping[str, NumberSummary] | None = None,
) -> list[str]:
    """The seed-layout report, cut between question blocks into messages that fit."""
    report = render_report(flow, stats, versions=versions, stamp=stamp, numbers=numbers)
    blocks = report.strip().split("\n\n")
    messages: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if current and len(joined.encode("utf-8")) > MESSAGE_BYTES:
            messages.append(current)
            current = block
        else:
            current = joined
    if current:
        messages.append(current)
    return messages


def question_reply(
    flow: Flow,
    question: Question,
    stats: QuestionStats,
    numbers: NumberSummary | None = None,
    *,
    as_of: str,
    filter_line: str,
    narrowed: bool = False,
) -> StaffStatsQuestion:
    choice = question.is_choice
    rows = [
        {
            "text": option_text(question, o.option_id),
            "label": option_label(option_text(question, o.option_id)),
            "count": o.count,
            "pct_selections": o.pct_of_selections,
            "pct_respondents": o.pct_of_respondents,
        }
        for o in stats.options
    ]
    texts = [
        {"respondent_id": t.respondent_id, "text": " ".join(t.text.split())}
        for t in stats.texts[:TEXT_ANSWERS_SHOWN]
    ]
    return StaffStatsQuestion(
        number=number(flow, question),
        question=question,
        choice=choice,
        respondents=stats.respondents,
        selections=stats.selections,
        rows=rows,
        texts=texts,
        text_total=stats.text_total,
        numbers=numbers,
        as_of=as_of,
        filter_line=filter_line,
        narrowed=narrowed,
    )


def crosstab_reply(
    flow: Flow,
    rows_q: Question,
    cols_q: Question,
    table: CrossTab,
    *,
    as_of: str,
    filter_line: str,
    narrowed: bool = False,
) -> StaffCrosstab:
    columns = []
    for col_option in option_ids(cols_q):
        base = table.col_bases.get(col_option, 0)
        cells = []
        for row_option in option_ids(rows_q):
            count = table.cells.get((row_option, col_option), 0)
            text = option_text(rows_q, row_option)
            cells.append(
                {
                    "text": text,
                    "label": option_label(text),
                    "count": count,
                    "pct": percent(count, base),
                }
            )
        text = option_text(cols_q, col_option)
        columns.append({"text": text, "label": option_label(text), "base": base, "rows": cells})
    return StaffCrosstab(
        row_question=rows_q,
        col_question=cols_q,
        row_number=number(flow, rows_q),
        col_number=number(flow, cols_q),
        respondents=table.respondents,
        columns=columns,
        as_of=as_of,
        filter_line=filter_line,
        narrowed=narrowed,
    )


def overview_reply(
    flow: Flow,
    progress: Progress,
    *,
    as_of: str,
    filter_line: str,
    units: UnitCount | None = None,
    narrowed: bool = False,
) -> StaffOverview:
    """`/stats` alone: one short message (started, completed, rate, today, the counting
    rule with its unit counts when it is not per respondent), then where the full report is."""
    return StaffOverview(
        title=flow.title,
        started=progress.started,
        completed=progress.completed,
        rate=percent(progress.completed, progress.started),
        completed_today=progress.completed_since,
        counting=flow.counting.value,
        units=units,
        as_of=as_of,
        filter_line=filter_line,
        narrowed=narrowed,
    )


def report_stamp(progress: Progress, *, as_of: str) -> str:
    """The full report's line of n and time."""
    return (
        f"受访者 Respondents n = {progress.started}（完成 completed {progress.completed}）\n"
        f"截至 As of {as_of}"
    )


def progress_reply(
    flow: Flow,
    progress: Progress,
    answered: Mapping[str, int],
    *,
    idle_hours: int,
    reminders: tuple[int, int],
    as_of: str,
    filter_line: str,
) -> StaffProgress:
    """`answered`: respondents per question (the counters), for each stop's drop-off rate:
    of those who reached a question, the share who stopped there. `reminders`: how many
    got the one reminder, how many came back after it."""
    waiting = []
    for stop in progress.waiting:
        question = flow.question(stop.question_id) if stop.question_id else None
        if stop.question_id and question is None:
            continue
        reached = stop.sessions + (answered.get(stop.question_id, 0) if stop.question_id else 0)
        waiting.append(
            {
                "question": question,
                "number": number(flow, question) if question else None,
                "sessions": stop.sessions,
                "idle": stop.idle,
                "reached": reached if question else 0,
                "pct": percent(stop.sessions, reached),
            }
        )
    reminded, came_back = reminders
    return StaffProgress(
        started=progress.started,
        completed=progress.completed,
        rate=percent(progress.completed, progress.started),
        started_today=progress.started_since,
        completed_today=progress.completed_since,
        unfinished=progress.unfinished,
        waiting=waiting,
        idle_hours=idle_hours,
        reminded=reminded,
        came_back=came_back,
        as_of=as_of,
        filter_line=filter_line,
    )


def contact_lines(flow: Flow, contact: ContactRequest) -> list[tuple[str, str]]:
    """(label, value) of the request's details, in the form's order."""
    details = contact_details(contact)
    lines = []
    for question_id, value in details.items():
        if not value:
            continue
        lines.append((detail_label(flow, question_id), value))
    return lines


def question_list(flow: Flow) -> list[dict[str, object]]:
    return [
        {"number": number(flow, q), "question": q}
        for q in flow.questions
        if not is_personal(flow, q)
    ]
