"""Numbers with units: "1.5万吨", "12,000 kWh", "３５％", "两万度", "百分之三十", "2 MWh".

A numeric question (`integer` or `decimal`) may declare a unit (`unit: tCO2e`, see
`flows.units`). The answer is converted to that unit and stored as a canonical number
("15000"); the respondent's own text is kept beside it (`Parsed.original`). A bare
number is taken in the declared unit. Pure and total: every `str` gives `Parsed` or
`Invalid`, never an exception.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flows.chinese_numbers import NUMERAL_CHARS, chinese_number
from flows.parse_results import Invalid, InvalidReason, Parsed, normalize, normalize_text
from flows.units import Unit, spoken_unit

__all__ = ["MAX_DIGITS", "canonical", "parse_quantity"]

MAX_DIGITS = 18  # digits before and after the point together; more is not a survey figure
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-"})
# Plain digits or thousands groups, an optional decimal part: "12000", "12,000.5", ".5".
_NUMBER = re.compile(r"([+-]?)\s*((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)")
# Words of approximation before the number are read past (the original text keeps them).
_APPROX = re.compile(r"^(?:大约|大概|约为|约|approximately|approx\.?|about|around|ca\.|~)\s*", re.I)
_PERCENT_WORDS = ("百分之",)
_MULTIPLIERS = {
    "百万": Decimal(1_000_000),
    "万": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "千": Decimal(1000),
    "thousand": Decimal(1000),
    "million": Decimal(1_000_000),
    "k": Decimal(1000),
}
_END_PUNCTUATION = "。.!"
_MAX_ECHO = 20


def parse_quantity(
    raw: str,
    unit: Unit | None,
    *,
    whole: bool = False,
    min_value: int | None = None,
    max_value: int | None = None,
) -> Parsed | Invalid:
    """`raw` as a number in `unit` (None: a plain number), within [min_value, max_value].

    `whole`: the question is an `integer` one, so the converted value must be whole.
    """
    line = normalize(raw).translate(_SIGNS)
    if not line:
        return Invalid(InvalidReason.EMPTY)
    line = _APPROX.sub("", line.rstrip(_END_PUNCTUATION).rstrip() or line)
    read = _read(line, unit)
    if isinstance(read, Invalid):
        return read
    if whole and read != read.to_integral_value():
        return Invalid(InvalidReason.NOT_INTEGER)
    text = canonical(read)
    if text is None:
        return Invalid(InvalidReason.NOT_NUMBER)
    too_low = min_value is not None and read < min_value
    too_high = max_value is not None and read > max_value
    if too_low or too_high:
        params = {"min": min_value, "max": max_value, "given": text}
        return Invalid(InvalidReason.OUT_OF_RANGE, params)
    return Parsed(text=text, original=normalize_text(raw))


def canonical(value: Decimal) -> str | None:
    """ "15000", "1.5", "-3": no exponent, no trailing zeros; None when too long."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return text if len(text.lstrip("-").replace(".", "")) <= MAX_DIGITS else None


def _read(line: str, unit: Unit | None) -> Decimal | Invalid:
    for prefix in _PERCENT_WORDS:  # "百分之三十": the unit comes first
        if line.startswith(prefix):
            value = _read(line.removeprefix(prefix), None)
            if isinstance(value, Invalid) or unit is None or unit.name == "%":
                return value
            return Invalid(InvalidReason.WRONG_UNIT, {"unit": unit.name, "given": "%"})
    match = _NUMBER.match(line)
    if match is not None:
        digits = match[2].replace(",", "")
        if len(digits.replace(".", "").lstrip("0")) > MAX_DIGITS:
            return Invalid(InvalidReason.NOT_NUMBER)
        try:
            number = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return Invalid(InvalidReason.NOT_NUMBER)
        number = -number if match[1] == "-" else number
        return _with_unit(number, line[match.end() :].strip(), unit)
    # Chinese numerals: the longest run that leaves a readable unit ("五千瓦时" is
    # 5 千瓦时, not 5000 瓦时).
    run = 0
    while run < len(line) and line[run] in NUMERAL_CHARS:
        run += 1
    refusal: Invalid = Invalid(InvalidReason.NOT_NUMBER)
    for end in range(run, 0, -1):
        numeral = chinese_number(line[:end])
        if numeral is None:
            continue
        result = _with_unit(numeral, line[end:].strip(), unit)
        if not isinstance(result, Invalid):
            return result
        if end == run:
            refusal = result
    return refusal


def _with_unit(number: Decimal, rest: str, unit: Unit | None) -> Decimal | Invalid:
    """`number` followed by `rest` ("万吨", "kWh", ""), converted to `unit`."""
    if not rest:
        return number
    if not (rest[0].isalpha() or rest[0] == "%"):  # "1,5", "12 000", "3-5": not one number
        return Invalid(InvalidReason.NOT_NUMBER)
    converted = _convert(number, rest, unit)
    if converted is not None:
        return converted
    for word, size in _MULTIPLIERS.items():
        tail = rest[len(word) :].strip() if rest.casefold().startswith(word) else None
        if tail is None:
            continue
        if not tail:
            return number * size
        converted = _convert(number * size, tail, unit)
        if converted is not None:
            return converted
    if unit is None:
        return Invalid(InvalidReason.NOT_NUMBER)
    return Invalid(InvalidReason.WRONG_UNIT, {"unit": unit.name, "given": rest[:_MAX_ECHO]})


def _convert(number: Decimal, written: str, unit: Unit | None) -> Decimal | None:
    spoken = spoken_unit(written) if unit is not None else None
    if unit is None or spoken is None or spoken[0] is not unit.dimension:
        return None
    return number * spoken[1] / unit.factor
