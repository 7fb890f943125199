"""Issue 14 §5: /healthz stays liveness; /readyz proves the database takes a write."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from bot.app.asgi import create_app
from storage.db import make_engine
from tests.bot.wechat_harness import open_harness


async def test_readyz_is_200_on_a_writable_database(db_url: str) -> None:
    async with open_harness(db_url) as harness:
        res = await harness.client.get("http://wechat.test/readyz")
        assert (res.status_code, res.json()) == (200, {"database": "writable"})


async def test_readyz_is_503_on_a_read_only_database_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with open_harness(f"sqlite:///{path}") as harness:
        # Opened read-only, as after a remount or a failed disk: every write fails, reads
        # work. (chmod would not do: tests may run as root, which ignores file modes.)
        read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        runtime = dataclasses.replace(harness.runtime, engine=read_only)
        app = create_app(harness.runtime.settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/healthz")).status_code == 200  # liveness: reads
                ready = await client.get("/readyz")
        finally:
            read_only.dispose()
        assert (ready.status_code, ready.json()) == (503, {"database": "not writable"})


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_both_probes_are_plain_get_routes(db_url: str, path: str) -> None:
    async with open_harness(db_url) as harness:
        assert (await harness.client.post(f"http://wechat.test{path}")).status_code == 405
