"""A WeChat reply is delivered from the answer's transaction: over the time budget, the
whole reply is in the outbox (customer-service API) or waits for the next message; a
customer-service refusal at send time turns into paging, nothing is lost."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.round_trips import WireTrace
from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.passive_slot import PassiveSlot
from bot.dispatch.reply_delivery import Pending, api_usable, keep_unseen, load_pending, save_pending
from flows.events import Inbound, Intent
from storage.respondents import lock_respondent
from storage.transactions import transaction
from tests.bot.wechat_harness import Harness, open_harness

SEND = "/cgi-bin/message/custom/send"


class Sent:
    """Every statement the engine's connections send from now on (PostgreSQL: libpq's
    trace, SQLite: its trace callback), so a read of any layer shows."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self._sqlite: list[str] = []
        self._wire = WireTrace(engine, directory) if engine.dialect.name == "postgresql" else None
        if self._wire is None:
            engine.dispose()  # connections opened before are not traced
            event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(self._sqlite.append)

    def take(self) -> list[str]:
        """What was sent since the last call."""
        if self._wire is not None:
            return self._wire.take().statements
        taken, self._sqlite[:] = list(self._sqlite), []
        return taken

    def close(self) -> None:
        if self._wire is not None:
            self._wire.close()


def _late(openid: str, key: str, text: str | None = None) -> Envelope:
    """A push the route already answered "success" to (its budget ran out)."""
    slot = PassiveSlot()
    assert slot.close()
    intent = Intent.START if text is None else None
    inbound = Inbound(now=datetime.now(UTC), text=text, intent=intent)
    return Envelope(Channel.WECHAT, openid, key, inbound, slot=slot)


async def _start(harness: Harness, openid: str) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_event(openid, "subscribe")


async def test_over_budget_the_whole_reply_goes_through_the_outbox(db_url: str) -> None:
    async with open_harness(db_url) as harness:
        await _start(harness, "o_late")
        outcome = await harness.runtime.service.handle(_late("o_late", "k1", "双语"))
        assert outcome.passive is None  # the route said "success": nothing passive
        sent = await harness.deliver()
        assert len(sent) == 1 and "Are you an OEM or a Supplier?" in sent[0]
        assert await harness.deliver() == sent  # exactly once


async def test_over_budget_without_the_api_the_reply_leads_the_next_one(db_url: str) -> None:
    async with open_harness(db_url, wechat_app_secret=None) as harness:
        await _start(harness, "o_late")
        outcome = await harness.runtime.service.handle(_late("o_late", "k1", "双语"))
        assert outcome.passive is None
        reply = await harness.simulator(safe=True).send_text("o_late", "2")
        # The question they never saw, then the answer to it taken and the next one.
        assert reply.shown.index("Are you an OEM or a Supplier?") < reply.shown.index("【2/")
        assert harness.answers("o_late")["role"] == (["supplier"], [])


async def test_a_retried_push_gets_the_same_passive_reply_and_queues_nothing_twice(
    db_url: str,
) -> None:
    async with open_harness(db_url) as harness:
        sim = harness.simulator(safe=True)
        await sim.send_event("o_r", "subscribe")
        first = await sim.send_text("o_r", "简介", msg_id=77)
        again = await sim.send_text("o_r", "简介", msg_id=77)
        assert first.text == again.text
        sent = await harness.deliver()
        assert len(sent) >= 1
        assert len(await harness.deliver()) == len(sent)


async def test_a_refused_api_pages_from_then_on_and_the_unsent_rest_is_kept(
    db_url: str,
) -> None:
    """48001: this account may not use the customer-service API (e.g. an unverified
    subscription account): what it refused leads the next reply, later replies page."""
    async with open_harness(db_url) as harness:
        sim = harness.simulator(safe=True)
        await sim.send_event("o_sub", "subscribe")
        intro = await sim.send_text("o_sub", "简介")
        harness.api.fail_next(SEND, 48001, "api unauthorized")
        await harness.deliver()  # refused (the fake records the attempt)
        with transaction(harness.runtime.engine) as session:
            assert not api_usable(session=session, channel="wechat", now=datetime.now(UTC))
        following = await sim.send_text("o_sub", "双语")
        assert re.search(r"\(1/\d+\)$", following.shown)  # paged now
        pages = [following.shown]
        while not re.search(r"\((\d+)/\1\)$", pages[-1]):
            pages.append((await sim.send_text("o_sub", "更多")).shown)
        whole = intro.shown + "".join(pages)
        assert "AIAG Sustainability Team" in whole  # the preface's end, never sent before
        assert "Are you an OEM or a Supplier?" in pages[-1]
        assert harness.api.calls_to(SEND) and len(harness.api.calls_to(SEND)) == 1


async def test_outside_the_window_the_unsent_rest_leads_the_next_reply(db_url: str) -> None:
    async with open_harness(db_url) as harness:
        sim = harness.simulator(safe=True)
        await sim.send_event("o_w", "subscribe")
        await sim.send_text("o_w", "简介")
        harness.api.fail_next(SEND, 45015, "response out of time limit")
        await harness.deliver()  # refused: 45015
        following = await sim.send_text("o_w", "双语")
        sent = await harness.deliver()
        whole = following.shown + "".join(sent)
        assert "AIAG Sustainability Team" in whole
        assert whole.index("AIAG Sustainability Team") < whole.index("OEM or a Supplier?")


async def test_telegram_gets_no_wechat_links_or_pages_from_the_same_dispatcher(
    db_url: str,
) -> None:
    async with open_harness(db_url, wechat_app_secret=None) as harness:
        service = harness.runtime.service
        now = datetime.now(UTC)
        for channel in (Channel.TELEGRAM, Channel.WECHAT):
            texts = []
            for key, text in (("1", None), ("2", "简介"), ("3", "更多"), ("4", "3")):
                intent = Intent.START if text is None else None
                inbound = Inbound(now=now, text=text, intent=intent)
                outcome = await service.handle(Envelope(channel, "u1", key, inbound))
                texts.append(outcome.text + (outcome.passive or ""))
            joined = "\n".join(texts)
            if channel is Channel.TELEGRAM:
                assert "weixin://" not in joined and "(1/" not in joined
                assert "AIAG Sustainability Team" in texts[1]  # the whole preface at once
            else:
                assert "weixin://bizmsgmenu" in joined and "(1/" in joined


async def test_pages_are_read_only_while_some_wait(db_url: str, tmp_path: Path) -> None:
    """The follower's row says whether pages wait: a long reply sets it, its last page
    clears it, and an answer with nothing waiting reads no key-value row at all."""
    async with open_harness(db_url, wechat_app_secret=None) as harness:
        sent = Sent(harness.runtime.engine, tmp_path)
        try:
            await _page_then_answer(harness, sent)
        finally:
            sent.close()


async def _page_then_answer(harness: Harness, sent: Sent) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_event("o_p", "subscribe")
    assert not harness.pages_waiting("o_p")
    pages = [(await sim.send_text("o_p", "简介")).shown]
    assert re.search(r"\(1/\d+\)$", pages[0])
    assert harness.pages_waiting("o_p")
    while not re.search(r"\((\d+)/\1\)$", pages[-1]):
        pages.append((await sim.send_text("o_p", "更多")).shown)
        assert re.search(rf"\({len(pages)}/\d+\)$", pages[-1])
    assert len(pages) >= 2 and "AIAG Sustainability Team" in "".join(pages)
    assert not harness.pages_waiting("o_p")  # the last page was taken

    sent.take()
    answer = await sim.send_text("o_p", "3")
    statements = sent.take()
    assert "OEM or a Supplier?" in answer.shown
    assert statements and not [s for s in statements if "key_value" in s], statements


async def test_texts_the_api_could_not_deliver_wait_flagged_and_lead_the_next_reply(
    db_url: str,
) -> None:
    async with open_harness(db_url) as harness:
        sim = harness.simulator(safe=True)
        await sim.send_event("o_u", "subscribe")
        await sim.send_text("o_u", "简介")  # the rest of the preface goes to the outbox
        assert not harness.pages_waiting("o_u")
        harness.api.fail_next(SEND, 45015, "response out of time limit")
        await harness.deliver()  # refused: kept as unseen by the delivery worker
        refused = harness.api.calls_to(SEND)[-1].json["text"]["content"]
        assert harness.pages_waiting("o_u")

        following = await sim.send_text("o_u", "双语")
        assert following.shown.startswith(refused[:40])  # the unseen text first
        assert not harness.pages_waiting("o_u")  # shown: nothing waits any more
        whole = following.shown + "".join(await harness.deliver())
        assert whole.index("AIAG Sustainability Team") < whole.index("OEM or a Supplier?")


async def test_pages_that_expired_are_not_shown_and_their_flag_is_cleared(db_url: str) -> None:
    async with open_harness(db_url, wechat_app_secret=None) as harness:
        sim = harness.simulator(safe=True)
        await sim.send_event("o_x", "subscribe")
        long_ago = datetime.now(UTC) - timedelta(days=8)  # kept 7 days (PAGES_KEPT)
        with transaction(harness.runtime.engine) as session:
            old = Pending(pages=("an old page",), unseen=("an old text",))
            save_pending(
                session=session, channel="wechat", user_id="o_x", pending=old, now=long_ago,
                waiting=False,
            )  # fmt: skip
        assert harness.pages_waiting("o_x")
        more = await sim.send_text("o_x", "更多")
        assert "an old" not in more.shown and "没有更多内容了" in more.shown
        assert not harness.pages_waiting("o_x")


def test_the_delivery_worker_waits_for_a_push_that_is_paging(engine: Engine) -> None:
    """Lock order: a push locks its follower's row, then writes the key-value row; the
    worker keeping unseen texts takes the follower's row first too. So it waits for the
    push to commit and then adds to the pages the push stored, instead of waiting on the
    key-value row and overwriting them with what it read before."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises them)")
    now = datetime.now(UTC)
    with transaction(engine) as session:
        lock_respondent(session=session, channel="wechat", channel_user_id="o_l", now=now)
    inside, errors = threading.Event(), list[BaseException]()

    def push() -> None:
        try:
            with transaction(engine) as session:
                lock_respondent(session=session, channel="wechat", channel_user_id="o_l", now=now)
                pending = Pending(pages=("page 2",))
                save_pending(
                    session=session,
                    channel="wechat",
                    user_id="o_l",
                    pending=pending,
                    now=now,
                    waiting=False,
                )
                session.connection().exec_driver_sql("SELECT 1")  # the queued writes run
                inside.set()
                time.sleep(0.3)  # the worker starts while this transaction is open
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
            inside.set()

    thread = threading.Thread(target=push)
    thread.start()
    assert inside.wait(5)
    with transaction(engine) as session:
        keep_unseen(session=session, channel="wechat", user_id="o_l", texts=["lost?"], now=now)
    thread.join(10)
    assert errors == []
    with transaction(engine) as session:
        kept = load_pending(session=session, channel="wechat", user_id="o_l", now=now)
        row = lock_respondent(session=session, channel="wechat", channel_user_id="o_l", now=now)
    assert kept == Pending(pages=("page 2",), unseen=("lost?",))
    assert row.pages_waiting
