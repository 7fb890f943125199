"""`surveybot bench databases`: SQLite against PostgreSQL, this product only, one run.

Each run starts `surveybot bench serve` on a fresh database (a SQLite file, or a new
PostgreSQL database created on the given server and dropped afterwards), walks the same
respondents through it with the driver of `surveybot bench compare` (safe mode, one
language), and measures:
- server CPU per push: utime + stime of the server's process tree (/proc), around the
  load and until the server is idle again;
- backend CPU per push (PostgreSQL, same host): the same for the PostgreSQL backends
  connected to the run's database (`pg_stat_activity` → /proc), those alive at the end
  counted from their CPU before the load (0 for those opened during it);
- pushes/s, p99, and `surveybot db verify` (it must be exact after every run).

SQLite runs as the product configures it: WAL with `synchronous=NORMAL`, so a commit does
not wait for the disk (a power cut may lose the last commits, never corrupt the file).
PostgreSQL's default waits for its WAL flush at every commit. `--synchronous-commit off`
(or `both`) also measures PostgreSQL at SQLite's durability, `synchronous_commit=off` in
the URL's options (`pg-async` in the table; docs/runbook.md says when to choose it).

`--before PATH` measures a second checkout of the code (e.g. a `git worktree` of the
previous commit) in the same run, interleaved, so both versions see the same machine.
The order reverses every round. The load generator shares the machine's cores with the
server and PostgreSQL: with 2 cores, 2 workers are bounded by it too.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.peer_compare import REPO, Credentials, _base_env, _wait_listening, free_port
from benchmarks.results import RunResult
from benchmarks.rss import cpu_seconds, wait_idle
from benchmarks.wechat_load import LoadConfig, run_load


@dataclass(frozen=True)
class Setup:
    tree: str  # "this" or "before"
    database: str  # "sqlite", "postgresql", or "pg-async" (synchronous_commit=off)
    workers: int

    @property
    def name(self) -> str:
        return f"{self.tree}/{self.database}/{self.workers}w"


@dataclass
class Measured:
    setup: Setup
    result: RunResult
    server_s: float
    backend_s: float
    verified: bool
    load_average: float

    def per_push(self, seconds: float) -> float:
        return 1000 * seconds / self.result.requests if self.result.requests else 0.0

    def row(self) -> str:
        r = self.result
        server, backend = self.per_push(self.server_s), self.per_push(self.backend_s)
        return (
            f"{self.setup.tree:<7} {self.setup.database:<10} {self.setup.workers:>2} "
            f"{r.requests:>6} {sum(r.errors.values()):>4} {r.late:>4} {r.throughput:>8.1f} "
            f"{server:>8.2f} {backend:>8.2f} {server + backend:>8.2f} "
            f"{1000 * r.p(99):>7.0f} {'exact' if self.verified else 'WRONG':>6} "
            f"{self.load_average:>5.1f}"
        )


HEADER = (
    f"{'tree':<7} {'database':<10} {'w':>2} {'pushes':>6} {'err':>4} {'late':>4} "
    f"{'pushes/s':>8} {'server':>8} {'backend':>8} {'total':>8} {'p99 ms':>7} "
    f"{'verify':>6} {'load':>5}   (CPU ms per push)"
)


def _backend_cpu(admin_url: str, database: str) -> dict[int, float]:
    """pid → CPU seconds of the PostgreSQL backends connected to `database` (same host)."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": database}
            ).scalars()
            return {int(pid): cpu_seconds(int(pid)) for pid in pids}
    finally:
        engine.dispose()


def _admin(postgres_url: str, statement: str) -> None:
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _verify(tree: Path, env: dict[str, str]) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "verify"],
        env=env, cwd=tree, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return done.returncode == 0


async def measure(
    setup: Setup, config: LoadConfig, creds: Credentials, tree: Path, postgres_url: str
) -> Measured:
    """One server on a fresh database: load, CPU, verify; the database dropped after."""
    port = free_port()
    env = _base_env(creds)
    env["PYTHONPATH"] = str(tree)
    database = f"bench_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(postgres_url).set(drivername="postgresql+psycopg")
    admin = admin_url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        if setup.database == "sqlite":
            env["SURVEYBOT_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'surveybot.db'}"
        else:
            _admin(admin, f"CREATE DATABASE {database}")
            url = admin_url.set(database=database)
            if setup.database == ASYNC_COMMIT:
                url = url.update_query_dict({"options": "-c synchronous_commit=off"})
            env["SURVEYBOT_DATABASE_URL"] = url.render_as_string(hide_password=False)
        try:
            return await _run(setup, config, env, tree, port, admin, database, Path(tmp))
        finally:
            if setup.database != "sqlite":
                _admin(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


async def _run(
    setup: Setup,
    config: LoadConfig,
    env: dict[str, str],
    tree: Path,
    port: int,
    admin: str,
    database: str,
    workdir: Path,
) -> Measured:
    command = [
        sys.executable, "-m", "bot.cli.main", "bench", "serve",
        "--port", str(port), "--workers", str(setup.workers),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    postgres = setup.database != "sqlite"
    try:
        await asyncio.to_thread(_wait_listening, process, port)
        await asyncio.to_thread(wait_idle, process.pid)  # start-up: imports, migrations
        before = cpu_seconds(process.pid)
        backends = _backend_cpu(admin, database) if postgres else {}
        load_average = os.getloadavg()[0]
        result = await run_load(replace(config, url=f"http://127.0.0.1:{port}"), setup.name)
        await asyncio.to_thread(wait_idle, process.pid)  # work deferred past the replies
        server_s = cpu_seconds(process.pid) - before
        backend_s = 0.0
        if postgres:
            after = _backend_cpu(admin, database)
            backend_s = sum(cpu - backends.get(pid, 0.0) for pid, cpu in after.items())
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    verified = _verify(tree, env)
    load_average = max(load_average, os.getloadavg()[0])
    return Measured(setup, result, server_s, backend_s, verified, load_average)


# PostgreSQL with `synchronous_commit=off`: SQLite's durability (see the docstring).
ASYNC_COMMIT = "pg-async"
# `--synchronous-commit`: which PostgreSQL setups a round measures.
SYNCHRONOUS_COMMIT = {
    "on": ("postgresql",),
    "off": (ASYNC_COMMIT,),
    "both": ("postgresql", ASYNC_COMMIT),
}


def plan(
    *, before: bool, workers: tuple[int, ...] = (1, 2), synchronous_commit: str = "on"
) -> list[Setup]:
    """One round: this tree's SQLite and PostgreSQL runs, then the earlier tree's."""
    trees = ("this", "before") if before else ("this",)
    kinds = (("sqlite", (1,)), *((pg, workers) for pg in SYNCHRONOUS_COMMIT[synchronous_commit]))
    return [
        Setup(tree, database, n) for tree in trees for database, counts in kinds for n in counts
    ]


async def compare_databases(
    config: LoadConfig,
    *,
    postgres_url: str,
    before: Path | None = None,
    rounds: int = 2,
    synchronous_commit: str = "on",
) -> list[Measured]:
    creds = Credentials.made_up()
    config = replace(config, token=creds.token, app_id=creds.app_id, aes_key=creds.aes_key)
    trees = {"this": REPO, "before": before or REPO}
    setups = plan(before=before is not None, synchronous_commit=synchronous_commit)
    measured = []
    for number in range(rounds):
        for setup in setups if number % 2 == 0 else list(reversed(setups)):
            started = time.monotonic()
            run = await measure(setup, config, creds, trees[setup.tree], postgres_url)
            measured.append(run)
            print(f"{run.row()}   ({time.monotonic() - started:.0f} s)", flush=True)
    return measured


def summary(measured: list[Measured]) -> list[str]:
    lines = [HEADER, *(m.row() for m in measured), ""]
    for tree in dict.fromkeys(m.setup.tree for m in measured):
        runs = [m for m in measured if m.setup.tree == tree]

        def total(m: Measured) -> float:
            return m.per_push(m.server_s + m.backend_s)

        sqlite = [total(m) for m in runs if m.setup.database == "sqlite"]
        for kind in dict.fromkeys(m.setup.database for m in runs if m.setup.database != "sqlite"):
            postgres = [total(m) for m in runs if m.setup.database == kind]
            if sqlite and postgres:
                ratio_low, ratio_high = min(postgres) / max(sqlite), max(postgres) / min(sqlite)
                lines.append(
                    f"{tree}: {_LABEL[kind]} server + backend CPU per push {min(postgres):.2f}-"
                    f"{max(postgres):.2f} ms, SQLite {min(sqlite):.2f}-{max(sqlite):.2f} ms: "
                    f"{ratio_low:.2f}-{ratio_high:.2f} x (target <= 1.5 x)"
                )
            for workers in (1, 2):
                rates = [
                    m.result.throughput
                    for m in runs
                    if m.setup.database == kind and m.setup.workers == workers
                ]
                if rates:
                    lines.append(
                        f"{tree}: {_LABEL[kind]} {workers} worker(s): "
                        f"{', '.join(f'{r:.1f}' for r in rates)} pushes/s"
                    )
    return lines


_LABEL = {"postgresql": "PostgreSQL", ASYNC_COMMIT: "PostgreSQL (synchronous_commit=off)"}
