"""The figures a respondent is shown (snapshot, completion summary, Results), by the
survey's counting rule.

Per respondent (AIAG as shipped) they are the live counters, read as before: one small
indexed read after an answer. Per organisation or plant the counters cannot answer
(they count every session), so the figures are counted from the rows of the counted
sessions (storage.unit_sessions), with the viewer's own session speaking for their unit:
the viewer is then in the base, as the privacy rule (bot.reports.disclosure) assumes, and
a colleague's answers are never part of what they are told.
"""

from __future__ import annotations

from sqlmodel import Session

from flows.model import CountingUnit, Flow, Segment
from flows.peer_segments import segment_id
from storage.aggregates import RESPONDENTS, counters, recount, tally
from storage.filters import AnswerIs, ReportFilter
from storage.segment_counters import SegmentStats, segment_counter_stats


def live_counts(
    *, session: Session, flow: Flow, viewer: int | None, question_id: str | None = None
) -> dict[tuple[str, str], int]:
    """{(question id, option id): count}, option "" the question's respondents (as
    `storage.aggregates.counters`), of one question or of all."""
    if flow.counting is CountingUnit.RESPONDENT:
        return counters(session=session, flow_id=flow.id, question_id=question_id)
    unit_filter = ReportFilter(counting=flow.counting, viewer=viewer)
    return recount(
        session=session, flow_id=flow.id, report_filter=unit_filter, question_id=question_id
    )


def live_segment_stats(
    *, session: Session, flow: Flow, declared: Segment, option_id: str, viewer: int | None
) -> SegmentStats:
    """The peers of one segment (`declared`, its `by` option `option_id`)."""
    if flow.counting is CountingUnit.RESPONDENT:
        return segment_counter_stats(
            session=session, flow=flow, segment=segment_id(declared, option_id)
        )
    # The segment's members are the sessions with each `within` answer and this option.
    members = (*(AnswerIs(q, o) for q, o in declared.within), AnswerIs(declared.by, option_id))
    unit_filter = ReportFilter(answers=members, counting=flow.counting, viewer=viewer)
    counts = recount(session=session, flow_id=flow.id, report_filter=unit_filter)
    questions = {}
    for question in flow.questions:
        if question.is_choice:
            chosen = {o: n for (q, o), n in counts.items() if q == question.id}
            questions[question.id] = tally(question, chosen.get(RESPONDENTS, 0), chosen)
    return SegmentStats(respondents=counts.get((declared.by, option_id), 0), questions=questions)
