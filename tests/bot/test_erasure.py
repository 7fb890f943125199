""" "Delete my data" leaves nothing that identifies the person, in any table (PIPL).

A whole journey through POST /wechat (real signed, encrypted XML; the real app, staff
commands included), then 删除我的数据 and its confirmation; then every text column of
every table is searched for the person's openid, name, company, phone (in any format)
and e-mail. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData, String, Text, select
from sqlalchemy.engine import Engine

from storage.models import Outbox, ProcessedMessage, Respondent
from tests.bot.staff.conftest import SUPPLIER
from tests.bot.wechat_harness import Harness, open_harness

OPENID = "oPrivacyTest_zhang_sanfeng01"  # 28 characters, as WeChat's
STAFF = "oStaffMember_li_si_00000001"
NAME, COMPANY, EMAIL = "张三丰", "武当汽车零部件有限公司", "Zhang.Sanfeng@example.com"
PHONE_TYPED = "+86 139 1234 5678"
PHONE_DIGITS = "13912345678"
CONTACT_FORM = [*SUPPLIER[:-2], "1", "是", NAME, COMPANY, PHONE_TYPED, EMAIL, "工作日下午", "2"]
CONFIRM_MSG_ID = 990_000_001
_SEPARATORS = re.compile(r"[\s\-()+.]")
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedMessage.__table__  # type: ignore[attr-defined]
_RESPONDENT = Respondent.__table__  # type: ignore[attr-defined]


@pytest.fixture
async def harness(db_url: str) -> AsyncIterator[Harness]:
    staff = {"staff_raw": f"wechat:{STAFF}", "secret_key": "erasure-test-secret"}
    async with open_harness(db_url, **staff) as opened:
        yield opened


def traces(engine: Engine) -> list[str]:
    """Every place (table.column = value) any text column still holds the person."""
    metadata = MetaData()
    metadata.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None and _identifies(str(value)):
                        found.append(f"{table.name}.{column.name} = {str(value)[:120]!r}")
    return found


def _identifies(value: str) -> bool:
    lowered = value.lower()
    if any(needle.lower() in lowered for needle in (OPENID, NAME, COMPANY, EMAIL)):
        return True
    # Phones in any format: +86 139 1234 5678, 139-1234-5678, 8613912345678 …
    return PHONE_DIGITS in _SEPARATORS.sub("", value)


async def test_delete_my_data_leaves_no_trace_of_the_person(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    # Given a respondent who left their contact details …
    await sim.send_event(OPENID, "subscribe", event_key="qrscene_expo2026")
    for text in CONTACT_FORM:
        assert (await sim.send_text(OPENID, text)).status == 200
    await harness.deliver()  # the earlier reply tails go out (sent rows keep their payload)
    await sim.send_text(OPENID, "/stats")  # a respondent trying a staff command: audited
    # … whose request staff listed, claimed and closed with a note naming them …
    assert NAME in (await sim.send_text(STAFF, "/contacts")).text
    assert PHONE_DIGITS in (await sim.send_text(STAFF, "/claim C-000001")).text
    await sim.send_text(STAFF, f"/done C-000001 called {NAME} back on {PHONE_TYPED}")
    # … and who then looked at their answers (the tail waits in the outbox).
    mine = await sim.send_text(OPENID, "我的答案")
    assert NAME in mine.text + "".join(await _pending_tails(harness))
    engine = harness.runtime.engine
    before = traces(engine)
    for place in ("respondent.", "outbox.", "processed_message.", "contact_request."):
        assert any(t.startswith(place) for t in before), place  # the search finds them

    # When they delete their data and confirm
    asked = await sim.send_text(OPENID, "删除我的数据")
    assert "确定要删除" in asked.text
    done = await sim.send_text(OPENID, "是", msg_id=CONFIRM_MSG_ID)
    assert "已全部删除" in done.text

    # Then no text column of any table names them any more
    assert traces(engine) == []
    # and a late retry of the confirmation changes nothing and says the same
    again = await sim.send_text(OPENID, "是", msg_id=CONFIRM_MSG_ID)
    assert again.text == done.text
    assert traces(engine) == []
    # and their next message starts afresh, as a new respondent
    hello = await sim.send_text(OPENID, "你好")
    assert "欢迎" in hello.text + "".join(await harness.deliver())


async def _pending_tails(harness: Harness) -> list[str]:
    with harness.runtime.engine.connect() as conn:
        rows = conn.execute(select(_OUTBOX.c.payload_json).where(_OUTBOX.c.recipient == OPENID))
        return [payload for (payload,) in rows]


async def test_staff_replies_showing_a_person_are_not_kept(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_event(OPENID, "subscribe")
    for text in CONTACT_FORM:
        await sim.send_text(OPENID, text)
    listing = await sim.send_text(STAFF, "/contacts", msg_id=990_000_002)
    assert NAME in listing.text

    retried = await sim.send_text(STAFF, "/contacts", msg_id=990_000_002)  # WeChat's retry

    assert NAME not in retried.text and "not kept" in retried.text
    # The respondent's own stored replies may echo what they typed ("✓ 已记录：张三丰"):
    # they go with "delete my data". No reply stored for the staff member shows them.
    staff_rows = (
        select(_PROCESSED.c.reply_json)
        .join(_RESPONDENT, _RESPONDENT.c.id == _PROCESSED.c.respondent_id)
        .where(_RESPONDENT.c.channel_user_id == STAFF)
    )
    with harness.runtime.engine.connect() as conn:
        kept = [reply for (reply,) in conn.execute(staff_rows) if reply]
    assert kept and not any(_identifies(reply) for reply in kept)


@pytest.fixture
async def paged(db_url: str) -> AsyncIterator[Harness]:
    """No customer-service API: long replies wait as pages (更多) in the key-value table."""
    settings = {
        "staff_raw": f"wechat:{STAFF}",
        "secret_key": "erasure-test-secret",
        "wechat_customer_service": "off",
    }
    async with open_harness(db_url, **settings) as opened:
        yield opened


async def test_erasure_also_clears_pages_and_what_others_were_sent_about_them(
    paged: Harness,
) -> None:
    sim = paged.simulator(safe=True)
    await sim.send_event(OPENID, "subscribe")
    for text in CONTACT_FORM:
        await sim.send_text(OPENID, text)
    # Their own long reply waits as pages; the staff alert about them waits in the outbox.
    mine = await sim.send_text(OPENID, "我的答案")
    assert "更多" in mine.text
    assert paged.pages_waiting(OPENID)
    before = traces(paged.runtime.engine)
    assert any(t.startswith("key_value.") for t in before), before
    assert any(t.startswith("outbox.") for t in before), before

    await sim.send_text(OPENID, "删除我的数据")
    done = await sim.send_text(OPENID, "是")

    assert "已全部删除" in done.text
    assert traces(paged.runtime.engine) == []
    with paged.runtime.engine.connect() as conn:  # their row stays, nothing waits for it
        erased = _RESPONDENT.c.channel_user_id.startswith("erased:")
        flags = conn.execute(select(_RESPONDENT.c.pages_waiting).where(erased)).scalars().all()
    assert flags == [False]
