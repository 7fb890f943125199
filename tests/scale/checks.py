"""What must hold after a load: every answer exactly once, counters exact, nothing half-written."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, func
from sqlmodel import col, select

from benchmarks.respondents import Respondent, StoredAnswers, expected_counters
from flows.model import Flow
from flows.state import Status
from storage.aggregates import counters
from storage.consistency import verify
from storage.models import Answer, ProcessedMessage, SurveySession
from storage.models import Respondent as RespondentRow
from storage.transactions import transaction


def stored_answers(engine: Engine) -> dict[str, StoredAnswers]:
    """openid → question → (sorted option ids, texts), from the answer rows."""
    out: dict[str, StoredAnswers] = {}
    with transaction(engine, readonly=True) as session:
        rows = session.exec(
            select(RespondentRow.channel_user_id, Answer.question_id, Answer.option_id, Answer.text)
            .join(Answer, col(Answer.respondent_id) == col(RespondentRow.id))
            .order_by(col(Answer.id))
        ).all()
    for openid, question_id, option_id, text in rows:
        options, texts = out.setdefault(openid, {}).setdefault(question_id, ([], []))
        if option_id is not None:
            options.append(option_id)
        if text is not None:
            texts.append(text)
    for answers in out.values():
        for options, _texts in answers.values():
            options.sort()
    return out


def assert_exactly_once(engine: Engine, flow: Flow, people: Sequence[Respondent]) -> None:
    stored = stored_answers(engine)
    wrong = [p for p in people if stored.get(p.openid, {}) != p.expected]
    if wrong:
        first = wrong[0]
        raise AssertionError(
            f"{len(wrong)} respondents differ from the oracle; {first.openid} sent "
            f"{first.texts}: stored {stored.get(first.openid)}, expected {first.expected}"
        )
    with transaction(engine, readonly=True) as session:
        assert verify(session=session, flow=flow) == []
        have = {k: v for k, v in counters(session=session, flow_id=flow.id).items() if v}
        assert have == expected_counters(flow.id, [p.expected for p in people])
        # Half-written would be a dedupe row without its reply, or a session not finished.
        unanswered = session.exec(
            select(func.count()).where(col(ProcessedMessage.reply_json).is_(None))
        ).one()
        assert unanswered == 0
        statuses = session.exec(
            select(SurveySession.status, func.count()).group_by(col(SurveySession.status))
        ).all()
        assert dict(statuses) == {Status.COMPLETED.value: len(people)}
