"""Golden transcripts through POST /wechat in safe mode, with and without WeChat's
customer-service API: every passive reply ≤ 2048 bytes, nothing lost, pages in order.

Without the API (no app secret, WECHAT_CUSTOMER_SERVICE=off, an unverified subscription
account) a long reply is paged: "回复“更多 / more”查看下一页 (1/3)". With it the rest
arrives as customer-service texts (the outbox, written in the answer's transaction).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest

from bot.channels.wechat.menu import MenuKey
from bot.devtools.wechat_sim import SimReply, WeChatSimulator
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from tests.bot.wechat_harness import Harness, open_harness

PAGE = re.compile(r"\((\d+)/(\d+)\)$")
TAP = re.compile(r'<a href="weixin://bizmsgmenu\?msgmenucontent=([^&"]*)&[^"]*">(.*?)</a>')
# The last "2" (否) declines the optional organisation step after question 14.
SUPPLIER = ["3", "2", "1,4", "6", "是", "no", "1、3", "3", "y", "2", "1", "GRI Standards",
            "是", "否", "1 3", "3", "2"]  # fmt: skip
MODES = {
    "customer-service": {},
    "no-app-secret": {"wechat_app_secret": None},
    "setting-off": {"wechat_customer_service": "off"},
}


class Follower:
    """One follower's phone: passive replies, customer-service texts, 更多 on request."""

    def __init__(self, harness: Harness, openid: str, *, api: bool) -> None:
        self.harness = harness
        self.sim: WeChatSimulator = harness.simulator(safe=True)
        self.openid = openid
        self.api = api
        self.seen_api = 0
        self.transcript: list[tuple[str, str]] = []

    async def send(self, text: str) -> str:
        return await self._read(await self.sim.send_text(self.openid, text), text)

    async def event(self, event: str, key: str | None = None) -> str:
        return await self._read(await self.sim.send_event(self.openid, event, key), event)

    async def _read(self, reply: SimReply, sent: str) -> str:
        """The whole reply as the follower ends up reading it."""
        assert reply.status == 200
        self.transcript.append((sent, reply.text or ""))
        assert len((reply.text or "").encode("utf-8")) <= 2048
        parts = [reply.shown]
        if self.api:
            sent_texts = await self.harness.deliver()
            parts += sent_texts[self.seen_api :]
            self.seen_api = len(sent_texts)
            return "\n\n".join(parts)
        page = PAGE.search(reply.shown)
        while page and page[1] != page[2]:
            following = await self.sim.send_text(self.openid, "更多")
            assert len((following.text or "").encode("utf-8")) <= 2048
            self.transcript.append(("更多", following.text or ""))
            number = PAGE.search(following.shown)
            assert number is not None and int(number[1]) == int(page[1]) + 1  # in order
            assert number[2] == page[2]
            parts.append(following.shown)
            page = number
        return "\n\n".join(re.sub(r"\n\n[^\n]*\(\d+/\d+\)$", "", p) for p in parts)


@pytest.fixture(params=list(MODES))
async def follower(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Follower]:
    async with open_harness(db_url, **MODES[request.param]) as harness:
        yield Follower(harness, f"o_{request.param}", api=request.param == "customer-service")


def _squash(text: str) -> str:
    return "".join(text.split())


async def test_first_contact_is_one_message_and_the_intro_is_there_on_request(
    follower: Follower,
) -> None:
    flow = load_flow(DEFAULT_FLOW)
    first = await follower.event("subscribe", "qrscene_expo2026")
    passive = follower.transcript[-1][1]
    assert len(passive.encode("utf-8")) < 1200  # well under one message
    assert flow.title.zh in first and flow.title.en in first
    assert "共14题，约5分钟" in first and "14 questions, about 5 minutes" in first
    assert "请选择语言" in first and "Please choose a language" in first
    assert "msgmenucontent=中文" in passive and "msgmenucontent=简介" in passive
    assert not follower.api or follower.seen_api == 0  # nothing for the API

    intro = await follower.send("简介")
    assert _squash(flow.preface.zh) in _squash(intro)
    assert _squash(flow.preface.en) in _squash(intro)
    assert "Please choose a language" in intro  # asked again, last

    if not follower.api:
        nothing = await follower.send("更多")
        assert "没有更多内容了" in nothing and "Please choose a language" in nothing

    question = await follower.send("双语")
    assert "Are you an OEM or a Supplier?" in question


async def test_completion_my_answers_and_results_lose_nothing(follower: Follower) -> None:
    await follower.event("subscribe")
    replies = [await follower.send(text) for text in SUPPLIER]
    done = replies[-1]
    # The completion message: closing words, the answers with their figures, and one
    # next step, the in-chat follow-up (not the old web link).
    assert "感谢您参与" in done and "Thank you for taking part" in done
    assert "您的答案 Your answers:" in done and "10a. GRI Standards" in done
    assert "后续调查" in done and 'Reply "next"' in done and "wenjuan" not in done

    mine = await follower.send("我的答案")  # bilingual: cut at question 9 before
    assert "GRI Standards" in mine
    assert mine.count("→") == len(SUPPLIER) - 1  # every answer (not the language)
    assert "Request when need" in mine  # the last one
    assert "修改 N / change N" in mine

    results = await follower.event("CLICK", MenuKey.LATEST_RESULTS)
    assert results.strip()
    assert not results.endswith("(1/")  # nothing cut off mid-way

    for sent, passive in follower.transcript:
        assert len(passive.encode("utf-8")) <= 2048, sent
    if not follower.api:  # the long ones were paged, not cut
        assert "更多" in [sent for sent, _ in follower.transcript]


async def test_a_follower_who_only_taps_completes_the_supplier_path(db_url: str) -> None:
    """Every message sent is a link's content from the reply before: no typing at all,
    and no tap is answered with an error."""
    async with open_harness(db_url, wechat_app_secret=None) as harness:
        follower = Follower(harness, "o_tapper", api=False)
        await follower.event("subscribe")
        taps = 0
        while "感谢您参与" not in follower.transcript[-1][1] and taps < 60:
            await follower.send(_choose(follower.transcript[-1][1]))
            taps += 1
        assert "感谢您参与" in follower.transcript[-1][1]
        refusals = [
            r for _, r in follower.transcript if "没有这个编号" in r or "There is no such" in r
        ]
        assert refusals == []
        stored = harness.answers("o_tapper")
        assert stored["role"] == (["supplier"], [])


def _choose(passive: str) -> str:
    """The tap a supplier makes in `passive`: bilingual, Supplier, a selection built by
    taps then 完成, 跳过 where offered, otherwise the first option."""
    links = {unquote(label): unquote(content) for content, label in TAP.findall(passive)}
    if "双语" in links.values():
        return "双语"
    done = [c for label, c in links.items() if "完成" in label]
    if done:
        return done[0]
    for label, content in links.items():
        if "Supplier" in label or "Request when need" in label:
            return content
    drafts = [c for c in links.values() if c.startswith("☑")]
    if drafts:
        return drafts[0]
    if "跳过" in links.values():
        return "跳过"
    return next(c for c in links.values() if c.isdigit())
