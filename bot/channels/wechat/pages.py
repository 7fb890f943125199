"""How one WeChat reply is delivered: the pure delivery plan (no I/O).

A push can be answered once, passively, with at most 2048 bytes (PLATFORM_NOTES). What
does not fit goes out through the customer-service API when it can be used, or else
waits as pages the follower asks for with "更多 / more" (an unverified subscription
account has no customer-service API at all). A reply that could not be shown at all
(the dispatcher was over WeChat's time budget and no API) is kept as *unseen* and put
in front of the next reply. The dispatcher applies the plan inside the answer's
transaction (`bot.dispatch.reply_delivery`), so nothing of it is lost on a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.text_split import WECHAT_TEXT_LIMIT_BYTES, split_utf8
from bot.dispatch.delivery_plan import DeliveryPlan
from bot.dispatch.envelope import Message
from bot.dispatch.tap_links import LINK, plain, tap_link

MORE_WORDS = frozenset({"更多", "more", "下一页", "next page", "/more"})
# Taps and typing both: "更多" and "more", as the footer offers them.
MORE_CONTENT = "更多"
_END_PUNCTUATION = ".。!！ "


def is_more(text: str | None) -> bool:
    return (text or "").strip().casefold().rstrip(_END_PUNCTUATION) in MORE_WORDS


def footer(page: int, total: int) -> str:
    """The last line of page `page` of `total`; the last page only says where it is."""
    if page >= total:
        return f"({page}/{total})"
    more = tap_link(MORE_CONTENT, "更多 / more", "more")
    return f"回复“{more}”查看下一页 ({page}/{total})"


# Room a footer needs: the link markup plus "(99/99)".
_FOOTER_BYTES = len(footer(98, 99).encode("utf-8")) + 2


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def pack_lines(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` bytes, cut between lines, so no tap link is ever cut.

    Paragraphs stay whole when they fit; a line longer than a part (a long free-text
    answer) loses its links and is cut between characters."""
    parts: list[str] = []
    current = ""
    for line in text.strip().split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _size(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip("\n"))
        if _size(line) > limit:
            *whole, line = split_utf8(plain(line), limit) or [""]
            parts.extend(whole)
        current = line
    if current.strip():
        parts.append(current.strip("\n"))
    return parts


def paginate(text: str, limit: int = WECHAT_TEXT_LIMIT_BYTES) -> list[str]:
    """The pages of `text`, each ≤ `limit` bytes with its footer; one page has none."""
    if _size(text) <= limit:
        return [text] if text.strip() else []
    bodies = pack_lines(text, limit - _FOOTER_BYTES)
    total = len(bodies)
    return [f"{body}\n\n{footer(i, total)}" for i, body in enumerate(bodies, 1)]


def plan_reply(
    messages: Sequence[Message],
    *,
    passive_open: bool,
    customer_service: bool,
    unseen: Sequence[str] = (),
) -> DeliveryPlan:
    """Where each part of one reply goes.

    `passive_open`: the HTTP response can still carry a reply (False once the route
    answered "success" because the dispatcher ran over WeChat's budget).
    `customer_service`: the customer-service API may be used for this follower now.
    `unseen`: earlier replies they never got, shown first.
    """
    text = "\n\n".join([*unseen, *(m.text for m in messages if m.text)])
    images = tuple(m.image_png for m in messages if m.image_png)
    if customer_service:
        parts = pack_lines(text, WECHAT_TEXT_LIMIT_BYTES) if text.strip() else []
        if passive_open and parts:
            return DeliveryPlan(passive=parts[0], texts=tuple(parts[1:]), images=images)
        return DeliveryPlan(passive=None, texts=tuple(parts), images=images)
    if not passive_open:
        # Nothing can reach them now: all of it waits for their next message.
        return DeliveryPlan(passive=None, unseen=(text,) if text.strip() else ())
    pages = paginate(text)
    if not pages:
        return DeliveryPlan(passive=None)
    return DeliveryPlan(passive=pages[0], pages=tuple(pages[1:]))


def fits(text: str) -> bool:
    return _size(text) <= WECHAT_TEXT_LIMIT_BYTES


class WeChatPlanner:
    """`bot.dispatch.delivery_plan.ReplyPlanner` for WeChat.

    `customer_service`: an app secret is configured and WECHAT_CUSTOMER_SERVICE is not
    "off". The dispatcher narrows it per reply (the API refused this account: 48001).
    """

    channel = "wechat"

    def __init__(self, *, customer_service: bool) -> None:
        self.customer_service = customer_service

    def is_more(self, text: str | None) -> bool:
        return is_more(text)

    def plan(
        self,
        messages: Sequence[Message],
        *,
        passive_open: bool,
        customer_service: bool,
        unseen: Sequence[str],
    ) -> DeliveryPlan:
        return plan_reply(
            messages, passive_open=passive_open, customer_service=customer_service, unseen=unseen
        )


__all__ = ["LINK", "WeChatPlanner", "fits", "is_more", "pack_lines", "paginate", "plan_reply"]
