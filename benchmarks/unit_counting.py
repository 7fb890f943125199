"""Counting per organisation (storage.unit_sessions) against the counter path, PostgreSQL.

`uv run python -m benchmarks.unit_counting N [--keep]`: a fresh database `unitcount_bench`
(dropped at the end unless --keep) with N fake completed AIAG respondents
(storage.seed_fake), half of them linked to an organisation, three colleagues each (a
pessimistic share: two of every three linked sessions are set aside); then the p50 of
each figure per respondent (the counters) and per organisation (the rows).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text

from flows.definition import load_flow
from flows.model import CountingUnit
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.crosstab import crosstab
from storage.db import make_engine
from storage.filters import ReportFilter
from storage.live_counts import live_counts
from storage.migrate import upgrade
from storage.progress import survey_progress
from storage.seed_fake import seed_fake
from storage.transactions import transaction

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DATABASE = "unitcount_bench"
LINK = """INSERT INTO organisation_link
    (respondent_id, flow_id, organisation_id, name_given, plant_key, created_at)
    SELECT s.respondent_id, s.flow_id, (SELECT min(id) FROM organisation) + s.id % :n, 'x', '',
    now() FROM survey_session s WHERE s.id % 2 = 0"""
ORGANISATIONS = """INSERT INTO organisation (name, name_key, created_at)
    SELECT 'org' || g, 'org' || g, now() FROM generate_series(1, :n) g"""


def main(count: int, keep: bool) -> None:
    admin = create_engine(SERVER + "test", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        c.execute(text(f"CREATE DATABASE {DATABASE}"))
    url = SERVER + DATABASE
    upgrade(url)
    aiag = load_flow(DEFAULT_FLOW)
    bulk = create_engine(url)  # no request timeouts while seeding
    seed_fake(bulk, aiag, count, batch_size=5000)
    with bulk.begin() as c:
        c.execute(text(ORGANISATIONS), {"n": count // 6})
        c.execute(text(LINK), {"n": count // 6})
        c.execute(text("ANALYZE"))
    bulk.dispose()
    engine = make_engine(url)
    unit = dataclasses.replace(aiag, counting=CountingUnit.ORGANISATION, _index={})
    per_unit = ReportFilter(counting=CountingUnit.ORGANISATION)
    now = datetime.now(UTC)
    cases: list[tuple[str, Callable[[Any], object]]] = [
        ("question_stats, counters", lambda s: question_stats(session=s, flow=aiag)),
        ("question_stats, per organisation", lambda s: question_stats(session=s, flow=unit)),
        (
            "crosstab methodology x role, per organisation",
            lambda s: crosstab(
                session=s,
                flow_id=aiag.id,
                row_question="methodology",
                col_question="role",
                report_filter=per_unit,
            ),
        ),
        (
            "progress, per organisation",
            lambda s: survey_progress(
                session=s, flow_id=aiag.id, since=now, idle_before=now, report_filter=per_unit
            ),
        ),
        (
            "snapshot (one question), counters",
            lambda s: live_counts(session=s, flow=aiag, viewer=2, question_id="role"),
        ),
        (
            "snapshot (one question), per organisation",
            lambda s: live_counts(session=s, flow=unit, viewer=2, question_id="role"),
        ),
        (
            "summary (all questions), per organisation",
            lambda s: live_counts(session=s, flow=unit, viewer=2),
        ),  # fmt: skip
    ]
    for label, read in cases:
        times = []
        for _ in range(5):
            with transaction(engine, readonly=True, long_read=True) as session:
                start = time.perf_counter()
                read(session)
                times.append(time.perf_counter() - start)
        print(f"{label}: p50 {statistics.median(times) * 1000:.0f} ms", flush=True)
    engine.dispose()
    if not keep:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE {DATABASE}"))
    admin.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]), "--keep" in sys.argv[2:])
