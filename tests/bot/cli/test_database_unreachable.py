"""Issue 14 §5: `surveybot serve` with the database unreachable says so in one line and
exits non-zero, or waits a bounded, logged while when SURVEYBOT_DB_WAIT_S asks it to."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy.exc import OperationalError

from bot.cli.database_wait import UNREACHABLE_EXIT, migrate_or_exit
from tests.bot.cli.test_serve_simulate import free_port

URL = "postgresql://bot:s3cret-pw@127.0.0.1:{port}/surveys"


def test_serve_with_the_database_down_prints_one_line_and_exits(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))}
    env["SURVEYBOT_DATABASE_URL"] = URL.format(port=port)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(free_port())],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == UNREACHABLE_EXIT
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port}/surveys" in lines[0] and "refused" in lines[0]
    assert "s3cret-pw" not in lines[0] and "Traceback" not in lines[0]


def _refused() -> OperationalError:
    return OperationalError("connect", {}, Exception("connection failed: Connection refused"))


def test_a_bounded_wait_retries_with_a_logged_line_until_the_database_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    slept: list[float] = []

    def migrate(url: str) -> None:
        calls.append(url)
        if len(calls) < 3:
            raise _refused()

    with caplog.at_level(logging.WARNING):
        migrate_or_exit(URL.format(port=5), wait_s=60, migrate=migrate, sleep=slept.append)
    assert len(calls) == 3 and len(slept) == 2
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2 and all("s3cret-pw" not in m for m in retries)


def test_the_wait_is_bounded(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def migrate(url: str) -> None:
        raise _refused()

    caplog.set_level(logging.ERROR, logger="bot.cli.database_wait")  # the retry lines

    with pytest.raises(typer.Exit) as stopped:
        migrate_or_exit(URL.format(port=5), wait_s=0.3, migrate=migrate)
    assert stopped.value.exit_code == UNREACHABLE_EXIT
    assert capsys.readouterr().err.count("\n") == 1
