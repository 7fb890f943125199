"""Carrying out the engine's effects: answer rows, counters, respondent flags, contacts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    DataDeleted,
    Effect,
    LanguageChosen,
    SubscriptionChanged,
    SurveyCompleted,
    SurveyStarted,
)
from storage.aggregates import RESPONDENTS, CounterKey, bump_counters
from storage.audit import audit
from storage.contacts import create_contact
from storage.inbound import forget_replies
from storage.models import Answer, ContactRequest, Respondent, SurveySession


def apply_effects(
    *,
    session: Session,
    respondent: Respondent,
    survey_session: SurveySession,
    effects: Sequence[Effect],
    now: datetime,
) -> list[ContactRequest]:
    """Write the effects of one step; returns the new contact requests (to notify staff).

    Call after `save_session_row` (the answer rows reference the session row). After a
    `DataDeleted`, the respondent has no session row any more: do not save it again.
    """
    deltas: Counter[CounterKey] = Counter()
    contacts: list[ContactRequest] = []
    for effect in effects:
        match effect:
            case AnswerRecorded():
                _replace_answer(session, survey_session, effect, now, deltas)
            case AnswerCleared(question_id=question_id):
                _delete_answer(session, survey_session, question_id, deltas)
            case LanguageChosen(lang=lang):
                respondent.lang = lang.value
            case SubscriptionChanged(subscribed=subscribed):
                respondent.subscribed_updates = subscribed
            case ContactRequested(reason=reason, details=details):
                contacts.append(
                    create_contact(
                        session=session,
                        respondent_id=_id(respondent),
                        reason=reason,
                        details=details,
                        now=now,
                    )
                )
            case DataDeleted():
                _delete_respondent_data(session, respondent, now, deltas)
                contacts.clear()
            case SurveyStarted() | SurveyCompleted():
                pass  # mirrored by save_session_row
            case _:
                raise TypeError(f"unknown effect {effect!r}")
    session.add(respondent)
    bump_counters(session=session, deltas=deltas)
    return contacts


def _previous(session: Session, session_id: int, question_id: str) -> list[Answer]:
    return list(
        session.exec(
            select(Answer).where(Answer.session_id == session_id, Answer.question_id == question_id)
        ).all()
    )


def _replace_answer(
    session: Session,
    survey_session: SurveySession,
    effect: AnswerRecorded,
    now: datetime,
    deltas: Counter[CounterKey],
) -> None:
    session_id = _id(survey_session)
    _delete_answer(session, survey_session, effect.question_id, deltas)
    options = tuple(dict.fromkeys(effect.options))  # one row per distinct option
    rows = [_row(survey_session, session_id, effect.question_id, o, None, now) for o in options]
    if effect.text is not None:
        rows.append(_row(survey_session, session_id, effect.question_id, None, effect.text, now))
    session.add_all(rows)
    flow, question = survey_session.flow_id, effect.question_id
    for option in options:
        deltas[(flow, question, option)] += 1
    if rows:
        deltas[(flow, question, RESPONDENTS)] += 1


def _row(
    survey_session: SurveySession,
    session_id: int,
    question_id: str,
    option_id: str | None,
    text: str | None,
    now: datetime,
) -> Answer:
    return Answer(
        session_id=session_id,
        respondent_id=survey_session.respondent_id,
        flow_id=survey_session.flow_id,
        flow_version=survey_session.flow_version,
        question_id=question_id,
        option_id=option_id,
        text=text,
        created_at=now,
    )


def _delete_answer(
    session: Session,
    survey_session: SurveySession,
    question_id: str,
    deltas: Counter[CounterKey],
) -> None:
    """Delete the question's rows and count them out of the counters."""
    rows = _previous(session, _id(survey_session), question_id)
    _count_out(rows, deltas)
    for row in rows:
        session.delete(row)
    session.flush()


def _count_out(rows: Sequence[Answer], deltas: Counter[CounterKey]) -> None:
    answered: set[tuple[str, int, str]] = set()
    for row in rows:
        if row.option_id is not None:
            deltas[(row.flow_id, row.question_id, row.option_id)] -= 1
        answered.add((row.flow_id, row.session_id, row.question_id))
    for flow_id, _session_id, question_id in answered:
        deltas[(flow_id, question_id, RESPONDENTS)] -= 1


def _delete_respondent_data(
    session: Session, respondent: Respondent, now: datetime, deltas: Counter[CounterKey]
) -> None:
    respondent_id = _id(respondent)
    rows = session.exec(select(Answer).where(Answer.respondent_id == respondent_id)).all()
    _count_out(rows, deltas)
    session.exec(delete(Answer).where(col(Answer.respondent_id) == respondent_id))
    contacts = session.exec(
        delete(ContactRequest).where(col(ContactRequest.respondent_id) == respondent_id)
    )
    for row in session.exec(
        select(SurveySession).where(SurveySession.respondent_id == respondent_id)
    ).all():
        session.delete(row)
    forget_replies(session=session, respondent_id=respondent_id)
    respondent.subscribed_updates = False
    session.flush()
    detail = {"answers": len(rows), "contact_requests": int(contacts.rowcount or 0)}
    audit(
        session=session,
        actor=f"respondent:{respondent_id}",
        action="data_deleted",
        detail=json.dumps(detail),
        now=now,
    )


def _id(row: Respondent | SurveySession) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet (flush it first)")
    return row.id
