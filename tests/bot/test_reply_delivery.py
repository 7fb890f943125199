"""A WeChat reply is delivered from the answer's transaction: over the time budget, the
whole reply is in the outbox (customer-service API) or waits for the next message; a
customer-service refusal at send time turns into paging, nothing is lost."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.passive_slot import PassiveSlot
from bot.dispatch.reply_delivery import api_usable
from flows.events import Inbound, Intent
from storage.transactions import transaction
from tests.bot.wechat_harness import Harness, open_harness

SEND = "/cgi-bin/message/custom/send"


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
