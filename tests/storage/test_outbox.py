from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine

from storage.outbox import (
    backoff,
    claim_due,
    enqueue,
    failed_items,
    mark_failed,
    mark_sent,
    payload,
    update_payload,
)
from storage.transactions import transaction
from tests.storage.sample import NOW, at


def _enqueue(engine: Engine, n: int = 1) -> None:
    with transaction(engine) as session:
        for i in range(n):
            enqueue(
                session=session,
                channel="wechat",
                recipient="o1",
                kind="text",
                payload={"text": f"第{i}部分 part {i}"},
                now=NOW,
            )


def test_due_items_are_leased_in_order_then_sent(engine: Engine) -> None:
    _enqueue(engine, 3)
    with transaction(engine) as session:
        items = claim_due(session=session, now=NOW, limit=10)
    assert [payload(i)["text"] for i in items] == [
        "第0部分 part 0",
        "第1部分 part 1",
        "第2部分 part 2",
    ]
    with transaction(engine) as session:
        # Leased: another worker does not take them while they are being sent.
        assert claim_due(session=session, now=at(0.5), limit=10) == []
        for item in items:
            mark_sent(session=session, item=item, now=at(0.5))
    with transaction(engine) as session:
        assert claim_due(session=session, now=at(60), limit=10) == []


def test_a_worker_that_dies_mid_send_loses_nothing(engine: Engine) -> None:
    _enqueue(engine)
    with transaction(engine) as session:
        (item,) = claim_due(session=session, now=NOW, limit=10, lease_seconds=60)
    # … the worker dies: no mark_sent. After the lease the item is due again.
    with transaction(engine) as session:
        assert claim_due(session=session, now=NOW + timedelta(seconds=59), limit=10) == []
        (again,) = claim_due(session=session, now=NOW + timedelta(seconds=60), limit=10)
    assert again.id == item.id


def test_failures_back_off_exponentially_then_give_up(engine: Engine) -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == timedelta(hours=1)
    _enqueue(engine)
    now = NOW
    for attempt in range(1, 4):
        with transaction(engine) as session:
            (item,) = claim_due(session=session, now=now, limit=1)
            mark_failed(session=session, item=item, error=f"errcode 45015 #{attempt}", now=now)
        with transaction(engine) as session:
            wait = backoff(attempt)
            assert claim_due(session=session, now=now + wait - timedelta(seconds=1), limit=1) == []
        now += wait
    with transaction(engine) as session:
        (item,) = claim_due(session=session, now=now, limit=1)
        assert item.attempts == 3 and item.last_error == "errcode 45015 #3"
        mark_failed(session=session, item=item, error="last", now=now, max_attempts=4)
    with transaction(engine) as session:
        assert claim_due(session=session, now=now + timedelta(days=1), limit=1) == []
        (failed,) = failed_items(session=session)
    assert failed.status == "failed" and failed.attempts == 4


def test_a_permanent_error_fails_at_once(engine: Engine) -> None:
    _enqueue(engine)
    with transaction(engine) as session:
        (item,) = claim_due(session=session, now=NOW, limit=1)
        mark_failed(session=session, item=item, error="blocked", now=NOW, retry=False)
    with transaction(engine) as session:
        assert [i.status for i in failed_items(session=session)] == ["failed"]


def test_claims_can_be_limited_to_channels_and_payloads_updated(engine: Engine) -> None:
    _enqueue(engine)
    with transaction(engine) as session:
        enqueue(
            session=session, channel="telegram", recipient="7", kind="text", payload={}, now=NOW
        )
    with transaction(engine) as session:
        (item,) = claim_due(session=session, now=NOW, limit=10, channels={"telegram"})
        assert item.channel == "telegram"
        (other,) = claim_due(session=session, now=NOW, limit=10)
        assert other.channel == "wechat"
        update_payload(session=session, item=other, payload={"texts": ["rest"]})
        mark_failed(session=session, item=other, error="timeout", now=NOW)
    with transaction(engine) as session:
        (again,) = claim_due(session=session, now=at(1), limit=10, channels=["wechat"])
        assert payload(again) == {"texts": ["rest"]}


def test_concurrent_workers_claim_disjoint_items(engine: Engine) -> None:
    _enqueue(engine, 40)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            with transaction(engine) as session:
                items = claim_due(session=session, now=NOW, limit=3)
            with lock:
                claimed.extend(i.id for i in items if i.id is not None)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40


def test_giving_up_logs_no_user_id(engine: Engine, caplog) -> None:  # type: ignore[no-untyped-def]
    """A Telegram chat id is digits: the redaction filter would not know it, so it is
    never put into the line at all."""
    with transaction(engine) as session:
        enqueue(
            session=session, channel="telegram", recipient="987654321",
            kind="text", payload={"text": "x"}, now=NOW,
        )  # fmt: skip
    with transaction(engine) as session:
        (item,) = claim_due(session=session, now=NOW, limit=1)
        with caplog.at_level("ERROR", logger="storage.outbox"):
            mark_failed(session=session, item=item, error="blocked", now=NOW, retry=False)
    assert "failed for good" in caplog.text
    assert "987654321" not in caplog.text
