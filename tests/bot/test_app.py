"""What a web worker loads: the libraries only some requests need stay out until used.

matplotlib + numpy (~55 MB, charts), openpyxl (XLSX exports), python-telegram-bot (the
Telegram channel) and Alembic (migrations, run before the workers start) would each be
resident in every worker otherwise. Checked in a fresh interpreter: this test process
has long imported all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = ("matplotlib", "numpy", "PIL", "openpyxl", "telegram", "alembic")
_LOADED = (
    "import json, sys\n"
    "{code}\n"
    f"print(json.dumps(sorted(m for m in {DEFERRED!r} if m in sys.modules)))\n"
)


def loaded_after(code: str, **env: str) -> list[str]:
    """The DEFERRED top-level packages imported once `code` has run in a new interpreter."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", _LOADED.format(code=code)],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_app_loads_no_chart_export_telegram_or_migration_library() -> None:
    assert loaded_after("import bot.app.asgi") == []


def test_the_cli_loads_none_of_them_either() -> None:
    """`surveybot serve --workers 1` serves from the CLI process itself."""
    assert loaded_after("import bot.cli.main") == []


def test_a_worker_built_from_the_environment_loads_them_only_when_configured(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)  # as `surveybot serve` does before it starts the workers
    build = (
        "from bot.app.asgi import app_from_env\n"
        "app = app_from_env()\n"
        "assert any(getattr(r, 'path', '').startswith('/telegram') for r in app.routes)"
        " == bool(__import__('os').environ.get('TELEGRAM_BOT_TOKEN'))"
    )
    settings = {"SURVEYBOT_DATABASE_URL": url, "SURVEYBOT_SECRET_KEY": "worker-test-key"}
    assert loaded_after(build, **settings) == []
    with_telegram = loaded_after(build, **settings, TELEGRAM_BOT_TOKEN="123456:worker-test")
    assert with_telegram == ["telegram"]


def test_drawing_a_chart_loads_matplotlib() -> None:
    """The other side of the lazy import: the chart modules still bring their library."""
    loaded = loaded_after("import bot.app.asgi\nfrom bot.reports.charts import question_chart_png")
    assert {"matplotlib", "numpy"} <= set(loaded)
