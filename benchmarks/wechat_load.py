"""Act as WeChat towards a running server: whole surveys, signed (and encrypted).

    python -m benchmarks.wechat_load --url http://127.0.0.1:8000 --respondents 300 \
        --concurrency 32 [--aes] [--bare] [--rate 150]

Each virtual respondent subscribes, then answers until the survey is complete (texts
from `benchmarks.respondents`, checked against the pure engine), one push at a time as
a phone would. Closed loop (default): `--concurrency` respondents at once, as fast as
the server answers — the peak throughput. Open loop (`--rate R`): a new push every 1/R
s whatever the server does, latency counted from when it was due — the latency at a
given load. `--bare` sends the same pushes to `/wechat-bare` (signature check only,
see benchmarks/bare_app.py): the ceiling of the HTTP stack itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.bare_app import BARE_PATH
from benchmarks.http_client import Connection, HttpError
from benchmarks.respondents import random_script
from benchmarks.results import HEADER, RunResult
from bot.devtools.wechat_sim import WeChatSimulator
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW

MAX_IN_FLIGHT = 2000  # open loop: beyond this the server has clearly fallen over


@dataclass(frozen=True)
class LoadConfig:
    url: str  # the server, e.g. http://127.0.0.1:8000
    token: str
    app_id: str
    aes_key: str | None = None  # set: safe mode (encrypted pushes and replies)
    respondents: int = 200
    concurrency: int = 32
    bare: bool = False
    rate: float | None = None  # pushes per second (open loop); None: closed loop
    seed: int = 1
    language: str | None = None  # "zh", "en", "both": every respondent picks it; None: mixed


class _Pushes:
    """Builds the signed pushes of every respondent, one after the other."""

    def __init__(self, config: LoadConfig) -> None:
        flow = load_flow(DEFAULT_FLOW)
        rng = random.Random(config.seed)
        run = uuid.uuid4().hex[:8]  # a fresh run never meets respondents of an earlier one
        self.scripts = [
            (f"o_bench_{run}_{i:06d}", random_script(flow, rng, language=config.language))
            for i in range(config.respondents)
        ]
        self.sim = WeChatSimulator(config.token, config.app_id, config.aes_key, config.url)
        self._msg_id = int(time.time() * 1000)

    def for_respondent(
        self, openid: str, texts: Sequence[str]
    ) -> list[tuple[dict[str, str], bytes]]:
        xmls = [self.sim.push_xml(openid, "event", Event="subscribe")]
        for text in texts:
            self._msg_id += 1
            xmls.append(self.sim.push_xml(openid, "text", Content=text, MsgId=self._msg_id))
        return [self.sim.signed_push(xml) for xml in xmls]


async def run_load(config: LoadConfig, label: str | None = None) -> RunResult:
    pushes = _Pushes(config)
    path = BARE_PATH if config.bare else "/wechat"
    result = RunResult(label or _label(config))
    try:
        started = time.monotonic()
        if config.rate is None:
            await _closed_loop(config, pushes, config.url.rstrip("/") + path, result)
        else:
            await _open_loop(config, pushes, config.url.rstrip("/") + path, result)
        result.elapsed_s = time.monotonic() - started
    finally:
        await pushes.sim.aclose()
    return result


def _label(config: LoadConfig) -> str:
    kind = "bare" if config.bare else "survey"
    mode = f"rate {config.rate:g}/s" if config.rate else f"c={config.concurrency}"
    return f"{kind} {'aes' if config.aes_key else 'plain'} {mode}"


async def _send(
    conn: Connection, push: tuple[dict[str, str], bytes], due: float, result: RunResult
) -> None:
    bare = conn.path == BARE_PATH
    params, body = push
    try:
        status, data = await conn.post(params, body)
    except HttpError as error:
        result.errors[f"{type(error).__name__}: {error}"[:60]] += 1
        status, data = 0, b""
    result.latencies_s.append(time.monotonic() - due)
    if status and status != 200:
        result.errors[f"http {status}"] += 1
    elif status == 200 and data == b"success" and not bare:
        result.late += 1


async def _closed_loop(config: LoadConfig, pushes: _Pushes, url: str, result: RunResult) -> None:
    queue = deque(pushes.scripts)

    async def user() -> None:
        conn = Connection(url)
        try:
            while queue:
                openid, texts = queue.popleft()
                for push in pushes.for_respondent(openid, texts):
                    await _send(conn, push, time.monotonic(), result)
        finally:
            await conn.close()

    await asyncio.gather(*(user() for _ in range(config.concurrency)))


async def _open_loop(config: LoadConfig, pushes: _Pushes, url: str, result: RunResult) -> None:
    assert config.rate is not None
    waiting = deque(pushes.scripts)  # respondents not started yet
    idle: deque[deque[tuple[dict[str, str], bytes]]] = deque()  # started, between pushes
    connections: list[Connection] = []
    tasks: set[asyncio.Task[None]] = set()
    interval = 1.0 / config.rate
    due = time.monotonic()

    async def step(remaining: deque[tuple[dict[str, str], bytes]], due: float) -> None:
        conn = connections.pop() if connections else Connection(url)
        try:
            await _send(conn, remaining.popleft(), due, result)
        finally:
            connections.append(conn)
        if remaining:
            idle.append(remaining)

    while waiting or idle or tasks:
        if not (waiting or idle):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            continue
        if idle:
            remaining = idle.popleft()
        else:
            openid, texts = waiting.popleft()
            remaining = deque(pushes.for_respondent(openid, texts))
        if len(tasks) >= MAX_IN_FLIGHT:
            raise RuntimeError(f"{MAX_IN_FLIGHT} pushes in flight at {config.rate}/s: overloaded")
        task = asyncio.create_task(step(remaining, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        due += interval
        await asyncio.sleep(max(0.0, due - time.monotonic()))
    for conn in connections:
        await conn.close()


def config_from_args(args: argparse.Namespace) -> LoadConfig:
    token = args.token or os.environ.get("WECHAT_TOKEN")
    app_id = args.app_id or os.environ.get("WECHAT_APP_ID")
    key = args.aes_key or os.environ.get("WECHAT_ENCODING_AES_KEY")
    if not token or not app_id:
        raise SystemExit("give --token and --app-id (or WECHAT_TOKEN / WECHAT_APP_ID)")
    if args.aes and not key:
        raise SystemExit("--aes needs --aes-key (or WECHAT_ENCODING_AES_KEY)")
    return LoadConfig(
        url=args.url, token=token, app_id=app_id, aes_key=key if args.aes else None,
        respondents=args.respondents, concurrency=args.concurrency, bare=args.bare,
        rate=args.rate, seed=args.seed,
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.wechat_load", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--respondents", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rate", type=float, default=None, help="open loop: pushes per second")
    p.add_argument("--aes", action="store_true", help="safe mode (encrypted)")
    p.add_argument("--bare", action="store_true", help="the signature-only endpoint")
    p.add_argument("--token")
    p.add_argument("--app-id")
    p.add_argument("--aes-key")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result = asyncio.run(run_load(config_from_args(args)))
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(HEADER)
        print(result.row())
    return 0 if not result.errors else 1


if __name__ == "__main__":
    sys.exit(main())
