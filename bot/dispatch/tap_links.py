"""Tap-to-answer links inside a WeChat text message (PLATFORM_NOTES, "Clickable replies").

`<a href="weixin://bizmsgmenu?msgmenucontent=TEXT&msgmenuid=ID">LABEL</a>` shows LABEL as
a link; a tap sends TEXT as the user's own message. It works in passive replies and in
customer-service texts and costs none of the customer-service budget, but the markup
counts towards the 2048 bytes of a passive reply.
"""

from __future__ import annotations

import re
from itertools import count

_SCHEME = "weixin://bizmsgmenu?"
LINK = re.compile(r'<a href="weixin://bizmsgmenu\?[^"]*">(.*?)</a>')
# Unreserved in a URL query (RFC 3986), plus "," (option lists such as "1,3").
_KEEP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~,")


def _encode(text: str) -> str:
    """Percent-encode ASCII that would end the attribute or the parameter (space, &, =,
    quotes, %); other characters stay as they are, so Chinese costs 3 bytes, not 9."""
    return "".join(
        ch if ch in _KEEP or ord(ch) > 0x7F else "".join(f"%{b:02X}" for b in ch.encode())
        for ch in text
    )


def tap_link(content: str, label: str, menu_id: int | str) -> str:
    """A link that sends `content` when tapped; `label` is what the user sees."""
    label = label.replace("<", "‹").replace(">", "›")  # no markup inside the label
    query = f"msgmenucontent={_encode(content)}&msgmenuid={_encode(str(menu_id))}"
    return f'<a href="{_SCHEME}{query}">{label}</a>'


class LinkMaker:
    """Numbers the links of one message (WeChat echoes the id as `bizmsgmenuid`)."""

    def __init__(self) -> None:
        self._ids = count(1)

    def __call__(self, content: str, label: str) -> str:
        return tap_link(content, label, next(self._ids))


def plain(text: str, mark: str = "{}") -> str:
    """`text` with every link replaced by its label (what a client without links shows);
    `mark` formats the label, e.g. "[{}]" to see where the links were."""
    return LINK.sub(lambda m: mark.format(m[1]), text)
