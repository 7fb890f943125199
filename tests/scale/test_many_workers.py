"""Many workers, one database: 200 respondents, every push delivered 1–4 times.

The production shape: `surveybot serve --workers 4` on one PostgreSQL. Nothing shared
lives in a worker's memory, so whichever worker gets a copy of a push, each answer is
stored once and the counters stay exact.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from benchmarks.respondents import make_respondents
from flows.model import Flow
from tests.scale.checks import assert_exactly_once
from tests.scale.conftest import StartServer
from tests.scale.driver import LoadReport, WeChatLoad
from tests.scale.server import ROOT, server_env

pytestmark = pytest.mark.slow


def db_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    """`surveybot db verify` as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "verify"],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _statuses(report: LoadReport) -> list[str]:
    """The HTTP errors among the retries (transport errors left out)."""
    return [reason for reason in report.retries if reason.startswith("http ")]


@pytest.mark.postgres
async def test_four_workers_store_every_answer_exactly_once(
    pg_url: str, start_server: StartServer, db_engine: Callable[[str], Engine], flow: Flow
) -> None:
    people = make_respondents(flow, 200, seed=4242, prefix="o_four_")
    server = start_server(pg_url, workers=4)

    report = await WeChatLoad(server.url, seed=4242, concurrency=40).run(people)

    assert not report.abandoned and not report.inconsistent, report.summary()
    # A busy worker may answer 503, a kept-alive socket may close under a request
    # (WeChat retries both, and so does the driver); no other answer is acceptable.
    assert set(_statuses(report)) <= {"http 503"}, report.summary()
    assert_exactly_once(db_engine(pg_url), flow, people)
    verified = db_verify(pg_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "aggregates match" in verified.stdout


async def test_one_sqlite_worker_never_shows_database_is_locked(
    tmp_path, start_server: StartServer, db_engine: Callable[[str], Engine], flow: Flow
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'scale.db'}"
    people = make_respondents(flow, 60, seed=77, prefix="o_lite_")
    server = start_server(url, workers=1)

    report = await WeChatLoad(server.url, seed=77, concurrency=30).run(people)

    assert not report.abandoned and not report.inconsistent, report.summary()
    assert not _statuses(report), report.summary()  # not even a 503
    assert "database is locked" not in server.log()
    assert_exactly_once(db_engine(url), flow, people)
    verified = db_verify(url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
