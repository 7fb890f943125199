"""`surveybot charts`: one drawer process beside the web workers, restarted if it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from bot.app.chart_process import ChartProcess, chart_channels
from bot.settings import load_settings
from storage.chart_queue import KIND
from storage.models import Outbox
from storage.transactions import transaction
from tests.bot.cli.test_serve_simulate import free_port
from tests.bot.staff.conftest import SUPPLIER, Chat, make_runtime, write_seed_population

CREDENTIALS = {
    "WECHAT_TOKEN": "charttoken",
    "WECHAT_APP_ID": "wxchart000000001",
    "WECHAT_APP_SECRET": "chart-secret",
    "SURVEYBOT_SNAPSHOT_MIN_RESPONDENTS": "1",
}


def test_only_channels_that_can_send_images_get_charts() -> None:
    assert chart_channels(load_settings(wechat_token="t")) == []  # no app secret: no API
    both = load_settings(
        wechat_token="t", wechat_app_id="wx1", wechat_app_secret="s", telegram_bot_token="1:x"
    )
    assert chart_channels(both) == ["wechat", "telegram"]


def _wait(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {check.__doc__ or check}")


def test_the_drawer_process_draws_and_is_restarted_after_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'charts.db'}"
    for key, value in {**CREDENTIALS, "SURVEYBOT_DATABASE_URL": url}.items():
        monkeypatch.setenv(key, value)
    runtime = make_runtime(url, snapshot_min_respondents=1)
    write_seed_population(runtime)  # others to compare with (no charts of their own)
    chat = Chat(runtime)
    engine = runtime.engine

    def images() -> int:
        with transaction(engine, readonly=True) as session:
            rows = session.exec(select(Outbox.kind).where(col(Outbox.kind).in_([KIND, "image"])))
            return sum(kind == "image" for kind in rows.all())

    drawer = ChartProcess([sys.executable, "-m", "bot.cli.main", "charts"])
    try:
        drawer.start()
        chat.survey("w1", SUPPLIER)  # completing queues the chart; the other process draws it
        _wait(lambda: images() == 1)
        assert drawer.process is not None
        first = drawer.process.pid
        os.kill(first, signal.SIGKILL)
        _wait(lambda: drawer.starts == 2 and drawer.process is not None)
        assert drawer.process is not None and drawer.process.pid != first
        chat.survey("w2", SUPPLIER)
        _wait(lambda: images() == 2)
    finally:
        drawer.stop()
        runtime.engine.dispose()
    assert drawer.process is not None and drawer.process.poll() is not None  # stopped


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), cmdline))
    return found


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find child processes")
def test_serve_starts_one_drawer_and_keeps_matplotlib_out_of_the_workers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))}
    env.update(CREDENTIALS, SURVEYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}")
    env["WECHAT_API_BASE_URL"] = "http://127.0.0.1:9"  # never reached in this test
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(healthy, 90)
        children = _children(serve.pid)
        drawers = [pid for pid, cmd in children if cmd.rstrip().endswith("bot.cli.main charts")]
        assert len(drawers) == 1, children
        workers = [pid for pid, _ in children if pid not in drawers]
        assert workers  # uvicorn's worker processes
        runtime = make_runtime(env["SURVEYBOT_DATABASE_URL"], snapshot_min_respondents=1)
        try:
            write_seed_population(runtime)  # others to compare with (no charts of their own)
            Chat(runtime).survey("w1", SUPPLIER)  # queues a completion chart
        finally:
            runtime.engine.dispose()
        _wait(lambda: "matplotlib" in Path(f"/proc/{drawers[0]}/maps").read_text(), 60)
        for pid in [serve.pid, *workers]:
            assert "matplotlib" not in Path(f"/proc/{pid}/maps").read_text(), pid
    finally:
        serve.terminate()
        serve.wait(30)
    assert (
        not Path(f"/proc/{drawers[0]}").exists()
        or "Z" in Path(f"/proc/{drawers[0]}/stat").read_text().split(")")[1][:3]
    )
