"""Carrying out the engine's effects: answer rows, counters, respondent flags, contacts.

Runs on every answered question, so the answer rows are written with Core statements
built once (DELETE … RETURNING tells what to count out, no ORM objects are loaded).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select
from sqlmodel import Session

from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    ContactWithdrawn,
    DataDeleted,
    Effect,
    LanguageChosen,
    OrganisationGiven,
    RemindersDeclined,
    SubscriptionChanged,
    SurveyCompleted,
    SurveyStarted,
)
from flows.navigation import is_empty
from flows.peer_segments import Declared, answered_in_rows, answered_in_state
from flows.peer_segments import delta as segment_delta
from flows.state import Answer as StateAnswer
from storage import precompiled, reminders
from storage.aggregates import RESPONDENTS, TEST_SUFFIX, CounterKey, bump_counters
from storage.audit import audit
from storage.contacts import request_contact, withdraw_contacts
from storage.erasure import erase_identity
from storage.models import Answer, ContactRequest, Respondent, SurveySession
from storage.organisations import recognise
from storage.respondents import RespondentRow, update_respondent
from storage.segment_counters import SegmentKey, bump_segments, counted_out
from storage.session_counters import Who, count_out_sessions, move_respondent
from storage.session_rows import SessionRow
from storage.transactions import connection_of

_ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]
_CONTACT: Table = ContactRequest.__table__  # type: ignore[attr-defined]
_SESSION: Table = SurveySession.__table__  # type: ignore[attr-defined]
_COUNTED = (_ANSWER.c.flow_id, _ANSWER.c.session_id, _ANSWER.c.question_id, _ANSWER.c.option_id)
_DELETE_QUESTION = (
    delete(_ANSWER)
    .where(
        _ANSWER.c.session_id == bindparam("match_session"),
        _ANSWER.c.question_id == bindparam("match_question"),
    )
    .returning(*_COUNTED)
)
_INSERT_ANSWERS = _ANSWER.insert()


def apply_effects(
    *,
    session: Session,
    respondent: RespondentRow | Respondent,
    survey_session: SessionRow | SurveySession,
    effects: Sequence[Effect],
    now: datetime,
    answers: tuple[Mapping[str, StateAnswer], Mapping[str, StateAnswer]] | None = None,
    segments: Mapping[str, Declared] | None = None,
    stored: Mapping[str, StateAnswer] | None = None,
) -> list[ContactRequest]:
    """Write the effects of one step; returns the new contact requests (to notify staff).

    Call after `save_session_row` (the answer rows reference the session row). After a
    `DataDeleted`, the respondent has no session row any more: do not save it again.
    `answers`: the session's answers before and after the step (the dispatcher has
    both states); the peer-segment counters follow their difference. Without them, the
    session's answer rows are read before and after instead. The live counters are
    written before the segment counters, always: two transactions then lock them in the
    same order and cannot deadlock on PostgreSQL. `segments`: each survey's declared
    peer segments (its newest version's `segments:`), flow id → declarations; a survey
    left out keeps no segment counters. `stored`: the answers this session row held before
    the step, when the caller loaded them from this very row (or `{}` for a row the step
    creates): a question with no stored answer has no rows, so recording it deletes none
    (one statement fewer a first answer). None: unknown, every recorded answer deletes
    its question's rows first.
    """
    declared = segments or {}
    # The questions with answer rows in this session (None: not known).
    with_rows = _with_rows(stored)
    conn = connection_of(session)
    changes_answers = any(isinstance(e, AnswerRecorded | AnswerCleared) for e in effects)
    rows_before = None
    if answers is None and changes_answers and declared.get(survey_session.flow_id):
        rows_before = _session_answers(conn, _id(survey_session))
    deltas: Counter[CounterKey] = Counter()
    contacts: list[ContactRequest] = []
    lang: str | None = None
    subscribed: bool | None = None
    deleted: dict[str, Counter[SegmentKey]] | None = None  # flow → segment deltas
    for effect in effects:
        match effect:
            case AnswerRecorded(question_id=question_id):
                has_rows = with_rows is None or question_id in with_rows
                _replace_answer(conn, survey_session, effect, now, deltas, has_rows=has_rows)
                if with_rows is not None:
                    with_rows.add(question_id)
            case AnswerCleared(question_id=question_id):
                _delete_answer(conn, _id(survey_session), question_id, deltas)
                if with_rows is not None:
                    with_rows.discard(question_id)
            case LanguageChosen(lang=chosen):
                lang = chosen.value
            case SubscriptionChanged(subscribed=wanted):
                subscribed = wanted
            case ContactRequested(reason=reason, details=details):
                created = request_contact(
                    session=session,
                    respondent_id=_id(respondent),
                    reason=reason,
                    details=details,
                    now=now,
                )
                if created is not None:  # an open one was updated: staff know it already
                    contacts.append(created)
            case ContactWithdrawn(reason=reason):
                withdraw_contacts(
                    session=session, respondent_id=_id(respondent), reason=reason, now=now
                )
            case RemindersDeclined():
                reminders.opt_out(session=session, respondent_id=_id(respondent), now=now)
            case DataDeleted():
                deleted = _delete_respondent_data(session, respondent, now, deltas, declared)
                if with_rows is not None:
                    with_rows.clear()
                subscribed = False
                contacts.clear()
            case OrganisationGiven():
                recognise(
                    session=session,
                    respondent_id=_id(respondent),
                    flow_id=survey_session.flow_id,
                    given=effect,
                    now=now,
                )
            case SurveyStarted() | SurveyCompleted():
                pass  # mirrored by save_session_row
            case _:
                raise TypeError(f"unknown effect {effect!r}")
    if lang is not None and lang != respondent.lang:  # their sessions count under it
        move_respondent(session=session, respondent_id=_id(respondent), lang=lang)
    update_respondent(
        session=session, respondent_id=_id(respondent), lang=lang, subscribed_updates=subscribed
    )
    is_test = respondent.is_test
    if is_test:  # a test respondent's answers are counted apart (storage.test_data)
        deltas = Counter({(f + TEST_SUFFIX, q, o): n for (f, q, o), n in deltas.items()})
    bump_counters(session=session, deltas=deltas)
    if deleted is not None:  # every row is gone: whole sessions leave their segments
        for flow_id, removed in sorted(deleted.items()):
            counted = flow_id + TEST_SUFFIX if is_test else flow_id
            bump_segments(session=session, flow_id=counted, deltas=removed)
        return contacts
    change = None
    mine = declared.get(survey_session.flow_id, ())
    if answers is not None and changes_answers:
        before, after = answers
        change = segment_delta(answered_in_state(before), answered_in_state(after), mine)
    elif rows_before is not None:
        after_rows = _session_answers(conn, _id(survey_session))
        change = segment_delta(answered_in_rows(rows_before), answered_in_rows(after_rows), mine)
    if change:
        counted = survey_session.flow_id + (TEST_SUFFIX if is_test else "")
        bump_segments(session=session, flow_id=counted, deltas=change)
    return contacts


_SESSION_ANSWERS = select(_ANSWER.c.question_id, _ANSWER.c.option_id).where(
    _ANSWER.c.session_id == bindparam("match_session")
)


def _session_answers(conn: Connection, session_id: int) -> list[tuple[str, str | None]]:
    params = {"match_session": session_id}
    return [(q, o) for q, o in precompiled.rows(conn, _SESSION_ANSWERS, params)]


def _with_rows(stored: Mapping[str, StateAnswer] | None) -> set[str] | None:
    """The questions whose answers have rows: each non-empty stored answer wrote some
    (`_replace_answer`), a skipped (empty) one none."""
    if stored is None:
        return None
    return {q for q, answer in stored.items() if not is_empty(answer)}


def _replace_answer(
    conn: Connection,
    survey_session: SessionRow | SurveySession,
    effect: AnswerRecorded,
    now: datetime,
    deltas: Counter[CounterKey],
    *,
    has_rows: bool = True,
) -> None:
    session_id = _id(survey_session)
    if has_rows:
        _delete_answer(conn, session_id, effect.question_id, deltas)
    options = tuple(dict.fromkeys(effect.options))  # one row per distinct option
    values: list[tuple[str | None, str | None, str | None]] = [(o, None, None) for o in options]
    if effect.text is not None:
        values.append((None, effect.text, effect.original))
    if not values:
        return
    precompiled.execute_many(
        conn,
        _INSERT_ANSWERS,
        [
            {
                "session_id": session_id,
                "respondent_id": survey_session.respondent_id,
                "flow_id": survey_session.flow_id,
                "flow_version": survey_session.flow_version,
                "question_id": effect.question_id,
                "option_id": option_id,
                "text": text,
                "original_text": original,
                "carried": effect.carried,
                "created_at": now,
            }
            for option_id, text, original in values
        ],
    )
    flow, question = survey_session.flow_id, effect.question_id
    for option in options:
        deltas[(flow, question, option)] += 1
    deltas[(flow, question, RESPONDENTS)] += 1


def _delete_answer(
    conn: Connection, session_id: int, question_id: str, deltas: Counter[CounterKey]
) -> None:
    """Delete the question's rows and count them out of the counters."""
    params = {"match_session": session_id, "match_question": question_id}
    count_out(precompiled.rows(conn, _DELETE_QUESTION, params), deltas)


def count_out(rows: Iterable[Sequence[Any]], deltas: Counter[CounterKey]) -> int:
    """Take deleted answer rows (flow, session, question, option) out of the counters;
    returns how many there were."""
    answered: set[tuple[str, int, str]] = set()
    count = 0
    for flow_id, session_id, question_id, option_id in rows:
        count += 1
        if option_id is not None:
            deltas[(flow_id, question_id, option_id)] -= 1
        answered.add((flow_id, session_id, question_id))
    for flow_id, _session_id, question_id in answered:
        deltas[(flow_id, question_id, RESPONDENTS)] -= 1
    return count


def _delete_respondent_data(
    session: Session,
    respondent: RespondentRow | Respondent,
    now: datetime,
    deltas: Counter[CounterKey],
    declared: Mapping[str, Declared],
) -> dict[str, Counter[SegmentKey]]:
    """Delete everything of the respondent, counting their answers out of `deltas`, and
    what else identifies them (storage.erasure); returns what leaves the segment
    counters, per flow."""
    respondent_id = _id(respondent)
    conn = connection_of(session)
    answers = conn.execute(
        delete(_ANSWER).where(_ANSWER.c.respondent_id == respondent_id).returning(*_COUNTED)
    ).all()
    removed = count_out(answers, deltas)
    contacts = conn.execute(
        delete(_CONTACT)
        .where(_CONTACT.c.respondent_id == respondent_id)
        .returning(_CONTACT.c.details_json)
    ).all()
    reminders.forget(session=session, respondent_id=respondent_id)
    sessions = conn.execute(
        delete(_SESSION)
        .where(_SESSION.c.respondent_id == respondent_id)
        .returning(
            _SESSION.c.flow_id,
            _SESSION.c.flow_version,
            _SESSION.c.started_at,
            _SESSION.c.completed_at,
        )
    ).all()
    who = Who(respondent.channel, respondent.lang, respondent.is_test)
    count_out_sessions(session=session, who=who, rows=[tuple(r) for r in sessions])
    outbox = erase_identity(
        session=session,
        respondent_id=respondent_id,
        channel=respondent.channel,
        channel_user_id=respondent.channel_user_id,
        details=[details for (details,) in contacts],
    )
    detail = {
        "answers": removed,
        "contact_requests": len(contacts),
        "outbox_rows": outbox,
    }
    audit(
        session=session,
        actor=f"respondent:{respondent_id}",
        action="data_deleted",
        detail=json.dumps(detail),
        now=now,
    )
    return counted_out(answers, declared)


def _id(row: RespondentRow | Respondent | SessionRow | SurveySession) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet (flush it first)")
    return row.id
