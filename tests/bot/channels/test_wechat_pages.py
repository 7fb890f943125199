"""The pure WeChat delivery plan: what goes passive, to the outbox, into pages."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.wechat.pages import is_more, paginate, plan_reply
from bot.dispatch.envelope import Message
from bot.dispatch.tap_links import LINK, plain, tap_link

FOOTER = re.compile(r"\((\d+)/(\d+)\)$")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _long(paragraphs: int = 8) -> list[Message]:
    return [Message(f"第{i}段：" + "碳排放数据" * 60) for i in range(paragraphs)]  # ~920 B each


def _body(page: str) -> str:
    """A page without its footer line."""
    return page.rsplit("\n\n", 1)[0] if FOOTER.search(page) else page


def test_a_short_reply_is_one_passive_message_either_way() -> None:
    for api in (True, False):
        plan = plan_reply([Message("你好")], passive_open=True, customer_service=api)
        assert (plan.passive, plan.texts, plan.pages) == ("你好", (), ())


def test_with_the_api_the_rest_goes_to_the_outbox_in_order() -> None:
    messages = _long()
    plan = plan_reply(messages, passive_open=True, customer_service=True)
    parts = [plan.passive or "", *plan.texts]
    assert len(parts) >= 4 and all(_size(p) <= 2048 for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(m.text for m in messages)  # nothing lost
    assert plan.pages == ()


def test_without_the_api_the_reply_is_paged_with_a_more_link() -> None:
    messages = _long()
    plan = plan_reply(messages, passive_open=True, customer_service=False)
    pages = [plan.passive or "", *plan.pages]
    total = len(pages)
    assert total >= 4 and plan.texts == ()
    for number, page in enumerate(pages, 1):
        assert _size(page) <= 2048
        assert FOOTER.search(page).groups() == (str(number), str(total))  # type: ignore[union-attr]
        if number < total:
            assert "回复“" in page and "msgmenucontent=更多" in page and "更多 / more" in page
    assert "\n\n".join(_body(p) for p in pages) == "\n\n".join(m.text for m in messages)


def test_over_budget_everything_goes_to_the_outbox_or_waits_unseen() -> None:
    messages = [Message("答案已记录"), Message("下一题")]
    queued = plan_reply(messages, passive_open=False, customer_service=True)
    assert (queued.passive, queued.texts) == (None, ("答案已记录\n\n下一题",))
    kept = plan_reply(messages, passive_open=False, customer_service=False)
    assert (kept.passive, kept.unseen) == (None, ("答案已记录\n\n下一题",))


def test_unseen_text_leads_the_next_reply() -> None:
    plan = plan_reply(
        [Message("问题2")], passive_open=True, customer_service=False, unseen=["问题1"]
    )
    assert plan.passive == "问题1\n\n问题2" and plan.unseen == ()


def test_images_go_to_the_outbox_only_with_the_api() -> None:
    messages = [Message("图表如下"), Message("", image_png=b"\x89PNG")]
    assert plan_reply(messages, passive_open=True, customer_service=True).images == (b"\x89PNG",)


def test_a_page_never_cuts_a_tap_link() -> None:
    line = "".join(tap_link(str(i), f"选项{i}", i) for i in range(12))
    text = "\n".join([line] * 40)
    for page in paginate(text):
        assert _size(page) <= 2048
        body = _body(page)
        assert body.count("<a ") == body.count("</a>") == len(LINK.findall(body))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=900), min_size=1, max_size=8))
def test_pages_hold_everything_within_the_limit(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    pages = paginate(text)
    assert all(_size(p) <= 2048 for p in pages)
    kept = "".join("".join(_body(p).split()) for p in pages)
    assert kept == "".join(plain(text).split()) or kept == "".join(text.split())


def test_more_is_recognised_as_typed_or_tapped() -> None:
    for word in ("更多", "more", "More.", " 更多 ", "下一页", "更多！"):
        assert is_more(word)
    for word in ("更多信息", "1", "", None):
        assert not is_more(word)
