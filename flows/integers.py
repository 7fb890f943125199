"""Whole-number answers (XLSForm's `integer`): "42", "４２", "-3", "＋7", "1,200".

Pure and total like `flows.answer_parsing`: every `str` gives `Parsed(text=canonical digits)`
or `Invalid`, never an exception. The canonical text ("1200", "-3") is what storage
keeps, so reports and exports compare numbers, not spellings.
"""

from __future__ import annotations

import re

from flows.parse_results import Invalid, InvalidReason, Parsed, normalize

__all__ = ["MAX_DIGITS", "validate_integer"]

# More digits than any count a survey asks for; also keeps int() away from its
# 4300-digit limit on hostile input.
MAX_DIGITS = 15
# NFKC has already turned "－" and "＋" into ASCII; these signs survive it.
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\ufb29": "+"})
# Optional sign, then plain digits or thousands groups ("1,200", "12 000" is not accepted:
# a space more often separates two numbers).
_INTEGER = re.compile(r"([+-]?)\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)")
# IMEs add a full stop on their own; "42." is still 42.
_END_PUNCTUATION = ".。!"


def validate_integer(
    raw: str, *, min_value: int | None = None, max_value: int | None = None
) -> Parsed | Invalid:
    """A whole number within [min_value, max_value] (either end may be open)."""
    line = normalize(raw).translate(_SIGNS)
    if not line:
        return Invalid(InvalidReason.EMPTY)
    stripped = line.rstrip(_END_PUNCTUATION).rstrip() or line
    match = _INTEGER.fullmatch(stripped)
    if match is None:
        return Invalid(InvalidReason.NOT_INTEGER)
    digits = match[2].replace(",", "").lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        return Invalid(InvalidReason.NOT_INTEGER)
    value = -int(digits) if match[1] == "-" else int(digits)
    too_low = min_value is not None and value < min_value
    too_high = max_value is not None and value > max_value
    if too_low or too_high:
        return Invalid(
            InvalidReason.OUT_OF_RANGE, {"min": min_value, "max": max_value, "given": value}
        )
    return Parsed(text=str(value))
