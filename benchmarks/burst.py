"""`surveybot bench burst`: a /broadcast to every follower, then a wave of answers.

The realistic peak (issue 21 §4): staff broadcast to 10,000 followers and a few
thousand answer within a minute. On an empty database this seeds `followers` completed
respondents who asked for updates and wrote within the hour (`seed-fake --followers`),
starts `surveybot serve --workers N` against the loopback fake of WeChat's API
(tests.fakes.wechat_api_server) with a per-minute send quota of `api_rate` × 60 that it
answers with 45011, tells the server that rate (WECHAT_SEND_RATE), and has a staff
member send `/broadcast` and `/confirm` as signed safe-mode pushes. From the
confirmation on, `respondents` of the followers each send one text, at moments spread
evenly at random over `seconds` (open loop: latency counts from when the push was due),
through the driver of `bench compare` (benchmarks.http_client). Meanwhile the outbox
drains through the API.
The figures and checks are in benchmarks.burst_report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy.engine import make_url
from sqlmodel import Session

from benchmarks.burst_processes import fake_api_command, server_command, started
from benchmarks.burst_report import BurstResult
from benchmarks.http_client import Connection, HttpError
from benchmarks.peer_compare import REPO, Credentials, _base_env, free_port
from benchmarks.rss import wait_idle
from bot.devtools.wechat_sim import WeChatSimulator
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage import outbox
from storage.db import make_engine, normalize_url
from storage.migrate import upgrade
from storage.respondents import subscribed_respondents
from storage.seed_fake import seed_fake
from tests.fakes.wechat_api_server import STATS_PATH

STAFF_OPENID = "o_bench_staff_burst"
ANSWERS = ("1", "2", "是", "yes", "GRI")  # whatever a follower writes back
PASSIVE_BUDGET_S = 4.5
CONNECTIONS = 256  # the most pushes in flight; WeChat itself opens as many as it needs


@dataclass(frozen=True)
class BurstConfig:
    database_url: str  # an empty database: PostgreSQL (the target) or SQLite
    followers: int = 10_000
    respondents: int = 3_000
    seconds: float = 60.0
    workers: int = 2
    api_rate: float = 100.0  # customer-service sends per second the fake API accepts
    send_rate: float | None = None  # what the server paces at (None: the API's rate)
    drain_timeout_s: float = 1800.0
    seed: int = 1
    port: int | None = None  # the server's; the fake API takes the next one (None: any free)


@dataclass
class _Run:
    latencies_s: list[float] = field(default_factory=list)
    late: int = 0  # "success": no passive reply in time
    errors: int = 0
    sample: str = ""  # one passive reply, as the follower reads it


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A fresh schema in this PostgreSQL database, or a fresh SQLite file (for SQLite the
    URL only chooses the backend); dropped afterwards."""
    if normalize_url(url).get_backend_name() != "postgresql":
        with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'burst.db'}"
        return
    schema = f"burst_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, request_timeouts=False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        scoped = normalize_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _seed(url: str, followers: int, seed: int) -> list[str]:
    upgrade(url)
    engine = make_engine(url, request_timeouts=False)
    try:
        seed_fake(engine, load_flow(DEFAULT_FLOW), followers, seed=seed, followers=True)
        with Session(engine) as session:
            return [r.channel_user_id for r in subscribed_respondents(session=session)]
    finally:
        engine.dispose()


async def run_burst(config: BurstConfig) -> BurstResult:
    creds = Credentials.made_up()
    marker = f"[burst {secrets.token_hex(3)}]"
    openids = await asyncio.to_thread(_seed, config.database_url, config.followers, config.seed)
    port = config.port or free_port()
    api_port = port + 1 if config.port else free_port()
    secret = "bench-secret"
    env = _base_env(creds)
    env.update(
        SURVEYBOT_DATABASE_URL=config.database_url,
        SURVEYBOT_STAFF=f"wechat:{STAFF_OPENID}",
        WECHAT_APP_SECRET=secret,
        WECHAT_API_BASE_URL=f"http://127.0.0.1:{api_port}",
        WECHAT_SEND_RATE=str(config.send_rate or config.api_rate),
    )
    load = os.getloadavg()
    api_command = fake_api_command(api_port, creds.app_id, secret, config.api_rate)
    with started("fake WeChat API", api_command, env, api_port):
        command = server_command(port, config.workers)
        with started("server", command, env, port) as server:
            await asyncio.to_thread(wait_idle, server.pid)  # start-up: imports, migrations
            result = await _burst(config, creds, port, api_port, marker, openids)
            result.server_log_tail = server.tail(1500)
    result.load_before = load
    result.load_after = os.getloadavg()
    result.verified, result.failed_rows = await asyncio.to_thread(_verify, env, config.database_url)
    return result


async def _burst(
    config: BurstConfig,
    creds: Credentials,
    port: int,
    api_port: int,
    marker: str,
    openids: list[str],
) -> BurstResult:
    url = f"http://127.0.0.1:{port}"
    sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, url)
    try:
        preview = await sim.send_text(
            STAFF_OPENID, f"/broadcast {marker} 新一轮调查已开放 A new round is open"
        )
        confirmed_at = time.time()
        confirm = await sim.send_text(STAFF_OPENID, "/confirm")
    finally:
        await sim.aclose()
    result = BurstResult(config.followers, config.respondents, config.seconds, config.workers)
    result.staff_replies = (preview.shown, confirm.shown)
    rng = random.Random(config.seed)
    chosen = rng.sample(openids, min(config.respondents, len(openids)))
    run = _Run()
    stats_url = f"http://127.0.0.1:{api_port}{STATS_PATH}?marker={quote(marker)}"
    pushes = asyncio.create_task(_answers(config, creds, url, chosen, rng, run))
    stats = await _drained(stats_url, config.followers, config.drain_timeout_s)
    await pushes
    result.latencies_s, result.late, result.errors = run.latencies_s, run.late, run.errors
    result.sample_reply = run.sample
    result.take_api_stats(stats, confirmed_at)
    return result


async def _answers(
    config: BurstConfig,
    creds: Credentials,
    url: str,
    openids: list[str],
    rng: random.Random,
    run: _Run,
) -> None:
    sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, url)
    start = time.monotonic()
    dues = sorted(start + rng.uniform(0, config.seconds) for _ in openids)
    pool = [Connection(url + "/wechat") for _ in range(CONNECTIONS)]
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in pool:
        free.put_nowait(conn)
    msg_id = int(time.time() * 1000)

    async def push(openid: str, due: float, number: int) -> None:
        xml = sim.push_xml(openid, "text", Content=rng.choice(ANSWERS), MsgId=msg_id + number)
        params, body = sim.signed_push(xml)
        conn = await free.get()
        try:
            status, data = await conn.post(params, body)
        except HttpError:
            status, data = 0, b""
        finally:
            free.put_nowait(conn)
        run.latencies_s.append(time.monotonic() - due)
        if status != 200:
            run.errors += 1
        elif data == b"success":
            run.late += 1
        elif not run.sample:
            reply = sim.decode_reply(data.decode())
            run.sample = (reply.content or "") if reply is not None else ""

    tasks = []
    for number, (openid, due) in enumerate(zip(openids, dues, strict=True)):
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(push(openid, due, number)))
    await asyncio.gather(*tasks)
    for conn in pool:
        await conn.close()
    await sim.aclose()


async def _drained(stats_url: str, followers: int, timeout_s: float) -> dict[str, object]:
    """Poll the fake API until every follower got the broadcast (or the timeout)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            stats: dict[str, object] = (await client.get(stats_url)).json()
            marked = stats.get("copies")
            if isinstance(marked, dict) and len(marked) >= followers:
                await asyncio.sleep(2.0)  # a duplicate sent after the last first copy shows
                return dict((await client.get(stats_url)).json())
            if time.monotonic() > deadline:
                return stats
            await asyncio.sleep(0.5)


def _verify(env: dict[str, str], url: str) -> tuple[bool, int]:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "verify"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    engine = make_engine(url, request_timeouts=False)
    try:
        with Session(engine) as session:
            failed = len(outbox.failed_items(session=session, limit=1_000_000))
    finally:
        engine.dispose()
    return done.returncode == 0, failed


def database_label(url: str) -> str:
    return "PostgreSQL" if make_url(url).get_backend_name() == "postgresql" else "SQLite"
