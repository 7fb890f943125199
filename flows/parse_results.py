"""What the input parsers return, and the text clean-up they share.

Kept apart from `flows.answer_parsing` so that `flows.fields` can use it without an import
cycle; `flows.answer_parsing` re-exports everything here. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CONSTRAINT_REASONS",
    "Invalid",
    "InvalidReason",
    "Parsed",
    "normalize",
    "normalize_lines",
    "normalize_text",
]


@dataclass(frozen=True)
class Parsed:
    """A well-formed answer: chosen option ids (question order) or a cleaned text.

    `original`: what the respondent wrote when `text` is a number converted from it
    ("1.5万吨" for "15000"), kept beside the number."""

    options: tuple[str, ...] = ()
    text: str | None = None
    original: str | None = None


class InvalidReason(StrEnum):
    """Why an answer was refused. The params each reason carries are listed here so the
    reply templates can rely on them."""

    EMPTY = "empty"  # {}
    NOT_AN_OPTION = "not_an_option"  # {"count": options, "given": int}
    UNKNOWN_OPTION = "unknown_option"  # {"count": options, "given": str}
    AMBIGUOUS = "ambiguous"  # {"candidates": tuple of option ids, "given": str}
    # A list named some options and something that is none: {"found": option ids, "given": str}
    PARTLY_UNKNOWN = "partly_unknown"
    SINGLE_ONLY = "single_only"  # {"count": how many were given}
    EXCLUSIVE_COMBINED = "exclusive_combined"  # {"option": the exclusive option id}
    TOO_FEW = "too_few"  # {"min": int}
    TOO_MANY = "too_many"  # {"max": int}
    NOT_YES_NO = "not_yes_no"  # {}
    TOO_LONG = "too_long"  # {"max": int, "length": int}
    INVALID_NAME = "invalid_name"  # {"max": int}
    INVALID_COMPANY = "invalid_company"  # {"min": int, "max": int}
    COMPANY_IS_CODE = "company_is_code"  # a 统一社会信用代码 typed for the company's name
    # A greeting or a yes typed where a person's or company's name is asked for (for a
    # person, a no or "不知道" too; flows.fields): {"given": str}
    NOT_A_NAME = "not_a_name"
    INVALID_PHONE = "invalid_phone"  # {}
    INVALID_EMAIL = "invalid_email"  # {}
    INVALID_USCC = "invalid_uscc"  # {"problem": flows.organisation.UsccError value}
    NOT_INTEGER = "not_integer"  # {}
    OUT_OF_RANGE = "out_of_range"  # {"min": int | None, "max": int | None, "given": number}
    NOT_NUMBER = "not_number"  # {}
    WRONG_UNIT = "wrong_unit"  # {"unit": the declared unit, "given": the unit written}


# Refusals a flow's own `constraint_message` speaks for (XLSForm shows it when the
# `constraint` fails): range, count and length rules. An empty or unreadable answer
# keeps the engine's own explanation.
CONSTRAINT_REASONS = frozenset(
    {
        InvalidReason.NOT_INTEGER,
        InvalidReason.NOT_NUMBER,
        InvalidReason.OUT_OF_RANGE,
        InvalidReason.TOO_FEW,
        InvalidReason.TOO_MANY,
        InvalidReason.TOO_LONG,
    }
)


@dataclass(frozen=True)
class Invalid:
    """A refused answer: a value for the engine to turn into a reply, never an exception."""

    reason: InvalidReason
    params: Mapping[str, object] = field(default_factory=dict)


# Line and paragraph separators (and NEL, VT, FF) become plain newlines before
# control characters are dropped, so a pasted multi-line answer keeps its lines.
_NEWLINES = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# ZWJ / ZWNJ change how emoji sequences and some scripts (Persian, Indic) render:
# keep them in free text. Other format characters (zero-width space, BOM, bidi
# overrides that could disguise text shown to staff) are dropped everywhere.
_KEEP_IN_TEXT = frozenset("\u200c\u200d")
_BLANK_LINES = re.compile(r"\n{3,}")


def _strip_controls(raw: str, *, keep: frozenset[str] = frozenset()) -> str:
    # Tabs and newlines are whitespace, not noise: "1\t3" must stay two numbers.
    if raw.isprintable():  # no Cc, Cf or Cs character (nor a tab or newline): as is
        return raw
    s = _NEWLINES.sub("\n", raw).replace("\t", " ")
    # Cc: control characters, Cf: format characters, Cs: lone surrogates (a str from a
    # broken decoder may carry them and they cannot be encoded for the database).
    return "".join(
        ch
        for ch in s
        if ch in keep or ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def normalize(raw: str) -> str:
    """One line for matching: NFKC (full-width `１２３，Ｂ` → `123,B`), control and format
    characters removed, every run of whitespace (newlines too) collapsed to one space."""
    s = unicodedata.normalize("NFKC", _strip_controls(raw))
    return " ".join(s.split())


def normalize_lines(raw: str) -> list[str]:
    """Like `normalize`, but one entry per non-empty line (newlines separate choices)."""
    s = unicodedata.normalize("NFKC", _strip_controls(raw))
    lines = (" ".join(line.split()) for line in s.split("\n"))
    return [line for line in lines if line]


def normalize_text(raw: str) -> str:
    """Free text as the respondent meant it: NFC only, newlines kept, controls removed.

    NFKC is deliberately not used here: it would rewrite Chinese punctuation (`，` → `,`)
    and units a carbon survey cares about (`m²` → `m2`, `tCO₂e` → `tCO2e`).
    """
    s = unicodedata.normalize("NFC", _strip_controls(raw, keep=_KEEP_IN_TEXT))
    s = "\n".join(line.rstrip() for line in s.split("\n"))
    return _BLANK_LINES.sub("\n\n", s).strip()
