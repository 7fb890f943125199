"""kill -9 a worker mid-load: what it held is retried (as WeChat does) and stored once.

A killed worker's open transactions die with its connections (PostgreSQL rolls them
back), its requests fail at the socket, and uvicorn's master starts a replacement.
WeChat retries every push that got no 200 with the same MsgId, so each push is then
either processed afresh or answered from its dedupe row: never twice, never half.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from benchmarks.respondents import make_respondents
from flows.model import Flow
from tests.scale.checks import assert_exactly_once
from tests.scale.conftest import StartServer
from tests.scale.driver import WeChatLoad
from tests.scale.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


async def _kill_workers_mid_load(
    server: ServerProcess, load: WeChatLoad, at: list[int]
) -> list[int]:
    """SIGKILL one worker each time `load.report.done` passes a mark; the killed pids."""
    killed: list[int] = []
    for mark in at:
        while load.report.done < mark:
            await asyncio.sleep(0.05)
        victim = max(server.worker_pids(), key=_open_sockets)
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
    return killed


def _open_sockets(pid: int) -> int:
    """Connections a worker holds: kill the busiest, so the kill hits requests in flight
    (keep-alive connections stick to the worker that accepted them)."""
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    except OSError:
        return -1
    return count


async def _wait_for_workers(server: ServerProcess, killed: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) >= server.workers and not set(pids) & set(killed):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"uvicorn did not replace the killed workers {killed}")


async def test_a_killed_worker_loses_and_doubles_nothing(
    pg_url: str, start_server: StartServer, db_engine: Callable[[str], Engine], flow: Flow
) -> None:
    people = make_respondents(flow, 120, seed=9191, prefix="o_kill_")
    server = start_server(pg_url, workers=4)
    load = WeChatLoad(server.url, seed=9191, concurrency=40)
    pushes = sum(len(p.texts) + 1 for p in people)

    killer = asyncio.create_task(
        _kill_workers_mid_load(server, load, at=[pushes // 4, pushes // 2])
    )
    report = await load.run(people)
    killed = await killer

    assert len(killed) == 2
    # The killed workers' requests failed at the socket and were retried.
    transport = {r for r in report.retries if not r.startswith("http ")}
    assert transport, report.summary()
    assert not report.abandoned and not report.inconsistent, report.summary()
    await _wait_for_workers(server, killed, timeout=120)
    assert_exactly_once(db_engine(pg_url), flow, people)
