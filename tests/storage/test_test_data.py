"""Test respondents are counted apart: out of every figure unless asked for."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from flows.events import AnswerRecorded
from storage.aggregates import counters, free_texts, question_stats
from storage.consistency import verify
from storage.crosstab import crosstab
from storage.filters import ReportFilter
from storage.progress import survey_progress
from storage.test_data import mark_test
from storage.transactions import transaction
from storage.web_queries import progress_by_channel, progress_by_day
from tests.storage.sample import NOW, apply, new_respondent, small_flow

EVERYONE = ReportFilter(include_test=True)


def _survey(engine: Engine) -> tuple[int, int]:
    """Two respondents answered alike; returns (real respondent, soon-test respondent)."""
    ids = []
    for user in ("real", "staff"):
        respondent, survey_session = new_respondent(engine, user)
        apply(engine, survey_session, AnswerRecorded("role", ("supplier",)))
        apply(engine, survey_session, AnswerRecorded("tools", ("sap", "excel")))
        apply(engine, survey_session, AnswerRecorded("explain", text=f"{user} text"))
        ids.append(respondent)
    return ids[0], ids[1]


def test_a_respondent_marked_as_test_leaves_every_figure(engine: Engine) -> None:
    flow = small_flow()
    real, staff = _survey(engine)
    with transaction(engine) as session:
        marked = mark_test(session=session, respondent_id=staff, is_test=True, now=NOW)
    assert marked is not None and not marked.was_test and marked.answers == 4
    with transaction(engine) as session:
        stats = question_stats(session=session, flow=flow, text_limit=None)
        assert stats["tools"].respondents == 1
        assert [(o.option_id, o.count) for o in stats["tools"].options][:2] == [
            ("excel", 1),
            ("sap", 1),
        ]
        assert [t.respondent_id for t in stats["explain"].texts] == [real]
        everyone = question_stats(session=session, flow=flow, report_filter=EVERYONE)
        assert everyone["tools"].respondents == 2
        texts = free_texts(session=session, flow_id=flow.id, question_id="explain")
        assert [r for r, _ in texts] == [real]
        progress = survey_progress(
            session=session, flow_id=flow.id, since=NOW, idle_before=NOW - timedelta(days=1)
        )
        assert progress.started == 1
        assert [c.started for c in progress_by_channel(session=session, flow_id=flow.id)] == [1]
        assert [d.started for d in progress_by_day(session=session, flow_id=flow.id)] == [1]
        table = crosstab(
            session=session, flow_id=flow.id, row_question="tools", col_question="role"
        )
        assert table.respondents == 1
        both = crosstab(
            session=session,
            flow_id=flow.id,
            row_question="tools",
            col_question="role",
            report_filter=EVERYONE,
        )
        assert both.respondents == 2
        assert verify(session=session, flow=flow) == []


def test_a_test_respondents_new_answers_stay_out_and_unmarking_brings_them_back(
    engine: Engine,
) -> None:
    flow = small_flow()
    _real, staff = _survey(engine)
    with transaction(engine) as session:
        mark_test(session=session, respondent_id=staff, is_test=True, now=NOW)
    _, later = new_respondent(engine, "staff")  # the same respondent's session row
    apply(engine, later, AnswerRecorded("policy", ("yes",)))
    with transaction(engine) as session:
        assert counters(session=session, flow_id=flow.id, question_id="policy") == {}
        assert verify(session=session, flow=flow) == []
        again = mark_test(session=session, respondent_id=staff, is_test=True, now=NOW)
        assert again is not None and again.was_test and again.answers == 0
    with transaction(engine) as session:
        mark_test(session=session, respondent_id=staff, is_test=False, now=NOW)
    with transaction(engine) as session:
        assert question_stats(session=session, flow=flow)["tools"].respondents == 2
        assert (
            counters(session=session, flow_id=flow.id, question_id="policy")[("policy", "yes")] == 1
        )
        assert counters(session=session, flow_id=flow.id + "~test") == {
            key: 0 for key in counters(session=session, flow_id=flow.id + "~test")
        }
        assert verify(session=session, flow=flow) == []


def test_marking_an_unknown_respondent_changes_nothing(engine: Engine) -> None:
    with transaction(engine) as session:
        assert mark_test(session=session, respondent_id=999, is_test=True, now=NOW) is None
