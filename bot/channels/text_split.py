"""Split a reply into parts that fit a channel's message limit.

`split_utf8` for WeChat (bytes), `split_utf16` for Telegram (UTF-16 code units). Neither
cuts inside an emoji sequence or a character with its combining marks.

WeChat docs, "被动回复用户消息" (passive reply), and PLATFORM_NOTES: a text reply holds at
most 2048 **bytes** of UTF-8 (≈680 Chinese characters; an emoji is 4 bytes), not 2048
characters. Every part after the first costs a customer-service message, of which a user
unlocks only a few per 48 h: so parts are filled as far as possible, and a paragraph or
line break is preferred only when it does not leave a part less than half full.
"""

from __future__ import annotations

import unicodedata

WECHAT_TEXT_LIMIT_BYTES = 2048
# Bot API, sendMessage: text is 1-4096 characters, counted in UTF-16 code units (as
# Telegram counts entity offsets), so an emoji costs 2 and we never run over.
TELEGRAM_TEXT_LIMIT_UNITS = 4096

# Preferred cut points, best first. The separator itself is dropped at a cut.
_SEPARATORS = ("\n\n", "\n", " ")

_ZWJ = "\u200d"
_KEYCAP = "\u20e3"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _extends_previous(ch: str) -> bool:
    """True if `ch` belongs to the character before it (no cut may go before it)."""
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch in (_ZWJ, _KEYCAP)
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors (emoji vs text presentation)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
    )


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _safe_cut(text: str, pos: int) -> int:
    """Move a cut at `pos` back so no emoji sequence or combining mark is split.

    A character-level cut is always valid UTF-8; this additionally keeps 👍🏽, 👨‍👩‍👧,
    flags and e + ◌́ whole. Returns 0 if the whole prefix is one unbreakable cluster.
    """
    while 0 < pos < len(text) and (_extends_previous(text[pos]) or text[pos - 1] == _ZWJ):
        pos -= 1
    if 0 < pos < len(text) and _is_regional_indicator(text[pos]):
        # Flags are pairs of regional indicators: cut only after an even run.
        run = 0
        while pos - run - 1 >= 0 and _is_regional_indicator(text[pos - run - 1]):
            run += 1
        if run % 2:
            pos -= 1
    return pos


def _max_prefix(text: str, limit_bytes: int) -> int:
    """Largest number of characters of `text` whose UTF-8 fits in `limit_bytes`."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit_bytes:
        return len(text)
    cut = limit_bytes
    # Back to the start of the character that straddles the limit (continuation bytes
    # are 0b10xxxxxx); encoding and decoding once is linear, unlike a per-character sum.
    while cut > 0 and encoded[cut] & 0xC0 == 0x80:
        cut -= 1
    return len(encoded[:cut].decode("utf-8"))


def split_utf8(text: str, limit_bytes: int = WECHAT_TEXT_LIMIT_BYTES) -> list[str]:
    """Parts of `text`, each at most `limit_bytes` of UTF-8, cut between characters.

    Empty or blank text gives []. Parts are stripped of the separator at the cut, so
    joining them does not restore `text` byte for byte.
    """
    if limit_bytes < 4:
        raise ValueError("limit_bytes must hold at least one character (4 bytes)")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if _utf8_len(rest) <= limit_bytes:
            parts.append(rest)
            break
        window = _max_prefix(rest, limit_bytes)
        cut, skip = _choose_cut(rest, window, limit_bytes)
        part, rest = rest[:cut].rstrip(), rest[cut + skip :].lstrip()
        if part:
            parts.append(part)
    return parts


def _choose_cut(text: str, window: int, limit_bytes: int) -> tuple[int, int]:
    """(cut position, separator length) for the first part of `text`."""
    head = text[:window]
    for sep in _SEPARATORS:
        idx = head.rfind(sep)
        if idx > 0 and _utf8_len(head[:idx]) >= limit_bytes // 2:
            return idx, len(sep)
    cut = _safe_cut(text, window)
    if cut == 0:
        # One cluster longer than a whole part (hostile input): a plain character cut.
        cut = window
    return cut, 0


def utf16_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (2 for a character above U+FFFF)."""
    return len(text.encode("utf-16-le")) // 2


def split_utf16(text: str, limit_units: int = TELEGRAM_TEXT_LIMIT_UNITS) -> list[str]:
    """Parts of at most `limit_units` UTF-16 units, cut at line breaks where possible.

    Telegram has no per-part quota, so lines are simply packed; a line longer than a
    whole part is cut between clusters. Blank text gives []."""
    if limit_units < 2:
        raise ValueError("limit_units must hold at least one character (2 units)")
    parts: list[str] = []
    current = ""
    for line in text.strip().split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_units(candidate) <= limit_units:
            current = candidate
            continue
        if current:
            parts.append(current)
        while utf16_units(line) > limit_units:  # one line longer than a message
            window = _max_utf16_prefix(line, limit_units)
            cut = _safe_cut(line, window) or window
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


def _max_utf16_prefix(text: str, limit_units: int) -> int:
    """Largest number of characters of `text` that fit in `limit_units` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit_units:
            return i
    return len(text)
