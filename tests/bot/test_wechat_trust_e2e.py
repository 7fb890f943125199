"""Issue 14 §1 through the real app (real dispatcher and database): a signed push URL
seen once cannot carry another body."""

from __future__ import annotations

import time

from tests.bot.wechat_harness import open_harness

STAFF = "o_staff_e2e"


async def test_a_staff_export_forged_under_a_seen_url_gets_nothing(db_url: str) -> None:
    async with open_harness(db_url, staff_raw=f"wechat:{STAFF}", secret_key="k") as harness:
        attacker = harness.simulator(safe=False)
        attacker.crypto = None  # a bare plaintext body, as the attack sent it
        forged = await attacker.send_text(STAFF, "/export")
        assert forged.status == 403 and "/export/" not in forged.body
        # The genuine channel (compatible mode, signed ciphertext) still works.
        genuine = await harness.simulator(safe=False).send_text(STAFF, "/export")
        assert genuine.status == 200 and genuine.text is not None
        replies = genuine.text + "".join(await harness.deliver())
        assert "/export/csv?survey=aiag_carbon&token=" in replies


async def test_plain_mode_retry_is_deduplicated_and_a_new_body_refused(db_url: str) -> None:
    async with open_harness(db_url, wechat_encoding_aes_key=None) as harness:
        sim = harness.simulator(safe=False)
        assert sim.crypto is None
        xml = sim.push_xml("o_plain", "text", Content="hi", MsgId=1001)
        # One (timestamp, nonce) pair for all three: on a loaded machine the sends may
        # straddle a second, and a new timestamp makes a new pair (not a replay).
        now = int(time.time())
        first = await sim.send_xml(xml, timestamp=now, nonce="555")
        retry = await sim.send_xml(xml, timestamp=now, nonce="555")
        assert first.status == retry.status == 200
        assert first.text and retry.text == first.text  # the stored reply, not a second run
        other = sim.push_xml("o_plain", "text", Content="2", MsgId=1002)
        assert (await sim.send_xml(other, timestamp=now, nonce="555")).status == 403
