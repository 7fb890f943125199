"""A worker built by uvicorn's factory: every template compiled before the first reply, and
its start-up heap (templates included) out of the collector's way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.app.heap import YOUNG_THRESHOLD
from bot.dispatch.render import TEMPLATES
from storage.migrate import upgrade

PROBE = """
import gc
from bot.app.asgi import app_from_env
assert gc.get_freeze_count() == 0
app = app_from_env()
from bot.dispatch.render import Renderer
print(gc.get_freeze_count(), gc.get_threshold()[0], len(Renderer()._env.cache or {}))
"""


def test_a_worker_built_by_the_factory_has_its_heap_frozen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    env = {**os.environ, "SURVEYBOT_DATABASE_URL": url, "SURVEYBOT_SECRET_KEY": "heap-test-key"}
    # Its own interpreter: freezing changes the collector for the whole process.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, threshold, compiled = (int(x) for x in done.stdout.split())
    assert frozen > 50_000  # SQLAlchemy, jinja2, the flows: what start-up built
    assert threshold == YOUNG_THRESHOLD
    # No respondent after a deploy waits for a template's compilation (1-5 ms each).
    assert compiled >= len(list(TEMPLATES.rglob("*.j2")))
