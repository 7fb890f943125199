from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import Engine

from storage.inbound import claim_inbound, save_reply, stored_reply
from storage.retention import prune_processed
from storage.transactions import transaction
from tests.storage.sample import NOW, Waiter, at


def test_a_message_is_claimed_once_and_a_retry_gets_the_stored_reply(engine: Engine) -> None:
    with transaction(engine) as session:
        first = claim_inbound(session=session, channel="wechat", dedupe_key="m1", now=NOW)
        assert first is not None
        save_reply(session=session, processed=first, messages=["你好 Hello", "Q1"])
    with transaction(engine) as session:
        assert claim_inbound(session=session, channel="wechat", dedupe_key="m1", now=at(1)) is None
        # The failed claim rolled back only its savepoint: the transaction goes on.
        assert claim_inbound(session=session, channel="wechat", dedupe_key="m2", now=at(1))
        assert stored_reply(session=session, channel="wechat", dedupe_key="m1") == [
            "你好 Hello",
            "Q1",
        ]
    with transaction(engine) as session:
        # Same key on another channel is another message.
        assert claim_inbound(session=session, channel="telegram", dedupe_key="m1", now=NOW)
        assert stored_reply(session=session, channel="wechat", dedupe_key="nope") is None


def test_a_rolled_back_claim_leaves_the_message_unprocessed(engine: Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as session:
        assert claim_inbound(session=session, channel="wechat", dedupe_key="m1", now=NOW)
        raise RuntimeError("crash while processing")
    with transaction(engine) as session:
        assert claim_inbound(session=session, channel="wechat", dedupe_key="m1", now=NOW)


def test_prune_removes_old_dedupe_rows(engine: Engine) -> None:
    with transaction(engine) as session:
        claim_inbound(session=session, channel="wechat", dedupe_key="old", now=NOW)
        claim_inbound(session=session, channel="wechat", dedupe_key="new", now=at(60))
    with transaction(engine) as session:
        assert prune_processed(session=session, before=at(30)) == 1
        assert claim_inbound(session=session, channel="wechat", dedupe_key="old", now=at(61))
        assert not claim_inbound(session=session, channel="wechat", dedupe_key="new", now=at(61))


def test_a_retry_during_processing_waits_and_then_sees_the_reply(engine: Engine) -> None:
    """Two real concurrent transactions: the retry blocks on the first one's row, then
    finds it claimed and reads the reply the first one stored."""
    retry_result: list[tuple[object, list[str] | None, float]] = []

    def retry() -> None:
        with transaction(engine) as session:
            claimed = claim_inbound(session=session, channel="wechat", dedupe_key="m", now=NOW)
            reply = stored_reply(session=session, channel="wechat", dedupe_key="m")
            retry_result.append((claimed, reply, time.monotonic()))

    waiter = Waiter(engine, retry)
    with transaction(engine) as session:
        processed = claim_inbound(session=session, channel="wechat", dedupe_key="m", now=NOW)
        assert processed is not None
        # Processing; the retry arrives meanwhile (and, on PostgreSQL, waits on our row).
        waiter.start()
        save_reply(session=session, processed=processed, messages=["answer"])
        about_to_commit = time.monotonic()
    waiter.join()
    assert len(retry_result) == 1
    claimed, reply, finished_at = retry_result[0]
    assert claimed is None
    assert reply == ["answer"]
    assert finished_at >= about_to_commit
