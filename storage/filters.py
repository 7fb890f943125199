"""Which survey sessions a report is about: answers, dates, channel, language, test data.

One `ReportFilter` is handed to every staff figure (the `/stats` and `/progress` replies,
the dashboard's figures, charts, cross-tabs and downloads), so they all count the same
sessions. Without conditions the live counters answer (`storage.aggregates`); with
conditions the answer rows are counted through `sessions_matching`, an indexed
subquery on `survey_session`. Test respondents (`storage.test_data`) are left out
unless `include_test`. A filter also carries the flow's counting rule (`counting`,
storage.unit_sessions): counting per organisation or plant keeps each unit's counted
session only, before any other condition, and always counts from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from flows.model import CountingUnit
from storage.models import Answer, Respondent, SurveySession
from storage.unit_sessions import counted_condition


@dataclass(frozen=True)
class AnswerIs:
    """The session answered `question_id` with `option_id` (one of them, for multiple
    choice)."""

    question_id: str
    option_id: str


@dataclass(frozen=True)
class ReportFilter:
    answers: tuple[AnswerIs, ...] = ()  # all must hold
    since: datetime | None = None  # the session started at or after (UTC, aware)
    until: datetime | None = None  # … and before
    channel: str | None = None  # "wechat" | "telegram" | …
    lang: str | None = None  # the respondent's language: "zh" | "en" | "both"
    include_test: bool = False
    # The flow's `counting:` (set by whoever builds the filter for a flow: `for_flow`).
    counting: CountingUnit = CountingUnit.RESPONDENT
    # Under unit counting, this session speaks for its unit: a respondent's own figures.
    viewer: int | None = None

    @property
    def narrows(self) -> bool:
        """True when only some real sessions count (the counters cannot answer)."""
        return (
            bool(self.answers)
            or any(v is not None for v in (self.since, self.until, self.channel, self.lang))
            or self.counting is not CountingUnit.RESPONDENT
        )

    @property
    def per_unit(self) -> bool:
        """Counting per organisation or plant (reports then say so)."""
        return self.counting is not CountingUnit.RESPONDENT

    def for_flow(self, counting: CountingUnit) -> ReportFilter:
        """This filter under the flow's counting rule (`flow.counting`)."""
        return self if counting is self.counting else replace(self, counting=counting)


NO_FILTER = ReportFilter()


def filter_to_json(report_filter: ReportFilter) -> dict[str, object]:
    """A filter as JSON (a chart drawn later, by another process, obeys it too)."""
    f = report_filter
    return {
        "answers": [[a.question_id, a.option_id] for a in f.answers],
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
        "channel": f.channel,
        "lang": f.lang,
        "include_test": f.include_test,
        "counting": f.counting.value,
        "viewer": f.viewer,
    }


def filter_from_json(data: dict[str, Any]) -> ReportFilter:
    return ReportFilter(
        answers=tuple(AnswerIs(str(q), str(o)) for q, o in data.get("answers", [])),
        since=datetime.fromisoformat(data["since"]) if data.get("since") else None,
        until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
        channel=data.get("channel"),
        lang=data.get("lang"),
        include_test=bool(data.get("include_test")),
        counting=CountingUnit(data.get("counting") or CountingUnit.RESPONDENT),
        viewer=data.get("viewer"),
    )


def real_respondents(respondent_id: Any) -> ColumnElement[bool]:
    """A WHERE condition keeping the rows of real (not test) respondents."""
    # Plain `is_test` (not `IS TRUE`): PostgreSQL then reads the partial index
    # ix_respondent_test (the few test rows) instead of every respondent.
    test = select(Respondent.id).where(col(Respondent.is_test))
    return respondent_id.not_in(test)  # type: ignore[no-any-return]


def session_conditions(
    report_filter: ReportFilter, flow_id: str | None = None
) -> list[ColumnElement[bool]]:
    """WHERE conditions on `survey_session` for the filter (without the flow itself;
    `flow_id` lets the answer conditions read ix_answer_flow_question_option_session)."""
    f = report_filter
    where: list[ColumnElement[bool]] = []
    started = col(SurveySession.started_at)
    if f.since is not None:
        where.append(started >= f.since)
    if f.until is not None:
        where.append(started < f.until)
    people = []
    if f.channel is not None:
        people.append(Respondent.channel == f.channel)
    if f.lang is not None:
        people.append(Respondent.lang == f.lang)
    if people:
        chosen = select(Respondent.id).where(*people)
        where.append(col(SurveySession.respondent_id).in_(chosen))
    for answer in f.answers:
        answered = select(Answer.session_id).where(
            Answer.question_id == answer.question_id, Answer.option_id == answer.option_id
        )
        if flow_id is not None:
            answered = answered.where(Answer.flow_id == flow_id)
        where.append(col(SurveySession.id).in_(answered))
    if not f.include_test:
        where.append(real_respondents(SurveySession.respondent_id))
    if f.per_unit and flow_id is not None:
        where.append(_counted(col(SurveySession.id), flow_id, f))
    return where


def _counted(session_id: Any, flow_id: str, f: ReportFilter) -> ColumnElement[bool]:
    return counted_condition(
        session_id, flow_id, f.counting, include_test=f.include_test, viewer=f.viewer
    )


def sessions_matching(flow_id: str, report_filter: ReportFilter) -> SelectOfScalar[Any]:
    """SELECT survey_session.id of the flow's sessions the filter keeps."""
    conditions = session_conditions(report_filter, flow_id)
    return select(SurveySession.id).where(
        col(SurveySession.flow_id) == flow_id, and_(true(), *conditions)
    )


def answer_condition(
    respondent_id: Any, session_id: Any, flow_id: str, report_filter: ReportFilter
) -> ColumnElement[bool]:
    """A WHERE condition on answer rows (their respondent and session columns)."""
    f = report_filter
    alone = not any(v is not None for v in (f.since, f.until, f.channel, f.lang))
    if (f.answers or f.per_unit) and alone:
        # Answers or the counting rule alone: the answer rows' own respondent and session
        # columns serve, so the survey_session rows (their JSON states: most of the
        # table) are not read.
        kept = [
            session_id.in_(
                select(Answer.session_id).where(
                    Answer.flow_id == flow_id,
                    Answer.question_id == a.question_id,
                    Answer.option_id == a.option_id,
                )
            )
            for a in f.answers
        ]
        if not f.include_test:  # by session: the index holds it, not the respondent
            test = select(Respondent.id).where(col(Respondent.is_test))
            test_sessions = select(SurveySession.id).where(
                col(SurveySession.respondent_id).in_(test)
            )
            kept.append(session_id.not_in(test_sessions))
        if f.per_unit:
            kept.append(_counted(session_id, flow_id, f))
        return and_(*kept)
    if report_filter.narrows:
        return session_id.in_(sessions_matching(flow_id, report_filter))  # type: ignore[no-any-return]
    if not report_filter.include_test:
        return real_respondents(respondent_id)
    return true()
