"""PostgreSQL: what one push sends to the server, and exactly-once under a concurrent copy.

Round trips are counted from libpq's own trace (benchmarks.round_trips), so a statement
added anywhere on the path (SQLAlchemy, the precompiled statements, psycopg's BEGIN, the
pool) shows. docs/benchmarks.md lists the statements these figures are made of.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.respondents import random_script
from benchmarks.round_trips import walk, wechat_dispatcher
from bot.dispatch.envelope import Channel, Envelope, Outcome
from bot.dispatch.service import Service
from bot.dispatch.staff_dispatch import StaffWork
from flows.definition import load_flow
from flows.events import Inbound, Intent
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.db import make_engine
from storage.models import Answer, ProcessedMessage
from storage.transactions import transaction
from tests.conftest import PG_URL

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# A first answer to a single-choice question (the survey's first, "1"): its statements
# and waits for the server (docs/benchmarks.md, "What one push sends"). The state says
# the question had no answer, so no answer rows are deleted first; and no key-value read:
# nothing waits for "更多 / more" (`respondent.pages_waiting`, read with the lock); and the
# session row's save waits for nothing (its RETURNING is known from the route's read); and
# no reminder awaits this respondent (`return_awaited`, read with the lock): no UPDATE. The
# transaction's BEGIN and the route's session read go with the claim-and-lock statement,
# the snapshot's counters in that read (storage.counter_read_ahead), and the queued
# writes and the reply with the COMMIT: two waits (storage.libpq_pipeline,
# storage.claim_and_lock).
STEADY_STATEMENTS = 8
STEADY_ROUND_TRIPS = 2
ANY_ANSWER_ROUND_TRIPS = 12  # an answer that also writes an organisation, a contact …


def test_a_survey_step_sends_a_pinned_number_of_statements(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("round trips to the PostgreSQL server")
    flow = load_flow(DEFAULT_FLOW)
    texts = random_script(flow, random.Random(1), invalid_rate=0.0, language="both")
    assert texts[:2] == ["3", "1"]  # the language, then the first question's option 1
    with wechat_dispatcher(db_url, tmp_path) as (service, trace):
        pushes = walk(service, trace, "o" + "R" * 27, texts)
    first_answer = pushes[2]  # after the subscribe and the language
    assert len(first_answer.statements) == STEADY_STATEMENTS, first_answer.statements
    assert first_answer.round_trips == STEADY_ROUND_TRIPS, first_answer.statements
    assert max(p.round_trips for p in pushes[2:]) <= ANY_ANSWER_ROUND_TRIPS
    # No reply of this walk is paged: no push after the language reads pending pages.
    assert not [s for p in pushes[2:] for s in p.statements if "key_value" in s]


def test_two_concurrent_copies_of_one_push_are_processed_once(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite queues them in-process)")
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow)
    process = service.process
    inside = threading.Event()

    def slow(session: Session, envelope: Envelope, staff: StaffWork | None = None) -> Outcome:
        outcome = process(session, envelope, staff)
        if not outcome.duplicate:
            inside.set()
            time.sleep(0.3)  # the copy arrives while this transaction is still open
        return outcome

    service.process = slow  # type: ignore[method-assign]

    def envelope(key: str, text: str | None, seconds: int) -> Envelope:
        intent = Intent.START if text is None else None
        inbound = Inbound(now=NOW + timedelta(seconds=seconds), text=text, intent=intent)
        return Envelope(Channel.WECHAT, "twice", key, inbound)

    service.handle_sync(envelope("m0", None, 0))
    service.handle_sync(envelope("m1", "3", 1))
    pairs: list[list[Outcome]] = []

    def send(push: Envelope, wait: bool, into: list[Outcome]) -> None:
        if wait:
            assert inside.wait(5)
        into.append(service.handle_sync(push))

    for number, text in enumerate(["2", "1,4"], start=2):
        inside.clear()
        push, pair = envelope(f"m{number}", text, number), list[Outcome]()
        copies = [threading.Thread(target=send, args=(push, w, pair)) for w in (False, True)]
        for thread in copies:
            thread.start()
        for thread in copies:
            thread.join(10)
        pairs.append(sorted(pair, key=lambda o: o.duplicate))
    for first, copy in pairs:
        assert not first.duplicate and copy.duplicate
        assert copy.text == first.text  # the reply stored with the first commit
    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
        answers = session.exec(select(func.count()).select_from(Answer)).one()[0]
        claimed = session.exec(select(func.count()).select_from(ProcessedMessage)).one()[0]
    assert answers == 3  # "2", then "1,4": each row once
    assert claimed == 4


def test_a_connection_the_server_dropped_costs_a_retry_not_the_message(engine: Engine) -> None:
    """No ping before each transaction (a round trip a message): a dropped connection
    fails its first statement, the pool is renewed and the message runs again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connections")
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow)
    start = Envelope(Channel.WECHAT, "dropped", "d0", Inbound(now=NOW, intent=Intent.START))
    service.handle_sync(start)
    with engine.connect() as conn:  # the pooled connection the next message gets
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = make_engine(PG_URL)
    try:
        with admin.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
    finally:
        admin.dispose()
    time.sleep(0.2)
    language = Inbound(now=NOW + timedelta(seconds=5), text="3")
    outcome = service.handle_sync(Envelope(Channel.WECHAT, "dropped", "d1", language))
    assert outcome.messages and not outcome.duplicate
    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
