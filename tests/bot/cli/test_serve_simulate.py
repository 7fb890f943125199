"""The Quick start for real: `surveybot serve` under uvicorn, `surveybot simulate` against it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]
    env: dict[str, str]
    cwd: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


STAFF = "o_dev_staff"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))}
    env.pop("SURVEYBOT_PUBLIC_URL", None)
    env["SURVEYBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'quickstart.db'}"
    env["SURVEYBOT_STAFF"] = f"wechat:{STAFF}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(port, process, env, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output, _ = process.communicate()
            pytest.fail(f"serve exited: {output}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("serve did not become healthy within 60 s")
    yield server
    process.terminate()
    try:
        process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def simulate(server: Server, *args: str, lines: list[str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "simulate", "--url", f"{server.url}/wechat", *args],
        cwd=server.cwd,
        env=server.env,
        input="\n".join(lines) + "\n:quit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_healthz_reports_the_database(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"database": "ok"}


@pytest.mark.parametrize("mode", [[], ["--aes"]], ids=["default", "safe-mode"])
def test_simulate_chats_with_the_dev_server(server: Server, mode: list[str]) -> None:
    out = simulate(server, *mode, "--user", f"o_dev_{len(mode)}", lines=["3", "2", "1,4"])
    assert "欢迎" in out
    assert "您是OEM厂商还是供应商？" in out and "Are you an OEM or a Supplier?" in out
    assert "如果您是供应商，请列出贵厂生产的主要产品/零件" in out
    assert "【3/" in out  # the commodity answer was taken: on to question 3
    assert "HTTP 4" not in out and "HTTP 5" not in out


def test_the_dev_server_refuses_plaintext_pushes(server: Server) -> None:
    # Development mode has an EncodingAESKey, so safe mode: unsigned bodies are refused.
    out = simulate(server, "--plain", "--user", "o_dev_plain", lines=["3"])
    assert "HTTP 403" in out and "欢迎" not in out


def test_links_the_bot_sends_point_at_the_port_it_serves(server: Server) -> None:
    """Without SURVEYBOT_PUBLIC_URL the dashboard link names this server's own port, not
    the default 8000 (where nothing listened), and it opens."""
    out = simulate(server, "--user", STAFF, lines=["/dashboard"])
    found = re.search(r"http://[^\s：]+/dashboard/login\?token=[\w.-]+", out)
    assert found is not None, out
    link = found.group(0)
    assert link.startswith(f"{server.url}/dashboard/login?token="), out
    opened = httpx.get(link, follow_redirects=False, timeout=10)
    assert opened.status_code < 400, opened.text


def test_serve_prints_the_dev_credentials_and_simulator_command(server: Server) -> None:
    server.process.terminate()
    output, _ = server.process.communicate(timeout=15)
    assert "development mode" in output
    assert "surveybot simulate --url" in output


def test_serve_on_a_terminal_logs_readable_lines_without_migration_chatter(
    tmp_path: Path,
) -> None:
    """A newcomer's first `serve` (stdout a terminal): one readable line a record, the
    migrations named once each, none of Alembic's plugin set-up lines."""
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))}
    env["SURVEYBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tty.db'}"
    port = free_port()
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=follower,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        process.terminate()
        _, err = process.communicate(timeout=15)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    lines = err.splitlines()
    assert any("Running upgrade 0004 -> 0005" in line for line in lines), err
    assert any("Application startup complete" in line for line in lines), err
    assert not any(line.lstrip().startswith("{") for line in lines), err
    assert "setup plugin" not in err and "Context impl" not in err
