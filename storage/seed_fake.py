"""Synthetic respondents in bulk, for benchmarks: `surveybot db seed-fake N`.

Each fake respondent has completed the survey: a respondent row, a completed session
(a valid state snapshot), one answer row per selected option or text, and the counters
(live, peer-segment and session ones) bumped by exactly what was inserted, in the same
transaction as the rows — so `surveybot db verify` holds after a seed as after real
traffic. Answers follow the
flow's conditions (`when:`); the contact form is never filled (no personal data).

PostgreSQL gets the rows through COPY (a million respondents, ~20 million answer rows,
in minutes); SQLite through executemany. Ids are taken above the current maximum while
the tables are locked, and the sequences moved past them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from flows.model import Flow, Lang, Question, QuestionType
from flows.peer_segments import SegmentKey, answered_in_state, contributions
from flows.state import Answer as StateAnswer
from flows.state import SessionState, Status
from storage import choice_masks, counter_ledger
from storage.aggregates import RESPONDENTS, CounterKey, bump_counters, option_ids
from storage.segment_counters import bump_segments
from storage.session_counters import SessionKey, Who, bump_sessions, session_key

CHANNELS = ("wechat", "wechat", "wechat", "telegram")  # three in four through WeChat
OPENID_PREFIX = "fake_"  # never a real openid (those start with "o")
_TEXTS = ("GRI Standards", "CDP 问卷", "TCFD", "ISO 14064-1 核查", "SBTi")
_LANGS = ("both", "zh", "en")
_TABLES = ("respondent", "survey_session", "answer")


@dataclass
class _Batch:
    respondents: list[tuple[object, ...]] = field(default_factory=list)
    sessions: list[tuple[object, ...]] = field(default_factory=list)
    answers: list[tuple[object, ...]] = field(default_factory=list)
    deltas: Counter[CounterKey] = field(default_factory=Counter)
    segments: Counter[SegmentKey] = field(default_factory=Counter)
    session_counts: Counter[SessionKey] = field(default_factory=Counter)


def seed_fake(
    engine: Engine,
    flow: Flow,
    count: int,
    *,
    seed: int = 0,
    batch_size: int = 20_000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    followers: bool = False,
) -> int:
    """Insert `count` completed fake respondents; returns the answer rows inserted.

    `followers`: every one follows the WeChat Official Account, asked for updates and
    wrote within the last hour, inside WeChat's 48-hour window: a /broadcast reaches
    them all at once (the burst bench)."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    answers = 0
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        with engine.begin() as conn:
            first = _reserve(conn)
            batch = _generate(flow, rng, first, size, now, followers=followers)
            _insert(conn, batch)
            with Session(bind=conn) as session:
                bump_counters(session=session, deltas=batch.deltas)
                bump_segments(session=session, flow_id=flow.id, deltas=batch.segments)
                bump_sessions(session=session, deltas=batch.session_counts)
            # Written here, not at the commit: `engine` may be any engine, not only one
            # of storage.db's, which write the kept changes as they commit.
            counter_ledger.write_now(conn)
        done += size
        answers += len(batch.answers)
        if progress is not None:
            progress(done)
    _analyze(engine)
    return answers


def _analyze(engine: Engine) -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum would give them some time later.

    Right after a bulk load they still describe the empty tables, and the planner picks
    plans a long-running database never sees (the newest-texts query: 1.4 s instead of
    well under a millisecond at 1,000,000 respondents; docs/benchmarks.md)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite: the app never gathers statistics there; keep its plans as run
    with engine.begin() as conn:
        for table in (*_TABLES, "aggregate_counter", "segment_counter", "session_counter"):
            conn.exec_driver_sql(f"ANALYZE {table}")


def _reserve(conn: Connection) -> tuple[int, int, int]:
    """The next free ids of respondent, survey_session, answer, under a table lock."""
    if conn.dialect.name == "postgresql":
        # Writers wait for the batch (a benchmark database, not live traffic).
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    ids = [
        conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {t}").scalar_one() for t in _TABLES
    ]
    return ids[0] + 1, ids[1] + 1, ids[2] + 1


def _generate(
    flow: Flow,
    rng: random.Random,
    first: tuple[int, int, int],
    size: int,
    now: datetime,
    *,
    followers: bool = False,
) -> _Batch:
    batch = _Batch()
    respondent_id, session_id, answer_id = first
    for _ in range(size):
        if followers:
            finished = now - timedelta(seconds=rng.randint(60, 3600))
            started = finished - timedelta(seconds=rng.randint(60, 900))
        else:
            started = now - timedelta(seconds=rng.randint(600, 30 * 86400))
            finished = started + timedelta(seconds=rng.randint(60, 900))
        chosen = _answers(flow, rng)
        lang = rng.choice(_LANGS)
        # Followers are the Official Account's (a broadcast reaches them through its API).
        channel = "wechat" if followers else rng.choice(CHANNELS)
        contact = chosen.get(flow.contact.question if flow.contact else "", StateAnswer())
        updates = followers or (
            flow.contact is not None and flow.contact.updates in contact.options
        )
        openid = f"{OPENID_PREFIX}{respondent_id:09d}"
        batch.respondents.append(
            (respondent_id, channel, openid, lang, None, True, updates, started, finished)
        )
        state = SessionState(
            flow_id=flow.id,
            flow_version=flow.version,
            status=Status.COMPLETED,
            lang=Lang(lang),
            history=tuple(chosen),
            answers=chosen,
            started_at=started.isoformat(),
            updated_at=finished.isoformat(),
            completed_at=finished.isoformat(),
        )
        batch.sessions.append(
            (session_id, respondent_id, flow.id, flow.version, Status.COMPLETED.value,
             state.to_json(), started, finished, finished)
        )  # fmt: skip
        for question_id, answer in chosen.items():
            for option in answer.options:
                batch.answers.append(
                    (answer_id, session_id, respondent_id, flow.id, flow.version,
                     question_id, option, None, finished)
                )  # fmt: skip
                answer_id += 1
                batch.deltas[(flow.id, question_id, option)] += 1
            if answer.text is not None:
                batch.answers.append(
                    (answer_id, session_id, respondent_id, flow.id, flow.version,
                     question_id, None, answer.text, finished)
                )  # fmt: skip
                answer_id += 1
            batch.deltas[(flow.id, question_id, RESPONDENTS)] += 1
        batch.segments.update(contributions(answered_in_state(chosen), flow.segments))
        who = Who(channel, lang, False)
        batch.session_counts[session_key(flow.id, flow.version, who, started, finished)] += 1
        respondent_id += 1
        session_id += 1
    return batch


def _answers(flow: Flow, rng: random.Random) -> dict[str, StateAnswer]:
    """One plausible completed survey, following the flow's `when:` conditions."""
    chosen: dict[str, StateAnswer] = {}
    for question in flow.questions:
        if question.type is QuestionType.FIELD:
            continue  # the contact form: personal data is never made up
        relevant = all(
            c.question in chosen and set(c.any_of) & set(chosen[c.question].options)
            for c in question.when
        )
        if relevant:
            chosen[question.id] = _answer(flow, question, rng)
    return chosen


def _answer(flow: Flow, question: Question, rng: random.Random) -> StateAnswer:
    if question.type is QuestionType.TEXT:
        return StateAnswer(text=rng.choice(_TEXTS))
    ids = list(option_ids(question))
    if flow.contact is not None and question.id == flow.contact.question:
        ids = [i for i in ids if i != flow.contact.right_now]  # it would open the form
    if question.type is not QuestionType.MULTI:
        return StateAnswer(options=(rng.choice(ids),))
    plain = [o.id for o in question.options if not o.exclusive and o.id in ids]
    exclusive = [o.id for o in question.options if o.exclusive and o.id in ids]
    if exclusive and rng.random() < 0.15:
        return StateAnswer(options=(rng.choice(exclusive),))
    upper = min(3, len(plain), question.max_selected or len(plain))
    picked = rng.sample(plain, rng.randint(max(1, question.min_selected), max(1, upper)))
    return StateAnswer(options=tuple(o for o in plain if o in picked))


_COLUMNS = {
    "respondent": "id, channel, channel_user_id, lang, source, active, subscribed_updates, "
    "created_at, last_inbound_at",
    "survey_session": "id, respondent_id, flow_id, flow_version, status, state_json, "
    "started_at, updated_at, completed_at",
    "answer": "id, session_id, respondent_id, flow_id, flow_version, question_id, option_id, "
    "text, created_at",
}


def _insert(conn: Connection, batch: _Batch) -> None:
    tables = {
        "respondent": batch.respondents,
        "survey_session": batch.sessions,
        "answer": batch.answers,
    }
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        choice_masks.pause(conn)  # a trigger call per answer row: filled per batch below
        for table, rows in tables.items():
            with cursor.copy(f"COPY {table} ({_COLUMNS[table]}) FROM STDIN") as copy:
                for chunk in _copy_chunks(rows):
                    copy.write(chunk)
        choice_masks.fill(conn, [cast(int, row[0]) for row in batch.sessions])
        for table in _TABLES:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        return
    for table, rows in tables.items():
        marks = ", ".join("?" for _ in _COLUMNS[table].split(","))
        sql = f"INSERT INTO {table} ({_COLUMNS[table]}) VALUES ({marks})"
        conn.exec_driver_sql(sql, [tuple(_sqlite(v) for v in row) for row in rows])


def _sqlite(value: object) -> object:
    # UTCDateTime keeps naive UTC text on SQLite.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _copy_chunks(rows: list[tuple[object, ...]], size: int = 5000) -> Iterator[str]:
    for start in range(0, len(rows), size):
        yield "".join(
            "\t".join(_copy_value(v) for v in row) + "\n" for row in rows[start : start + size]
        )


def _copy_value(value: object) -> str:
    """COPY text format: \\N for NULL, backslash escapes for the few special bytes."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    out = str(value)
    if "\\" in out or "\t" in out or "\n" in out or "\r" in out:
        out = out.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        out = out.replace("\r", "\\r")
    return out
