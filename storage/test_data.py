"""Test respondents: kept, but counted apart and left out of every figure by default.

A staff member's /test run and a respondent marked as test data (`mark_test`) have
`respondent.is_test`. Their answers bump the same counter tables under the survey id
plus `TEST_SUFFIX` (`counter_flow_id`), so the live figures (`storage.aggregates`, the
peer segments shown to respondents) never see them and "include test data" is one more
small read. Queries over the rows (progress, cross-tabs, exports) filter with
`real_respondents`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlmodel import Session

from storage.aggregates import TEST_SUFFIX, CounterKey, bump_counters
from storage.answers import count_out
from storage.filters import real_respondents
from storage.models import Answer, Respondent
from storage.segment_counters import Declared, bump_segments, counted_out
from storage.session_counters import move_respondent
from storage.transactions import connection_of

_ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]


__all__ = [
    "TEST_SUFFIX",
    "Marked",
    "counter_flow_id",
    "mark_test",
    "real_respondents",
    "respondent_id_of",
]


def counter_flow_id(flow_id: str, *, is_test: bool) -> str:
    """The counters' key for a survey's real or test answers."""
    return flow_id + TEST_SUFFIX if is_test else flow_id


@dataclass(frozen=True)
class Marked:
    respondent_id: int
    channel: str
    was_test: bool
    answers: int  # answer rows moved between the real and the test counters


def mark_test(
    *,
    session: Session,
    respondent_id: int,
    is_test: bool,
    now: datetime,
    declared: Mapping[str, Declared] | None = None,
) -> Marked | None:
    """Mark a respondent as test data (or back as real), moving their answers (and their
    sessions: storage.session_counters) between the real and the test counters in this
    transaction; None: no such respondent.
    `declared`: each survey's peer segments (`segments:`), whose counters move too."""
    conn = connection_of(session)
    row = conn.execute(
        select(_RESPONDENT.c.channel, _RESPONDENT.c.is_test)
        .where(_RESPONDENT.c.id == respondent_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    channel, was_test = str(row[0]), bool(row[1])
    if was_test == is_test:
        return Marked(respondent_id, channel, was_test, 0)
    answers = conn.execute(
        select(_ANSWER.c.flow_id, _ANSWER.c.session_id, _ANSWER.c.question_id, _ANSWER.c.option_id)
        .where(_ANSWER.c.respondent_id == respondent_id)
        .order_by(_ANSWER.c.id)
    ).all()
    # Session counters first, then the live and segment ones: every transaction locks
    # counter rows in that order (the dispatcher's too), so none can deadlock another.
    move_respondent(session=session, respondent_id=respondent_id, is_test=is_test)
    removed: Counter[CounterKey] = Counter()
    count_out(answers, removed)
    deltas: Counter[CounterKey] = Counter()
    for (flow_id, question_id, option_id), n in removed.items():
        deltas[(counter_flow_id(flow_id, is_test=was_test), question_id, option_id)] += n
        deltas[(counter_flow_id(flow_id, is_test=is_test), question_id, option_id)] -= n
    bump_counters(session=session, deltas=deltas)
    for flow_id, segments in sorted(counted_out(answers, declared or {}).items()):
        bump_segments(
            session=session, flow_id=counter_flow_id(flow_id, is_test=was_test), deltas=segments
        )
        added = Counter({key: -n for key, n in segments.items()})
        bump_segments(
            session=session, flow_id=counter_flow_id(flow_id, is_test=is_test), deltas=added
        )
    conn.execute(
        update(_RESPONDENT).where(_RESPONDENT.c.id == respondent_id).values(is_test=is_test)
    )
    return Marked(respondent_id, channel, was_test, len(answers))


def respondent_id_of(*, session: Session, channel: str, channel_user_id: str) -> int | None:
    """The id of a channel user's respondent row (None: they never wrote)."""
    row = (
        connection_of(session)
        .execute(
            select(_RESPONDENT.c.id).where(
                _RESPONDENT.c.channel == channel, _RESPONDENT.c.channel_user_id == channel_user_id
            )
        )
        .first()
    )
    return int(row[0]) if row is not None else None
