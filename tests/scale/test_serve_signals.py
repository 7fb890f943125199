"""Issue 14 §5: `surveybot serve` stopped by SIGTERM (systemd, docker stop) or SIGINT
takes its `surveybot charts` child with it; before, the child kept running.

A real server process in its own session; only processes it started are signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.scale.server import ROOT, _children, free_port, server_env


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _charts_child(pid: int) -> int | None:
    for child in _children(pid):
        with contextlib.suppress(OSError):
            if b"charts" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
    return None


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_serve_stops_its_charts_child(tmp_path: Path, signum: signal.Signals) -> None:
    port = free_port()
    env = server_env(
        f"sqlite:///{tmp_path / 'bot.db'}",
        WECHAT_APP_SECRET="s",  # a channel that sends images: serve starts `charts`
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
    )
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port), "--log-level",
         "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    charts: int | None = None
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            charts = charts or _charts_child(server.pid)
            with contextlib.suppress(httpx.HTTPError):
                if charts and httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            time.sleep(0.2)
        assert charts is not None and _alive(charts), (tmp_path / "serve.log").read_text()

        server.send_signal(signum)
        server.wait(timeout=60)
        deadline = time.monotonic() + 15
        while _alive(charts) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(charts), "the charts child outlived `surveybot serve`"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if charts is not None and _alive(charts):
            os.kill(charts, signal.SIGKILL)
        log.close()
