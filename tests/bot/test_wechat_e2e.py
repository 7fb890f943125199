"""Whole surveys through POST /wechat: real signed (and encrypted) XML, real dispatcher."""

from __future__ import annotations

import asyncio
import random

import pytest

from flows.events import Intent
from storage.consistency import verify
from storage.transactions import transaction
from tests.bot.wechat_harness import Harness
from tests.flows.script import Script

# The last "2" (否) declines the optional organisation step after question 14.
SUPPLIER = ["3", "2", "1,4", "6", "是", "no", "1、3", "3", "y", "2", "1", "GRI Standards",
            "是", "否", "1 3", "3", "2"]  # fmt: skip
OEM = ["English", "1", "7", "no", "no", "6", "4", "no", "2", "no", "no", "2", "4", "no"]


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
async def test_a_supplier_completes_the_survey(harness: Harness, safe: bool) -> None:
    sim = harness.simulator(safe=safe)
    first = await sim.send_event("o_supplier", "subscribe", event_key="qrscene_expo2026")
    assert first.status == 200 and "欢迎" in first.shown
    assert "请选择语言" in first.shown and "Please choose a language" in first.shown
    assert await harness.deliver() == []  # first contact fits one passive reply
    replies = [await sim.send_text("o_supplier", text) for text in SUPPLIER]
    assert all(r.status == 200 for r in replies)
    assert "【1/" in replies[0].shown and "Are you an OEM or a Supplier?" in replies[0].shown
    done = replies[-1].shown + "".join(await harness.deliver())
    assert "感谢您参与" in done and "Thank you for taking part" in done
    stored = harness.answers("o_supplier")
    assert stored["role"] == (["supplier"], [])
    assert sorted(stored["commodity"][0]) == ["chassis", "interior"]
    assert stored["reporting_explain"] == ([], ["GRI Standards"])
    assert stored["contact"] == (["on_request"], [])
    with transaction(harness.runtime.engine) as session:
        assert verify(session=session, flow=harness.runtime.flow) == []


async def test_bad_answers_get_a_bilingual_reprompt_and_change_nothing(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_text("o_x", "hi")
    await sim.send_text("o_x", "3")
    reply = await sim.send_text("o_x", "42")
    assert "没有这个编号" in reply.text and "There is no such number" in reply.text
    assert harness.answers("o_x") == {}


async def test_unsubscribe_keeps_answers(harness: Harness) -> None:
    sim = harness.simulator(safe=False)
    for text in ["hi", "3", "2"]:
        await sim.send_text("o_leaver", text)
    reply = await sim.send_event("o_leaver", "unsubscribe")
    assert reply.body == "success"
    assert harness.answers("o_leaver")["role"] == (["supplier"], [])


def _expected(flow, texts: list[str]) -> dict[str, tuple[list[str], list[str]]]:  # type: ignore[no-untyped-def]
    """The oracle: the pure engine over the same messages, no database involved."""
    script = Script(flow)
    script.send(intent=Intent.START)
    for text in texts:
        script.send(text)
    return {
        qid: (sorted(a.options), [a.text] if a.text is not None else [])
        for qid, a in script.state.answers.items()
        if a.options or a.text is not None
    }


async def test_retry_storm_records_every_answer_exactly_once(harness: Harness) -> None:
    """Every push delivered 1–4 times, duplicates partly concurrent, as WeChat retries."""
    rng = random.Random(20261127)
    flow = harness.runtime.flow
    people = {f"o_storm_{i}": (SUPPLIER if i % 3 else OEM) for i in range(12)}
    msg_ids = iter(range(10_000, 99_999))

    async def push(sim, openid: str, text: str | None) -> None:  # type: ignore[no-untyped-def]
        copies = rng.randint(1, 4)
        if text is None:
            create_time = 1_700_000_000 + rng.randint(0, 10**6)
            send = lambda: sim.send_event(openid, "subscribe", create_time=create_time)  # noqa: E731
        else:
            msg_id = next(msg_ids)
            send = lambda: sim.send_text(openid, text, msg_id=msg_id)  # noqa: E731
        together = rng.randint(1, copies)
        replies = list(await asyncio.gather(*(send() for _ in range(together))))
        for _ in range(copies - together):
            replies.append(await send())
        assert {r.status for r in replies} == {200}
        assert len({r.body if r.message is None else r.text for r in replies}) == 1

    async def respondent(openid: str, texts: list[str]) -> None:
        sim = harness.simulator(safe=rng.random() < 0.5)
        await push(sim, openid, None)
        for text in texts:
            await push(sim, openid, text)

    await asyncio.gather(*(respondent(o, t) for o, t in people.items()))
    for openid, texts in people.items():
        stored = {q: (sorted(o), t) for q, (o, t) in harness.answers(openid).items()}
        assert stored == _expected(flow, texts), openid
    with transaction(harness.runtime.engine) as session:
        assert verify(session=session, flow=flow) == []
