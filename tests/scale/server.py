"""The real server as a child process: `surveybot serve --workers N` on a loopback port.

Only processes this module started are signalled, by their own ids (the server runs
in its own session, so its whole process group can be stopped at the end).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scaletoken"
APP_ID = "wx5ca1e0000000beef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a worker reads its settings from (no app secret: no outbox worker)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEYBOT_", "WECHAT_"))}
    env.update(
        SURVEYBOT_DATABASE_URL=database_url,
        WECHAT_TOKEN=TOKEN,
        WECHAT_APP_ID=APP_ID,
        WECHAT_ENCODING_AES_KEY=AES_KEY,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class ServerProcess:
    def __init__(
        self,
        database_url: str,
        *,
        workers: int,
        log_path: Path,
        command: tuple[str, ...] = ("serve",),
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self._log_path = log_path
        self._log = log_path.open("wb")
        argv = [sys.executable, "-m", "bot.cli.main", *command, "--workers", str(workers)]
        argv += ["--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=server_env(database_url, **(env or {})),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 180.0) -> None:
        """Until /healthz answers and all workers are up (or fail with the server's log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            # One worker: uvicorn serves in the master process itself, no children.
            spawned = self.workers == 1 or len(self.worker_pids()) >= self.workers
            if spawned and self._healthz_ok():
                return
            time.sleep(0.2)
        raise TimeoutError(f"server not healthy after {timeout} s:\n{self.log()}")

    def _healthz_ok(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes: the master's children running multiprocessing's
        spawn entry point (not its resource tracker)."""
        pids = []
        for pid in _children(self.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                pids.append(pid)
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Workers are in the server's process group: none may outlive the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self._log.close()


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return children
