"""CPU per survey push through the whole app in one process, without a network.

    python -m benchmarks.inprocess --respondents 60 [--profile 40]

The app `surveybot bench serve` runs (benchmarks.bare_app) is driven through httpx's
ASGITransport with the signed safe-mode pushes of `benchmarks.wechat_load`, one at a
time. It reports wall and process CPU per push (both include the in-process client,
about 0.5 ms of it) and the dispatcher's own CPU: the thread time spent in the SQLite
writer's transactions (PostgreSQL: in `Service.handle_sync`): dedupe, lock, step, save,
render (on SQLite mostly on the event loop's thread, see bot.dispatch.batch_writer).
CPU time barely depends on what else the machine runs, so two versions of the
request path compare well even on a busy host. `--profile N` prints the N costliest
functions of the dispatcher (cProfile, which roughly doubles the time). Needs the
environment of `surveybot bench serve` (WECHAT_TOKEN, WECHAT_APP_ID,
WECHAT_ENCODING_AES_KEY, SURVEYBOT_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.bare_app import app_from_env
from benchmarks.wechat_load import LoadConfig, _Pushes

WARM_UP = 20  # pushes before measuring: template compilation, statement caches


@dataclass(frozen=True)
class InProcessResult:
    pushes: int
    wall_ms: float  # per push, client included
    cpu_ms: float  # per push, process CPU, client included
    dispatcher_ms: float  # per push, CPU of the dispatcher thread only

    def row(self) -> str:
        return (
            f"{self.pushes} pushes: {self.wall_ms:.2f} ms wall, {self.cpu_ms:.2f} ms CPU "
            f"per push (in-process client included); dispatcher {self.dispatcher_ms:.3f} ms CPU"
        )


async def measure(respondents: int, *, profile: cProfile.Profile | None = None) -> InProcessResult:
    app = app_from_env()
    config = LoadConfig(
        url="http://bench",
        token=os.environ["WECHAT_TOKEN"],
        app_id=os.environ["WECHAT_APP_ID"],
        aes_key=os.environ["WECHAT_ENCODING_AES_KEY"],
        respondents=respondents,
    )
    pushes = _Pushes(config)
    requests = [r for openid, texts in pushes.scripts for r in pushes.for_respondent(openid, texts)]
    await pushes.sim.aclose()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=config.url) as client,
    ):
        for query, body in requests[:WARM_UP]:
            (await client.post("/wechat", params=query, content=body)).raise_for_status()
        service = app.state.runtime.service
        spent = 0.0

        def counted(run: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any) -> Any:
                nonlocal spent
                started = time.thread_time()
                if profile is not None:
                    profile.enable()
                try:
                    return run(*args)
                finally:
                    if profile is not None:
                        profile.disable()
                    spent += time.thread_time() - started

            return timed

        # SQLite: the writer's batches (one message each here, sent one at a time), on
        # the loop's thread or, if the lock was taken, the writer thread; PostgreSQL: the
        # pool thread's write transaction.
        writer = service._writer
        if writer is not None:
            writer._run_here = counted(writer._run_here)
            writer._run_batch = counted(writer._run_batch)
        else:
            service._write_sync = counted(service._write_sync)
        measured = requests[WARM_UP:]
        wall, cpu = time.perf_counter(), time.process_time()
        for query, body in measured:
            (await client.post("/wechat", params=query, content=body)).raise_for_status()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = max(len(measured), 1)
    return InProcessResult(len(measured), 1000 * wall / n, 1000 * cpu / n, 1000 * spent / n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="top N functions")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime…")
    parser.add_argument("--dump", metavar="FILE", help="also write the profile (pstats) here")
    args = parser.parse_args(argv)
    profile = cProfile.Profile() if args.profile else None
    result = asyncio.run(measure(args.respondents, profile=profile))
    print(result.row())
    if profile is not None:
        if args.dump:
            profile.dump_stats(args.dump)
        pstats.Stats(profile, stream=sys.stdout).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
