"""The completion-chart drawer as its own process: `surveybot charts`.

matplotlib and numpy cost ~55 MB in every process that draws. `surveybot serve` starts
one drawer process beside its web workers (and tells them not to draw), and restarts it
if it dies; the queue lives in the database (storage.chart_queue), so nothing is lost
while it restarts and several hosts may each run one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

from bot.app.runtime import build_runtime
from bot.settings import Settings
from bot.workers.completion_charts import ChartWorker

log = logging.getLogger(__name__)

RESTART_AFTER_S = 2.0


def chart_channels(settings: Settings) -> list[str]:
    """The channels whose completion charts get drawn: those that can send images."""
    channels = []
    if settings.wechat_token and settings.wechat_app_id and settings.wechat_app_secret:
        channels.append("wechat")
    if settings.telegram_bot_token:
        channels.append("telegram")
    return channels


def run_charts(settings: Settings) -> None:
    """Draw queued charts until interrupted (the `surveybot charts` command)."""
    runtime = build_runtime(settings, migrate=False)
    drawer = ChartWorker(
        runtime.engine,
        runtime.catalog,
        channels=chart_channels(settings),
        min_respondents=settings.snapshot_min_respondents,
        min_cell=settings.snapshot_min_cell,
    )
    try:
        asyncio.run(drawer.run_forever())
    finally:
        runtime.engine.dispose()


@contextlib.contextmanager
def drawer_beside_workers(settings: Settings) -> Iterator[ChartProcess | None]:
    """For `serve`: one drawer process while the block runs, and workers that do not draw.

    Nothing happens when no channel can send images (no chart is ever queued)."""
    if not chart_channels(settings):
        yield None
        return
    os.environ["SURVEYBOT_CHART_WORKER"] = "false"  # the workers inherit the environment
    drawer = ChartProcess()
    drawer.start()
    try:
        yield drawer
    finally:
        drawer.stop()


class ChartProcess:
    """Keeps one `surveybot charts` child running until `stop()`."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "bot.cli.main", "charts"]
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="chart-process", daemon=True)
        self.starts = 0

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command, env=os.environ.copy())
        self.starts += 1

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                log.error("chart process exited with %s; restarting", process.returncode)
                time.sleep(RESTART_AFTER_S)
                if not self._stopping.is_set():
                    self._spawn()
            self._stopping.wait(0.5)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
