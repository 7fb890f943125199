"""A report filter keeps the same sessions in every figure: stats, texts, progress,
per-channel and per-day counts, cross-tabs and exports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows
from flows.events import AnswerRecorded
from storage.aggregates import free_texts, question_stats
from storage.crosstab import crosstab
from storage.filters import AnswerIs, ReportFilter
from storage.models import Respondent, SurveySession
from storage.progress import survey_progress
from storage.transactions import transaction
from storage.web_queries import progress_by_channel, progress_by_day
from tests.storage.sample import NOW, apply, new_respondent, small_flow

OEM = ReportFilter(answers=(AnswerIs("role", "oem"),))


def _population(engine: Engine) -> dict[str, int]:
    """o1 (OEM, wechat, en, a day later), s1 and s2 (suppliers, telegram, zh)."""
    ids = {}
    for user, role, channel in (("o1", "oem", "wechat"), ("s1", "supplier", "telegram"),
                                ("s2", "supplier", "telegram")):  # fmt: skip
        respondent, survey_session = new_respondent(engine, user, channel=channel)
        apply(engine, survey_session, AnswerRecorded("role", (role,)))
        apply(engine, survey_session, AnswerRecorded("policy", ("yes",)))
        apply(engine, survey_session, AnswerRecorded("explain", text=f"{user} says"))
        ids[user] = respondent
    with transaction(engine) as session:
        session.exec(
            update(Respondent).where(Respondent.id == ids["o1"]).values(lang="en")  # type: ignore[arg-type]
        )
        session.exec(
            update(SurveySession)
            .where(SurveySession.respondent_id == ids["o1"])  # type: ignore[arg-type]
            .values(started_at=NOW + timedelta(days=1))
        )
    return ids


def test_every_figure_obeys_an_answer_filter(engine: Engine) -> None:
    flow = small_flow()
    ids = _population(engine)
    with transaction(engine) as session:
        stats = question_stats(session=session, flow=flow, text_limit=None, report_filter=OEM)
        assert stats["policy"].respondents == 1
        assert [(o.option_id, o.count) for o in stats["role"].options] == [
            ("oem", 1),
            ("supplier", 0),
        ]
        assert [t.respondent_id for t in stats["explain"].texts] == [ids["o1"]]
        texts = free_texts(session=session, flow_id=flow.id, question_id="explain",
                           report_filter=OEM)  # fmt: skip
        assert [r for r, _ in texts] == [ids["o1"]]
        progress = survey_progress(
            session=session, flow_id=flow.id, since=NOW, idle_before=NOW, report_filter=OEM
        )
        assert progress.started == 1
        channels = progress_by_channel(session=session, flow_id=flow.id, report_filter=OEM)
        assert [(c.channel, c.started) for c in channels] == [("wechat", 1)]
        days = progress_by_day(session=session, flow_id=flow.id, report_filter=OEM)
        assert [d.started for d in days] == [1]
        table = crosstab(session=session, flow_id=flow.id, row_question="policy",
                         col_question="role", report_filter=OEM)  # fmt: skip
        assert table.respondents == 1 and table.col_bases == {"oem": 1}
        _, rows = export_rows(session=session, flow=flow, report_filter=OEM)
        assert [row[0] for row in rows] == [str(ids["o1"])]
        unfiltered = question_stats(session=session, flow=flow)
        assert unfiltered["policy"].respondents == 3


def test_date_channel_and_language_filters(engine: Engine) -> None:
    flow = small_flow()
    ids = _population(engine)
    cases = {
        ReportFilter(since=NOW + timedelta(hours=12)): [ids["o1"]],
        ReportFilter(until=NOW + timedelta(hours=12)): [ids["s1"], ids["s2"]],
        ReportFilter(channel="telegram"): [ids["s1"], ids["s2"]],
        ReportFilter(lang="en"): [ids["o1"]],
        ReportFilter(channel="telegram", answers=(AnswerIs("role", "oem"),)): [],
    }
    with transaction(engine) as session:
        for report_filter, expected in cases.items():
            _, rows = export_rows(session=session, flow=flow, report_filter=report_filter)
            assert [int(row[0]) for row in rows] == expected, report_filter
            stats = question_stats(session=session, flow=flow, report_filter=report_filter)
            assert stats["policy"].respondents == len(expected), report_filter
