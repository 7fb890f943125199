"""`surveybot bench compare`: this product and a plain WeRoBot bot, side by side, one run.

Both servers are started here, one worker each, on fresh SQLite files, and the same
driver (`benchmarks.wechat_load`, safe mode) walks the same respondents through each:
the same scripts, the same concurrency. For each it prints pushes/s, server CPU per push
(utime + stime of the whole process tree, from /proc, around the load), p50/p99, the
serving process's RSS, and then the ratios. The order alternates from one round to the
next, so a machine that drifts during the run favours neither. After every run of this
product `surveybot db verify` must find the aggregates exact. `--before DIR` serves a
second checkout of this product (e.g. a `git worktree` of an earlier commit) in the same
rounds, so a change is measured against its own before and the peer in one run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.results import RunResult
from benchmarks.rss import children, cpu_seconds, rss_mib, wait_idle
from benchmarks.wechat_load import LoadConfig, run_load

REPO = Path(__file__).resolve().parents[1]
OURS, BEFORE, PEER = "surveybot", "before", "werobot"
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Credentials:
    token: str
    app_id: str
    aes_key: str

    @classmethod
    def made_up(cls) -> Credentials:
        key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))
        return cls("bench" + secrets.token_hex(8), "wxbench" + secrets.token_hex(5), key)


@dataclass
class Measured:
    name: str
    language: str
    result: RunResult
    cpu_s: float
    rss_mib: float
    verified: bool | None = None  # this product: `surveybot db verify` exact (peer: None)

    @property
    def cpu_per_push_ms(self) -> float:
        return 1000 * self.cpu_s / self.result.requests if self.result.requests else 0.0

    def row(self) -> str:
        r = self.result
        check = {True: "exact", False: "WRONG", None: "-"}[self.verified]
        return (
            f"{self.name:<10} {self.language:<5} {r.requests:>7} {sum(r.errors.values()):>6} "
            f"{r.late:>5} {r.throughput:>9.1f} {self.cpu_per_push_ms:>9.3f} "
            f"{1000 * r.p(50):>7.1f} {1000 * r.p(99):>7.1f} {self.rss_mib:>7.1f} {check:>7}"
        )


HEADER = (
    f"{'server':<10} {'lang':<5} {'pushes':>7} {'errors':>6} {'late':>5} {'pushes/s':>9} "
    f"{'CPU ms/push':>9} {'p50 ms':>7} {'p99 ms':>7} {'RSS MiB':>7} {'verify':>7}"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _base_env(creds: Credentials, repo: Path = REPO) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))}
    env.update(
        WECHAT_TOKEN=creds.token,
        WECHAT_APP_ID=creds.app_id,
        WECHAT_ENCODING_AES_KEY=creds.aes_key,
        PYTHONPATH=str(repo),
    )
    return env


def _ours(port: int, workdir: Path, env: dict[str, str]) -> list[str]:
    env["SURVEYBOT_DATABASE_URL"] = f"sqlite:///{workdir / 'surveybot.db'}"
    return [sys.executable, "-m", "bot.cli.main", "bench", "serve", "--port", str(port)]


def _peer(port: int, workdir: Path, env: dict[str, str]) -> list[str]:
    env["PEER_DB_DIR"] = str(workdir)
    return [
        sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning",
        "benchmarks.werobot_peer:app_from_env()",
    ]  # fmt: skip


COMMANDS: dict[str, Callable[[int, Path, dict[str, str]], list[str]]] = {
    OURS: _ours, BEFORE: _ours, PEER: _peer,
}  # fmt: skip


def _wait_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"the server exited with {process.returncode}: {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {START_TIMEOUT_S:.0f} s")


def _tree_rss(pid: int) -> float:
    """The serving process's RSS: the largest in the tree (a gunicorn or uvicorn worker)."""
    sizes = []
    for member in (pid, *children(pid)):
        try:
            sizes.append(rss_mib(member))
        except (OSError, ValueError):
            continue
    return max(sizes, default=0.0)


def _verify(env: dict[str, str], repo: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "verify"],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode == 0


async def measure(
    name: str, config: LoadConfig, creds: Credentials, workdir: Path, repo: Path = REPO
) -> Measured:
    """Start one server on a fresh database, drive the load through it, stop it.
    `repo`: the checkout this product is served from (the peer lives in this one)."""
    port = free_port()
    env = _base_env(creds, repo if name != PEER else REPO)
    command = COMMANDS[name](port, workdir, env)
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        await asyncio.to_thread(_wait_listening, process, port)
        await asyncio.to_thread(wait_idle, process.pid)  # start-up (imports, migrations)
        before = cpu_seconds(process.pid)
        result = await run_load(replace(config, url=f"http://127.0.0.1:{port}"), name)
        await asyncio.to_thread(wait_idle, process.pid)  # work deferred past the replies
        spent = cpu_seconds(process.pid) - before
        rss = _tree_rss(process.pid)
    finally:
        process.terminate()
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
    if process.returncode not in (0, -15) and not result.requests:
        raise RuntimeError(f"{name} failed: {err.decode(errors='replace')[-2000:]}")
    verified = _verify(env, repo) if name != PEER else None
    return Measured(name, config.language or "mixed", result, spent, rss, verified)


async def compare_with_peer(
    config: LoadConfig,
    *,
    rounds: int = 2,
    languages: Sequence[str] = ("both", "en"),
    before: Path | None = None,
) -> list[list[Measured]]:
    """Each round, each language: every server, this product first in odd rounds and
    last in even ones. `before`: another checkout of this product, served in turn too."""
    creds = Credentials.made_up()
    config = replace(config, token=creds.token, app_id=creds.app_id, aes_key=creds.aes_key)
    servers = (OURS, BEFORE, PEER) if before is not None else (OURS, PEER)
    repos = {OURS: REPO, BEFORE: before or REPO, PEER: REPO}
    pairs = []
    for round_no in range(rounds):
        order = servers if round_no % 2 == 0 else servers[::-1]
        for language in languages:
            measured = []
            for name in order:
                with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
                    run = replace(config, language=language)
                    measured.append(await measure(name, run, creds, Path(tmp), repos[name]))
            pairs.append(measured)
    return pairs


def summary(pairs: list[list[Measured]]) -> list[str]:
    lines = [HEADER]
    verdicts = []
    for number, pair in enumerate(pairs, start=1):
        ours = next(m for m in pair if m.name == OURS)
        peer = next(m for m in pair if m.name == PEER)
        lines += [m.row() for m in pair]
        throughput = ours.result.throughput / peer.result.throughput
        cpu = ours.cpu_per_push_ms / peer.cpu_per_push_ms if peer.cpu_per_push_ms else 0.0
        p99 = ours.result.p(99) / peer.result.p(99) if peer.result.p(99) else 0.0
        rss = ours.rss_mib / peer.rss_mib if peer.rss_mib else 0.0
        met = throughput >= 1.0 and cpu <= 1.0 and ours.verified
        verdicts.append(met)
        lines.append(
            f"  run {number} ({'then '.join(m.name + ' ' for m in pair).strip()}, "
            f"{ours.language}): surveybot/werobot pushes/s {throughput:.2f}x, "
            f"CPU per push {cpu:.2f}x, p99 {p99:.2f}x, RSS {rss:.2f}x: "
            f"target (pushes/s >= 1x, CPU <= 1x, verify exact) {'met' if met else 'NOT met'}"
        )
        before = next((m for m in pair if m.name == BEFORE), None)
        if before is not None and before.cpu_per_push_ms and peer.cpu_per_push_ms:
            lines.append(
                f"  run {number}: surveybot/before CPU per push "
                f"{ours.cpu_per_push_ms / before.cpu_per_push_ms:.2f}x, pushes/s "
                f"{ours.result.throughput / before.result.throughput:.2f}x; before/werobot "
                f"CPU per push {before.cpu_per_push_ms / peer.cpu_per_push_ms:.2f}x"
                f"{'' if before.verified else ', before: verify WRONG'}"
            )
    lines.append(f"target met in {sum(bool(v) for v in verdicts)} of {len(verdicts)} runs")
    return lines
