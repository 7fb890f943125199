"""Inbound dedupe is keyed by the sender: through POST /wechat, real signed XML.

WeChat's MsgId identifies a message of one user, and Telegram reuses update ids: a
stored reply must only ever answer a retry from the person it was written for.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.channels.wechat.menu import MenuKey
from storage.models import ProcessedMessage
from tests.bot.wechat_harness import Harness


async def test_the_same_msg_id_from_another_user_gets_its_own_answer(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_text("o_first", "hi", msg_id=4242)
    first = await sim.send_text("o_first", "3", msg_id=4243)
    assert "Are you an OEM or a Supplier?" in first.text  # the first question, bilingual

    # Another user's message arrives under the same MsgId
    other = await sim.send_text("o_second", "hi", msg_id=4243)

    assert other.text != first.text
    assert "请选择语言" in other.text + "".join(await harness.deliver())
    assert harness.answers("o_second") == {}


async def test_two_menu_clicks_in_the_same_second_are_two_events(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_text("o_clicker", "hi")
    await sim.send_text("o_clicker", "3")
    await sim.send_text("o_clicker", "2")  # role: supplier
    start = await sim.send_event("o_clicker", "CLICK", MenuKey.START_SURVEY, create_time=1_800_000)
    mine = await sim.send_event("o_clicker", "CLICK", MenuKey.MY_ANSWERS, create_time=1_800_000)
    assert mine.text != start.text
    assert "供应商 Supplier" in mine.text + "".join(await harness.deliver())


async def test_dedupe_rows_hold_no_user_id_in_clear(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_text("o_private_person", "hi", msg_id=77)
    await sim.send_event("o_private_person", "CLICK", MenuKey.MY_ANSWERS, create_time=1_900_000)
    with Session(harness.runtime.engine) as session:
        rows = session.exec(select(ProcessedMessage).where(ProcessedMessage.channel == "wechat"))
        keys = [row.dedupe_key for row in rows.all()]
    assert len(keys) == 2
    assert not any("o_private_person" in key or key == "77" for key in keys)
