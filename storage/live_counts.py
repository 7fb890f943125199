"""The figures a respondent is shown (snapshot, completion summary, Results), by the
survey's counting rule.

Per respondent (AIAG as shipped) they are the live counters, read as before: one small
indexed read after an answer. Per organisation or plant the counters count every session,
so the sessions the rule sets aside (storage.unit_sessions: a colleague's that is not their
unit's counted one) are counted from their answer rows and taken off the counters: exact,
and as cheap as there are colleagues, not respondents, since this runs inside the answer's
transaction. The viewer's own session speaks for their unit: the viewer is then in the
base, as the privacy rule (bot.reports.disclosure) assumes, and a colleague's answers are
never part of what they are told.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, distinct, func
from sqlmodel import Session, col, select

from flows.model import CountingUnit, Flow, Segment
from flows.peer_segments import segment_id
from storage.aggregates import RESPONDENTS, counters, tally
from storage.counter_read_ahead import QuestionCounts
from storage.models import Answer
from storage.segment_counters import SegmentStats, segment_counter_stats
from storage.unit_sessions import set_aside

Counts = dict[tuple[str, str], int]


def live_counts(
    *,
    session: Session,
    flow: Flow,
    viewer: int | None,
    question_id: str | None = None,
    ahead: QuestionCounts | None = None,
) -> Counts:
    """{(question id, option id): count}, option "" the question's respondents (as
    `storage.aggregates.counters`), of one question or of all. `ahead`: the counters
    read with the respondent's lock (storage.counter_read_ahead)."""
    counts = counters(session=session, flow_id=flow.id, question_id=question_id, ahead=ahead)
    if flow.counting is CountingUnit.RESPONDENT:
        return counts
    aside = _aside_counts(session, flow, viewer, question_id=question_id)
    return _less(counts, aside)


def live_segment_stats(
    *, session: Session, flow: Flow, declared: Segment, option_id: str, viewer: int | None
) -> SegmentStats:
    """The peers of one segment (`declared`, its `by` option `option_id`)."""
    peers = segment_counter_stats(
        session=session, flow=flow, segment=segment_id(declared, option_id)
    )
    if flow.counting is CountingUnit.RESPONDENT:
        return peers
    # The segment's members: the sessions with each `within` answer and this option.
    members = (*declared.within, (declared.by, option_id))
    aside = _aside_counts(session, flow, viewer, members=members)
    counts: Counts = {}
    for question_id, stats in peers.questions.items():
        counts[(question_id, RESPONDENTS)] = stats.respondents
        counts.update({(question_id, o.option_id): o.count for o in stats.options})
    counts = _less(counts, aside)
    questions = {}
    for question in flow.questions:
        if question.is_choice:
            chosen = {o: n for (q, o), n in counts.items() if q == question.id}
            questions[question.id] = tally(question, chosen.get(RESPONDENTS, 0), chosen)
    size = peers.respondents - aside.get((declared.by, option_id), 0)
    return SegmentStats(respondents=size, questions=questions)


def _aside_counts(
    session: Session,
    flow: Flow,
    viewer: int | None,
    *,
    question_id: str | None = None,
    members: Sequence[tuple[str, str]] = (),
) -> Counts:
    """What the set-aside sessions (with each of `members`' answers) add to the counters."""
    kept: list[ColumnElement[bool]] = [
        col(Answer.flow_id) == flow.id,
        col(Answer.session_id).in_(set_aside(flow.id, flow.counting, viewer=viewer)),
    ]
    if question_id is not None:
        kept.append(col(Answer.question_id) == question_id)
    for member_question, member_option in members:
        answered = select(Answer.session_id).where(
            Answer.flow_id == flow.id,
            Answer.question_id == member_question,
            Answer.option_id == member_option,
        )
        kept.append(col(Answer.session_id).in_(answered))
    options = session.exec(
        select(Answer.question_id, Answer.option_id, func.count())
        .where(*kept, col(Answer.option_id).is_not(None))
        .group_by(col(Answer.question_id), col(Answer.option_id))
    ).all()
    respondents = session.exec(
        select(Answer.question_id, func.count(distinct(col(Answer.session_id))))
        .where(*kept)
        .group_by(col(Answer.question_id))
    ).all()
    out: Counts = {(q, o or RESPONDENTS): int(n) for q, o, n in options}
    out.update({(q, RESPONDENTS): int(n) for q, n in respondents})
    return out


def _less(counts: Counts, aside: Counts) -> Counts:
    out = dict(counts)
    for key, n in aside.items():
        out[key] = out.get(key, 0) - n
    return out
