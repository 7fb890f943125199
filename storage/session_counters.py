"""Exact survey-session counters: written in the step's transaction, read in one query.

The dashboard and /progress counted sessions from `survey_session` (started, completed,
per channel, per day or hour: 0.3-1.2 s at a million respondents, every statement
reading every session). Each session now also counts once in `session_counter`, under
its survey version, its respondent's channel, language and real/test mark, the UTC hour
it started and the whole hours until it completed (`NOT_COMPLETED`: not yet). Whatever
changes one of those moves the count in the same transaction:
- saving a session (`save_session_row`: started, completed, restarted, new version);
- a respondent choosing another language, or being marked as test data (`move_respondent`);
- "delete my data" (`count_out_sessions`: the rows being deleted).
`recount` computes the same figures from the rows (`surveybot db verify`); reads are in
`storage.session_counts`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy import Connection, Table, and_, bindparam, select
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from storage import counter_ledger, precompiled
from storage.counter_models import SessionCounter
from storage.db import PerDialect, dialect_insert
from storage.models import Respondent, SurveySession
from storage.transactions import connection_of

_COUNTER: Table = SessionCounter.__table__  # type: ignore[attr-defined]
_SESSION: Table = SurveySession.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]

NOT_COMPLETED = -1
HOUR = timedelta(hours=1)


class SessionKey(NamedTuple):
    """Where one session counts (the counter table's key)."""

    flow_id: str
    flow_version: int
    channel: str
    lang: str
    is_test: bool
    started_hour: datetime  # UTC, aware
    completed_after: int  # whole hours from started_hour to the completion's hour; -1: not yet


class Who(NamedTuple):
    """The respondent's side of a key."""

    channel: str
    lang: str
    is_test: bool


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def session_key(
    flow_id: str, flow_version: int, who: Who, started_at: datetime, completed_at: datetime | None
) -> SessionKey:
    started = hour_of(started_at)
    after = NOT_COMPLETED
    if completed_at is not None:
        after = int((hour_of(completed_at) - started) / HOUR)
    return SessionKey(flow_id, int(flow_version), *who, started, after)


@PerDialect
def _bump(dialect: str) -> Insert:
    insert = dialect_insert(dialect, _COUNTER)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in _COUNTER.primary_key.columns],
        set_={"count": _COUNTER.c.count + insert.excluded["count"]},
    )


# Written at commit, first of the counter tables (storage.counter_ledger).
LEDGER = counter_ledger.CounterTable(
    "session_counter", 1, tuple(c.name for c in _COUNTER.primary_key.columns), _bump
)


def bump_sessions(*, session: Session, deltas: Mapping[SessionKey, int]) -> None:
    """Add `deltas` to the session counters when the transaction commits
    (storage.counter_ledger: one locking order for every transaction)."""
    bump_on(connection_of(session), deltas)


def bump_on(conn: Connection, deltas: Mapping[SessionKey, int]) -> None:
    counter_ledger.add(conn, LEDGER, deltas.items())


# The hot path: what the session row counted under before a save, one statement.
_BEFORE_SAVE = (
    select(
        _RESPONDENT.c.channel,
        _RESPONDENT.c.lang,
        _RESPONDENT.c.is_test,
        _SESSION.c.flow_version,
        _SESSION.c.started_at,
        _SESSION.c.completed_at,
    )
    .select_from(
        _RESPONDENT.outerjoin(
            _SESSION,
            and_(
                _SESSION.c.respondent_id == _RESPONDENT.c.id,
                _SESSION.c.flow_id == bindparam("match_flow"),
            ),
        )
    )
    .where(_RESPONDENT.c.id == bindparam("match_respondent"))
)


class SessionRowLike(Protocol):
    """The columns of a survey-session row that its counter key is made of."""

    @property
    def flow_id(self) -> str: ...
    @property
    def flow_version(self) -> int: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def completed_at(self) -> datetime | None: ...


class BeforeSave(NamedTuple):
    who: Who
    key: SessionKey | None  # None: no session row yet


def before_save(conn: Connection, *, respondent_id: int, flow_id: str) -> BeforeSave | None:
    """Read before `save_session_row` writes; None: no such respondent (nothing counted)."""
    params = {"match_respondent": respondent_id, "match_flow": flow_id}
    row = precompiled.first(conn, _BEFORE_SAVE, params)
    if row is None:
        return None
    channel, lang, is_test, version, started, completed = row
    who = Who(str(channel), str(lang), bool(is_test))
    key = None if version is None else session_key(flow_id, version, who, started, completed)
    return BeforeSave(who, key)


def known_before(who: Who, row: SessionRowLike | None, *, flow_id: str) -> BeforeSave | None:
    """What `before_save` would read, from the respondent as locked for this message and
    their latest session row as loaded for the step (no query); None when that row is of
    another survey (a row of `flow_id` may still exist: read it)."""
    if row is None:
        return BeforeSave(who, None)
    if row.flow_id != flow_id:
        return None
    return BeforeSave(
        who, session_key(flow_id, row.flow_version, who, row.started_at, row.completed_at)
    )


def after_save(
    conn: Connection,
    before: BeforeSave | None,
    *,
    flow_id: str,
    flow_version: int,
    started_at: datetime,
    completed_at: datetime | None,
) -> None:
    """Move the session's count if the save changed its key."""
    if before is None:
        return
    key = session_key(flow_id, flow_version, before.who, started_at, completed_at)
    if key == before.key:
        return
    deltas: Counter[SessionKey] = Counter({key: 1})
    if before.key is not None:
        deltas[before.key] -= 1
    bump_on(conn, deltas)


# A session with its respondent: with the flow id, what its `SessionKey` is made of.
_KEY_COLUMNS = (
    _SESSION.c.flow_version,
    _RESPONDENT.c.channel,
    _RESPONDENT.c.lang,
    _RESPONDENT.c.is_test,
    _SESSION.c.started_at,
    _SESSION.c.completed_at,
)
_WITH_RESPONDENT = _SESSION.join(_RESPONDENT, _RESPONDENT.c.id == _SESSION.c.respondent_id)
_RESPONDENT_SESSIONS = (
    select(_SESSION.c.flow_id, *_KEY_COLUMNS)
    .select_from(_WITH_RESPONDENT)
    .where(_SESSION.c.respondent_id == bindparam("match_respondent"))
)


def move_respondent(
    *, session: Session, respondent_id: int, lang: str | None = None, is_test: bool | None = None
) -> None:
    """Move the respondent's sessions to their new language and/or real/test mark. Call
    before the respondent row changes (the old values are read from it)."""
    conn = connection_of(session)
    params = {"match_respondent": respondent_id}
    deltas: Counter[SessionKey] = Counter()
    for flow_id, version, channel, old_lang, old_test, started, completed in precompiled.rows(
        conn, _RESPONDENT_SESSIONS, params
    ):
        old = Who(str(channel), str(old_lang), bool(old_test))
        new = Who(old.channel, old.lang if lang is None else lang, (
            old.is_test if is_test is None else is_test))  # fmt: skip
        if new != old:
            deltas[session_key(flow_id, version, old, started, completed)] -= 1
            deltas[session_key(flow_id, version, new, started, completed)] += 1
    bump_on(conn, deltas)


def count_out_sessions(
    *, session: Session, who: Who, rows: Iterable[tuple[str, int, datetime, datetime | None]]
) -> None:
    """Take deleted session rows (flow, version, started, completed) of one respondent out."""
    deltas: Counter[SessionKey] = Counter()
    for flow_id, version, started, completed in rows:
        deltas[session_key(flow_id, version, who, started, completed)] -= 1
    bump_on(connection_of(session), deltas)


def recount(*, session: Session, flow_id: str) -> dict[SessionKey, int]:
    """The survey's session counters as they should be, from the rows (slow, exact)."""
    rows = connection_of(session).execute(
        select(*_KEY_COLUMNS)
        .select_from(_WITH_RESPONDENT)
        .where(_SESSION.c.flow_id == flow_id)
        .execution_options(yield_per=50_000)
    )
    out: Counter[SessionKey] = Counter()
    for version, channel, lang, is_test, started, completed in rows:
        who = Who(str(channel), str(lang), bool(is_test))
        out[session_key(flow_id, version, who, started, completed)] += 1
    return dict(out)


def stored(*, session: Session, flow_id: str) -> dict[SessionKey, int]:
    counter_ledger.write_now(connection_of(session))  # this transaction's own changes too
    rows = connection_of(session).execute(
        select(*(c for c in _COUNTER.c if c.name != "count"), _COUNTER.c.count).where(
            _COUNTER.c.flow_id == flow_id, _COUNTER.c.count != 0
        )
    )
    return {SessionKey(*row[:-1]): int(row[-1]) for row in rows}


def verify(*, session: Session, flow_id: str) -> list[str]:
    """Differences between the session counters and a recount (empty: consistent)."""
    have_all = stored(session=session, flow_id=flow_id)
    want_all = recount(session=session, flow_id=flow_id)
    problems = []
    for key in sorted(have_all.keys() | want_all.keys()):
        have, want = have_all.get(key, 0), want_all.get(key, 0)
        if have != want:
            problems.append(f"{flow_id} sessions {_label(key)}: counter {have}, rows {want}")
    return problems


def _label(key: SessionKey) -> str:
    test = " test" if key.is_test else ""
    done = "not completed" if key.completed_after < 0 else f"completed +{key.completed_after}h"
    return (
        f"v{key.flow_version} {key.channel}/{key.lang}{test} started "
        f"{key.started_hour:%Y-%m-%d %H:00} UTC, {done}"
    )
