"""Golden transcript: a colleague of the same company answered, in Chinese, through POST /wechat.

A survey counted per organisation whose colleagues may see the answers counted
(tests/flows/fixtures/colleague_org.yaml). One person of 上海某某 completes it; a second,
at the organisation step, is told (tap links: 查看同事答案 / 由我接替 / 保持原样), views
the answers counted (numbers and labels only: not the colleague's free text, which names a
person), takes over, and WeChat's retry of that push gets the same reply while the
take-over stays set once. Signed, encrypted pushes (safe mode); no customer-service API,
so every reply is one passive message of at most 2048 bytes.
Run with SURVEYBOT_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate change.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import Session, select

from bot.dispatch.tap_links import plain
from storage.models import Respondent
from storage.organisation_models import OrganisationLink
from tests.bot.wechat_harness import open_harness

FLOW = Path(__file__).parents[1] / "flows" / "fixtures" / "colleague_org.yaml"
GOLDEN = Path(__file__).parent / "golden" / "colleague_zh.txt"
COMPANY = "上海某某汽车零部件有限公司"
TO_STEP = ("你好", "中文", "2", "是", "我们有科学碳目标，联系人张三 13800000000", "是", COMPANY)
KEPT = ("苏州市", "查看同事答案", "由我接替")  # the exchange this file keeps
PASSIVE_BYTES = 2048
TAKE_OVER_MSG_ID = 900001


async def test_a_colleague_is_told_views_and_takes_over(db_url: str) -> None:
    async with open_harness(db_url, wechat_app_secret=None, flow_path=FLOW) as h:
        sim = h.simulator(safe=True)
        for text in (*TO_STEP, "苏州", "5"):
            await sim.send_text("o_first", text)
        for text in TO_STEP:
            await sim.send_text("o_second", text)
        lines: list[str] = []
        replies = []
        for text in KEPT:
            msg_id = TAKE_OVER_MSG_ID if text == "由我接替" else None
            reply = await sim.send_text("o_second", text, msg_id=msg_id)
            replies.append(reply)
            lines += [f">>> {text}", plain(reply.text or "", "[{}]")]
        retried = await sim.send_text("o_second", "由我接替", msg_id=TAKE_OVER_MSG_ID)
        with Session(h.runtime.engine) as session:
            links = session.exec(
                select(Respondent.channel_user_id, OrganisationLink.took_over_at).join(
                    OrganisationLink,
                    OrganisationLink.respondent_id == Respondent.id,  # type: ignore[arg-type]
                )
            ).all()

    shown = "\n".join(lines)
    if os.environ.get("SURVEYBOT_UPDATE_GOLDEN"):
        GOLDEN.write_text(shown + "\n", encoding="utf-8")
    assert shown == GOLDEN.read_text(encoding="utf-8").rstrip("\n")
    for reply in replies:
        assert reply.text is not None and len(reply.text.encode()) <= PASSIVE_BYTES
    notice = replies[0].text or ""
    assert "msgmenucontent=由我接替" in notice and "msgmenucontent=查看同事答案" in notice
    assert retried.text == replies[-1].text  # the stored reply, not a second take-over
    took = dict(links)
    assert took["o_first"] is None and took["o_second"] is not None
    assert "张三" not in plain(replies[1].text or "")
