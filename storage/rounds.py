"""Survey rounds: a respondent's answers to the earlier survey, and what changed since.

`earlier_answers` feeds the pre-fill (bot.surveys.prefill); `round_pairs` the staff's "what
changed since last round" report and the export's earlier-round columns. The earlier
survey is another flow id (one session per respondent and flow), so both read plain
answer rows joined on the respondent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from flows.state import Answer as StateAnswer
from storage.filters import NO_FILTER, ReportFilter, answer_condition
from storage.models import Answer, SurveySession

__all__ = ["earlier_answers", "answers_by_respondent", "round_pairs"]


def earlier_answers(
    *, session: Session, flow_id: str, respondent_ids: Sequence[int]
) -> dict[str, StateAnswer]:
    """The answers (earlier question id → answer) of the first respondent in
    `respondent_ids` who has a session of `flow_id`; {} when none has."""
    if not respondent_ids:
        return {}
    rows = session.exec(
        select(SurveySession.respondent_id, SurveySession.id).where(
            SurveySession.flow_id == flow_id, col(SurveySession.respondent_id).in_(respondent_ids)
        )
    ).all()
    sessions = dict(rows)
    chosen = next((sessions[r] for r in respondent_ids if r in sessions), None)
    if chosen is None:
        return {}
    answers = session.exec(
        select(Answer).where(Answer.session_id == chosen).order_by(col(Answer.id))
    ).all()
    return _as_answers(answers)


def answers_by_respondent(
    *, session: Session, flow_id: str, respondent_ids: Sequence[int]
) -> dict[int, dict[str, StateAnswer]]:
    """Each respondent's answers to `flow_id` (question id → answer)."""
    rows = session.exec(
        select(Answer)
        .where(Answer.flow_id == flow_id, col(Answer.respondent_id).in_(respondent_ids))
        .order_by(col(Answer.id))
    ).all()
    grouped: dict[int, list[Answer]] = defaultdict(list)
    for row in rows:
        grouped[row.respondent_id].append(row)
    return {r: _as_answers(given) for r, given in grouped.items()}


def round_pairs(
    *,
    session: Session,
    flow_id: str,
    question_id: str,
    earlier_flow_id: str,
    earlier_question_id: str,
    report_filter: ReportFilter = NO_FILTER,
) -> list[tuple[StateAnswer, StateAnswer]]:
    """(earlier answer, answer now) of every respondent who answered the question in
    both rounds (the filter applies to this round's sessions)."""
    kept = answer_condition(
        col(Answer.respondent_id), col(Answer.session_id), flow_id, report_filter
    )
    now_rows = session.exec(
        select(Answer)
        .where(Answer.flow_id == flow_id, Answer.question_id == question_id, kept)
        .order_by(col(Answer.id))
    ).all()
    now: dict[int, list[Answer]] = defaultdict(list)
    for row in now_rows:
        now[row.respondent_id].append(row)
    if not now:
        return []
    then_rows = session.exec(
        select(Answer)
        .where(
            Answer.flow_id == earlier_flow_id,
            Answer.question_id == earlier_question_id,
            col(Answer.respondent_id).in_(list(now)),
        )
        .order_by(col(Answer.id))
    ).all()
    then: dict[int, list[Answer]] = defaultdict(list)
    for row in then_rows:
        then[row.respondent_id].append(row)
    return [
        (_as_answers(then[r])[earlier_question_id], _as_answers(rows)[question_id])
        for r, rows in sorted(now.items())
        if r in then
    ]


def _as_answers(rows: Sequence[Answer]) -> dict[str, StateAnswer]:
    options: dict[str, list[str]] = defaultdict(list)
    texts: dict[str, tuple[str, str | None]] = {}
    for row in rows:
        if row.option_id is not None:
            options[row.question_id].append(row.option_id)
        elif row.text is not None:
            texts[row.question_id] = (row.text, row.original_text)
    out: dict[str, StateAnswer] = {}
    for question_id in dict.fromkeys([*options, *texts]):
        text, original = texts.get(question_id, (None, None))
        out[question_id] = StateAnswer(tuple(options[question_id]), text, original)
    return out
