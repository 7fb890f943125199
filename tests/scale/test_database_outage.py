"""PostgreSQL stops for a few seconds mid-load: fail fast, recover alone, lose nothing.

WeChat waits 5 s for an answer. While the database is away a push must get a 5xx well
within that (so WeChat retries it) instead of hanging; once the database is back the
same workers serve again, without a restart, and every retried push is stored once.
Runs on a private cluster: the shared PostgreSQL is never stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from benchmarks.respondents import make_respondents
from flows.model import Flow
from tests.scale.checks import assert_exactly_once
from tests.scale.conftest import StartServer
from tests.scale.driver import WeChatLoad
from tests.scale.private_pg import PrivateCluster, unavailable_reason

pytestmark = pytest.mark.slow

OUTAGE_S = 3.0
WECHAT_WAIT_S = 5.0


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"cannot run a private PostgreSQL cluster: {reason}")
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


async def test_requests_fail_fast_while_postgres_is_down_and_nothing_is_lost(
    cluster: PrivateCluster,
    start_server: StartServer,
    db_engine: Callable[[str], Engine],
    flow: Flow,
) -> None:
    people = make_respondents(flow, 80, seed=5150, prefix="o_down_")
    server = start_server(cluster.url, workers=2)
    workers_before = set(server.worker_pids())
    load = WeChatLoad(server.url, seed=5150, concurrency=20)
    pushes = sum(len(p.texts) + 1 for p in people)

    async def outage() -> tuple[float, float]:
        while load.report.done < pushes // 3:
            await asyncio.sleep(0.05)
        down = time.monotonic()
        await asyncio.to_thread(cluster.stop, "fast")
        await asyncio.sleep(OUTAGE_S)
        restarting = time.monotonic()
        await asyncio.to_thread(cluster.start)
        return down, restarting

    window = asyncio.create_task(outage())
    report = await load.run(people)
    down, restarting = await window

    during = [r for r in report.requests if down <= r[0] <= restarting]
    failed = [r for r in report.requests if r[2] != "200"]
    assert any(r[2].startswith("http 5") for r in during), f"no 5xx: {report.summary()}"
    # 5xx, or a socket closed under a keep-alive race; never a 4xx or another answer.
    assert all(r[2].startswith("http 5") or not r[2].startswith("http") for r in failed)
    slowest = max(elapsed for _, elapsed, _ in [*during, *failed])
    assert slowest < WECHAT_WAIT_S, f"a request hung {slowest:.1f}s while the database was down"
    assert not report.abandoned and not report.inconsistent, report.summary()
    # Recovered by itself: the same worker processes serve again.
    assert set(server.worker_pids()) == workers_before
    assert_exactly_once(db_engine(cluster.url), flow, people)
