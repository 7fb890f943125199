"""kill -9 the server between the answer's commit and the outbox send: after a restart
every part of every reply reaches WeChat's customer-service API exactly once.

The reply's parts are written to the outbox in the answer's own transaction (no second
transaction, no in-process queue), due 1.5 s after the passive reply; the server is
killed right after the passive replies arrive, before they are due.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.devtools.wechat_sim import WeChatSimulator
from bot.dispatch.reply_delivery import REPLY_KIND
from storage.models import Outbox, OutboxStatus
from tests.fakes.wechat_api_server import FakeWeChatApi
from tests.scale.conftest import StartServer
from tests.scale.server import AES_KEY, APP_ID, TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
SECRET = "kill-secret"
SEND = "/cgi-bin/message/custom/send"


@pytest.fixture
def api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(app_id=APP_ID, app_secret=SECRET)
    fake.start()
    yield fake
    fake.stop()


def _reply_rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).where(col(Outbox.kind) == REPLY_KIND)).all())


async def test_reply_parts_survive_a_kill_between_commit_and_send(
    pg_url: str,
    start_server: StartServer,
    db_engine: Callable[[str], Engine],
    api: FakeWeChatApi,
) -> None:
    env = {"WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE_URL": api.base_url}
    server = start_server(pg_url, workers=1, env=env)
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, server.url)
    followers = [f"o_kill_{i}" for i in range(8)]
    try:
        for openid in followers:
            await sim.send_event(openid, "subscribe")
        passive = await asyncio.gather(*(sim.send_text(o, "简介") for o in followers))
        os.killpg(server.pid, signal.SIGKILL)  # kill -9, the worker included
        server.process.wait(timeout=10)
    finally:
        await sim.aclose()
    assert all(r.status == 200 and r.text for r in passive)

    engine = db_engine(pg_url)
    rows = _reply_rows(engine)
    assert len(rows) == len(followers)  # committed with the answers, one row each
    sent_before = len(api.calls_to(SEND))
    assert any(r.status == OutboxStatus.PENDING.value for r in rows)  # killed before sending

    start_server(pg_url, workers=1, env=env)  # the restart
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(r.status == OutboxStatus.SENT.value for r in _reply_rows(engine)):
            break
        await asyncio.sleep(0.25)
    assert all(r.status == OutboxStatus.SENT.value for r in _reply_rows(engine))

    sends = [(c.json["touser"], c.json["text"]["content"]) for c in api.calls_to(SEND)]
    counts = collections.Counter(sends)
    assert set(counts.values()) == {1}, "a part was sent twice"
    expected = {(r.recipient, t) for r in rows for t in _texts(r)}
    assert set(counts) == expected  # every part of every reply
    assert len(sends) >= sent_before


def _texts(row: Outbox) -> list[str]:
    return list(json.loads(row.payload_json)["texts"])
