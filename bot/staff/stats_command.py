"""`/stats` and `/progress`, with filters: what staff read most, one bubble first.

`/stats` alone answers one short overview (started, completed, rate, today, the time of
the figures); `/stats all` the seed-layout report; `/stats 6` one question; `/stats 6 by
1` a cross-tab. Every reply names its n, its filter and its "as of" time (China time).
Filters (`filter_words`) narrow every figure alike (`storage.filters.ReportFilter`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.dispatch.envelope import Message
from bot.reports import staff_replies as fmt
from bot.reports.labels import is_personal, option_text
from bot.reports.local_time import as_of, local_midnight
from bot.reports.number_summary import number_summaries, summarise
from bot.staff.call import Call, Planned, Result, Say
from bot.staff.commands import find_question, split_by
from bot.staff.filter_words import FilterError, ParsedFilter, parse_filters
from flows.model import Flow, Question
from flows.replies import Reply
from flows.staff_report_replies import (
    StaffChart,
    StaffCrosstabSame,
    StaffFilterError,
    StaffFilterLine,
    StaffPrivateQuestion,
    StaffUnknownQuestion,
)
from storage.aggregates import option_ids, question_stats
from storage.chart_queue import queue_staff_chart
from storage.crosstab import crosstab
from storage.filters import filter_to_json
from storage.numeric_answers import numeric_values
from storage.organisation_queries import unit_count
from storage.progress import survey_progress
from storage.reminders import reminder_counts
from storage.surveys import answered_versions

IDLE = timedelta(hours=24)  # an unfinished respondent silent this long has probably left
FULL_REPORT = {"all", "full", "全部", "完整", "报告"}
Line = Callable[[Reply], str]  # renders a one-line template (bilingual)


def _filters(call: Call, flow: Flow, say: Say) -> ParsedFilter | Result:
    numbers = {q.id: fmt.number(flow, q) for q in flow.questions}
    parsed = parse_filters(call.request.argument, flow, now=call.now, number_of=numbers)
    if isinstance(parsed, FilterError):
        question = parsed.question
        error = StaffFilterError(
            problem=parsed.problem.value,
            text=parsed.text,
            question=question,
            number=fmt.number(flow, question) if question else None,
            options=[option_text(question, o) for o in option_ids(question)] if question else [],
        )
        return Result(say(error), "stats_filter_error")
    return parsed


def filter_line(parsed: ParsedFilter, line: Line) -> str:
    f = parsed.report_filter
    reply = StaffFilterLine(
        conditions=[
            {
                "number": c.number,
                "question": c.question,
                "option": option_text(c.question, c.option_id),
            }
            for c in parsed.conditions
        ],
        since=parsed.since_day.isoformat() if parsed.since_day else None,
        until=parsed.until_day.isoformat() if parsed.until_day else None,
        channel=f.channel,
        language=f.lang,
        test=f.include_test,
        counting=f.counting.value,
        since_last_year=parsed.since_last_year,
    )
    return line(reply)


def stats(call: Call, flow: Flow, say: Say, line: Line) -> Result:
    parsed = _filters(call, flow, say)
    if isinstance(parsed, Result):
        return parsed
    session, report_filter = call.session, parsed.report_filter
    when, shown = as_of(call.now), filter_line(parsed, line)  # every reply's n and filter
    narrows = report_filter.narrows  # nothing found: "none match this filter"
    detail: dict[str, object] = {"survey": flow.id, "filtered": narrows}
    if not parsed.rest or parsed.rest.casefold() in FULL_REPORT:
        progress = survey_progress(
            session=session,
            flow_id=flow.id,
            since=local_midnight(call.now),
            idle_before=call.now - IDLE,
            report_filter=report_filter,
        )
        if not parsed.rest or not progress.started:
            units = unit_count(session=session, flow_id=flow.id, unit=flow.counting)
            overview = fmt.overview_reply(
                flow, progress, units=units, as_of=when, filter_line=shown, narrowed=narrows
            )
            return Result(say(overview), "stats_overview", detail)
        # The newest texts only: every one of them was 3.8 s and 8 MB at 1M respondents.
        all_stats = question_stats(
            session=session,
            flow=flow,
            text_limit=fmt.TEXT_ANSWERS_SHOWN,
            report_filter=report_filter,
        )
        versions = answered_versions(session=session, flow_id=flow.id)
        head = fmt.report_stamp(progress, as_of=when) + "\n" + shown
        numbers = number_summaries(session=session, flow=flow, report_filter=report_filter)
        report = fmt.report_messages(
            flow, all_stats, versions=versions, stamp=head, numbers=numbers
        )
        return Result([Message(text) for text in report], "stats_report", detail)
    first, second = split_by(parsed.rest)
    question = find_reportable(flow, first)
    if isinstance(question, Reply):
        return Result(say(question), "stats_question")
    if second is None:
        all_stats = question_stats(
            session=session,
            flow=flow,
            text_limit=fmt.TEXT_ANSWERS_SHOWN,
            report_filter=report_filter,
        )
        figures = None
        if question.is_numeric:
            values = numeric_values(
                session=session,
                flow_id=flow.id,
                question_id=question.id,
                report_filter=report_filter,
            )
            figures = summarise(values)
        reply = fmt.question_reply(
            flow,
            question,
            all_stats[question.id],
            figures,
            as_of=when,
            filter_line=shown,
            narrowed=narrows,
        )
        return Result(say(reply), "stats_question", {**detail, "question": question.id})
    if not second:  # "/stats 6 by": the question to break it down by is missing
        missing = StaffUnknownQuestion(
            ref="", not_choice=False, questions=fmt.question_list(flow), after_by=first
        )
        return Result(say(missing), "stats_crosstab")
    by = find_reportable(flow, second)
    if isinstance(by, Reply):
        return Result(say(by), "stats_crosstab")
    for ref, q in ((first, question), (second, by)):
        if not q.is_choice:
            return Result(say(unknown_question(flow, ref, not_choice=True)), "stats_crosstab")
    if question.id == by.id:
        same = StaffCrosstabSame(number=fmt.number(flow, question))
        return Result(say(same), "stats_crosstab_refused", {"question": question.id})
    table = crosstab(
        session=session,
        flow_id=flow.id,
        row_question=question.id,
        col_question=by.id,
        report_filter=report_filter,
    )
    table_reply = fmt.crosstab_reply(
        flow, question, by, table, as_of=when, filter_line=shown, narrowed=narrows
    )
    detail.update(question=question.id, by=by.id)
    return Result(say(table_reply), "stats_crosstab", detail)


def progress(call: Call, flow: Flow, say: Say, line: Line) -> Result:
    parsed = _filters(call, flow, say)
    if isinstance(parsed, Result):
        return parsed
    report_filter = parsed.report_filter
    figures = survey_progress(
        session=call.session,
        flow_id=flow.id,
        since=local_midnight(call.now),
        idle_before=call.now - IDLE,
        report_filter=report_filter,
    )
    stats = question_stats(session=call.session, flow=flow, report_filter=report_filter)
    answered = {qid: s.respondents for qid, s in stats.items()}
    # The one reminder (bot.workers.reminders): how many got it, how many came back after it.
    reminders = reminder_counts(session=call.session, flow_ids=[flow.id])
    reply = fmt.progress_reply(
        flow,
        figures,
        answered,
        idle_hours=int(IDLE.total_seconds() // 3600),
        reminders=reminders,
        as_of=as_of(call.now),
        filter_line=filter_line(parsed, line),
    )
    return Result(say(reply), "progress", {"filtered": report_filter.narrows})


def chart(call: Call, flow: Flow, say: Say, line: Line) -> Planned:
    """`/chart 6 [filters]`: the caption at once, the image through the outbox (drawn by
    the chart worker, `bot.workers.completion_charts`), like a respondent's completion chart.
    The figures are read here; the chart is queued in the write transaction."""
    parsed = _filters(call, flow, say)
    if isinstance(parsed, Result):
        return parsed
    question = find_reportable(flow, parsed.rest)
    if isinstance(question, Reply):
        return Result(say(question), "chart")
    stats = question_stats(session=call.session, flow=flow, report_filter=parsed.report_filter)[
        question.id
    ]
    drawing = question.is_choice and stats.respondents > 0
    caption = StaffChart(
        question=question,
        number=fmt.number(flow, question),
        respondents=stats.respondents,
        chartable=question.is_choice,
        drawing=drawing,
        as_of=as_of(call.now),
        filter_line=filter_line(parsed, line),
    )
    result = Result(say(caption), "chart", {"question": question.id})
    if not drawing:
        return result
    report_filter = filter_to_json(parsed.report_filter)

    def queue(write: Call) -> Result:
        queue_staff_chart(
            session=write.session,
            channel=write.member.channel.value,
            recipient=write.member.user_id,
            survey=(flow.id, flow.version),
            question_id=question.id,
            report_filter=report_filter,
            now=write.now,
        )
        return result

    return queue


def find_reportable(flow: Flow, ref: str) -> Question | Reply:
    question = find_question(flow, ref) if ref else None
    if question is None:
        return unknown_question(flow, ref)
    if is_personal(flow, question):
        return StaffPrivateQuestion(question=question, number=fmt.number(flow, question))
    return question


def unknown_question(flow: Flow, ref: str, *, not_choice: bool = False) -> Reply:
    return StaffUnknownQuestion(ref=ref, not_choice=not_choice, questions=fmt.question_list(flow))
