"""Plaintext mode's (timestamp, nonce) record in the database: one body per pair, shared
by every engine (worker or host), pruned once the replay window has passed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.app.channel_seams import DatabasePushNonces
from bot.channels.wechat.crypto import REPLAY_WINDOW_S
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import WeChatPushNonce
from storage.transactions import transaction

NOW = 1_790_000_000


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """On both backends (the channel tests' own `engine` is a SQLite file)."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _rows(engine: Engine) -> int:
    with transaction(engine, readonly=True) as session:
        return int(session.exec(select(func.count()).select_from(WeChatPushNonce)).one())


async def test_a_pair_carries_one_body_and_its_retry(engine: Engine) -> None:
    nonces = DatabasePushNonces(engine)
    assert await nonces.claim(NOW, "1", b"<xml>a</xml>", now=NOW)
    assert await nonces.claim(NOW, "1", b"<xml>a</xml>", now=NOW + 1)  # WeChat's retry
    assert not await nonces.claim(NOW, "1", b"<xml>b</xml>", now=NOW + 2)
    assert await nonces.claim(NOW, "2", b"<xml>b</xml>", now=NOW + 2)


async def test_the_record_is_shared_by_every_worker(engine: Engine, db_url: str) -> None:
    other_host = make_engine(db_url)
    try:
        here, there = DatabasePushNonces(engine), DatabasePushNonces(other_host)
        results = await asyncio.gather(
            here.claim(NOW, "7", b"genuine", now=NOW),
            there.claim(NOW, "7", b"forged", now=NOW),
        )
        assert sorted(results) == [False, True]
    finally:
        other_host.dispose()


async def test_pairs_are_pruned_after_the_replay_window(engine: Engine) -> None:
    nonces = DatabasePushNonces(engine)
    for nonce in ("1", "2", "3"):
        assert await nonces.claim(NOW, nonce, b"x", now=NOW)
    assert _rows(engine) == 3
    later = NOW + REPLAY_WINDOW_S + 1  # a push stamped NOW is refused by its timestamp now
    assert await nonces.claim(later, "9", b"y", now=later)
    assert _rows(engine) == 1
