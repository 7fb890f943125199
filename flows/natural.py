"""Answers as people actually type (or dictate) them, tried when the plain reading fails.

- Chinese numerals: "一、三", "一三", "第一个", "第三项" → "1, 3".
- Conjunctions as separators: "1和3", "1 及 3", "1与3", "1 and 3", "1 & 3".
- Voice transcripts: "一，三。" (NFKC has already made the punctuation ASCII).
- Option texts inside a sentence: "chassis and interior", "我们做内饰和车身的"; in a list
  every item must name an option (`pieces`): "内饰和座椅" is not taken as 内饰 alone.

Pure; `flows.answer_parsing` calls `rewrite` and `mentioned` only after its strict parse failed,
so nothing that was accepted before reads differently now.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# "和/及/与/跟/以及/还有", "and", "&", "+": each joins two choices.
_CONJUNCTIONS = re.compile(r"\s*(?:以及|还有|和|及|与|跟|&|\+|\band\b)\s*", re.IGNORECASE)
# 第一个 / 第三项 / 第十: an ordinal; a bare run of numerals ("一三") is one per choice.
_NUMERAL_WORD = re.compile(r"第?([一二两三四五六七八九十]+)(?:个|项|条|号|题|种)?")
_PIECES = re.compile(r"\s*[,、;]\s*")
_END = ".。!！?？~"


def _numeral(run: str) -> list[int] | None:
    """ "三" → [3]; "十二" → [12]; "一三" → [1, 3] (dictated choices, not thirteen)."""
    if "十" in run:
        head, _, tail = run.partition("十")
        if len(head) > 1 or len(tail) > 1 or "十" in tail:
            return None
        tens = _DIGITS.get(head, 1) if head else 1
        return [tens * 10 + (_DIGITS[tail] if tail else 0)]
    return [_DIGITS[ch] for ch in run]


def rewrite(line: str) -> str | None:
    """The message with numerals as digits and conjunctions as commas, or None if unchanged."""
    text = line.strip().rstrip(_END).strip()
    text = _CONJUNCTIONS.sub(",", text)
    pieces = [p for p in _PIECES.split(text) if p]
    out: list[str] = []
    for piece in pieces:
        words = [_NUMERAL_WORD.fullmatch(w) for w in piece.split()]
        if not all(words):
            out.append(piece)  # option text, spaces and all ("Climate System")
            continue
        for word in words:
            assert word is not None
            numbers = _numeral(word[1])
            if numbers is None:
                return None
            out.extend(str(n) for n in numbers)
    result = ",".join(out)
    return result if result and result != line else None


def pieces(line: str) -> list[str]:
    """The items of a list as people write one: split at commas, 、, ; and conjunctions
    ("内饰和座椅" → ["内饰", "座椅"]; "carbon training, audit" → two)."""
    text = _CONJUNCTIONS.sub(",", line.strip().rstrip(_END).strip())
    return [p for p in _PIECES.split(text) if p.strip()]


def mentioned(text: str, labels: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """Option ids whose text appears inside `text` ("we make chassis and interior parts").

    Only texts of two or more characters count, and a text found inside a longer text
    found too ("车身" in "车身电子") is not counted twice.
    """
    key = text.casefold()
    spans: list[tuple[int, int, str]] = []
    for option_id, texts in labels:
        for form in texts:
            if len(form) < 2:
                continue
            start = key.find(form)
            while start != -1:
                if _is_word(key, start, start + len(form)):
                    spans.append((start, start + len(form), option_id))
                start = key.find(form, start + 1)
    kept = [
        s
        for s in spans
        if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0]) for o in spans)
    ]
    return list(dict.fromkeys(option_id for _, _, option_id in sorted(kept)))


def _is_word(text: str, start: int, end: int) -> bool:
    """Latin texts must stand as words ("other" is not in "mother"); Chinese has no spaces."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum() and text[start].isascii()) and not (
        after.isascii() and after.isalnum() and text[end - 1].isascii()
    )
