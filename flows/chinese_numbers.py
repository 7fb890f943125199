"""Chinese numerals as written in answers: "一万二千" → 12000, "三点五" → 3.5, "两百" → 200.

Pure; `flows.quantities` uses it for numbers with units. Digit runs without a unit
("一三") are dictated choices, not numbers: `flows.natural` reads those.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["NUMERAL_CHARS", "chinese_number"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = frozenset(_DIGITS) | frozenset(_SMALL) | frozenset(_LARGE) | {"点"}


def chinese_number(text: str) -> Decimal | None:
    """The value of a Chinese numeral, or None when `text` is not one."""
    whole, point, fraction = text.partition("点")
    if point and (not fraction or any(ch not in _DIGITS for ch in fraction)):
        return None
    value = _integer(whole)
    if value is None:
        return None
    if not fraction:
        return Decimal(value)
    return Decimal(f"{value}.{''.join(str(_DIGITS[ch]) for ch in fraction)}")


def _integer(text: str) -> int | None:
    # Must start with a digit, or with 十 ("十五" = 15); "千" alone is a unit's first
    # character ("千瓦时"), not a thousand.
    if not text or (text[0] not in _DIGITS and text[0] != "十"):
        return None
    total = section = 0
    digit: int | None = None
    for ch in text:
        if ch in _DIGITS:
            if digit not in (None, 0):  # "一二" is two choices, not a number
                return None
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            section += (1 if digit is None else digit) * _SMALL[ch]
            digit = None
        elif ch in _LARGE:
            section += digit or 0
            if section == 0 and total == 0:
                return None
            if _LARGE[ch] > 10_000:
                total = (total + section) * _LARGE[ch]
            else:
                total += section * _LARGE[ch]
            section, digit = 0, None
        else:
            return None
    if digit and len(text) > 1 and text[-2] in _SMALL | _LARGE:
        # "一万二" is 12000 and "三百五" 350: a last digit right after a unit counts in
        # the next smaller one.
        digit *= ({**_SMALL, **_LARGE}[text[-2]]) // 10
    return total + section + (digit or 0)
