"""The processes of `surveybot bench burst`: the server and the fake WeChat API.

Each writes its output to a temporary file that nothing has to drain while it runs (a
pipe nobody reads blocks the process once it is full); the end of the file is shown
when the process exits early.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO

from benchmarks.peer_compare import REPO, START_TIMEOUT_S


class Started:
    def __init__(
        self, name: str, command: list[str], env: dict[str, str], port: int, log: IO[bytes]
    ) -> None:
        self.name = name
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_listening(port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, size: int = 4000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def _wait_listening(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name}: nothing listened on port {port}:\n{self.tail()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def started(name: str, command: list[str], env: dict[str, str], port: int) -> Iterator[Started]:
    with tempfile.TemporaryFile(prefix="bench-burst-") as log:
        process = Started(name, command, env, port, log)
        try:
            yield process
        finally:
            process.stop()


def fake_api_command(port: int, app_id: str, secret: str, rate: float) -> list[str]:
    """WeChat's API on loopback with a per-minute send quota of `rate` × 60 (45011)."""
    return [
        sys.executable, "-m", "tests.fakes.wechat_api_server", "--port", str(port),
        "--app-id", app_id, "--app-secret", secret,
        "--quota", str(round(rate * 60)), "--window", "60", "--errcode", "45011",
    ]  # fmt: skip


def server_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--log-format", "json",
    ]  # fmt: skip
