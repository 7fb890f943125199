"""The columns of an XLSForm sheet: their names, their languages, and what we do with each.

A header is `base` or `base::language` (`label::中文 (zh)`, `label::English (en)`,
`label::zh`). Each sheet declares its columns as rules: read, ignored with a note (it
changes nothing in a chat), or unsupported (any value is a problem naming the row).
A column nobody declared is noted and ignored, unless it looks like a typo of one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from flows.errors import Problem
from flows.xlsform.reader import Row, Sheet, sheet_place

__all__ = ["EN", "LANGUAGES", "ZH", "Findings", "Rule", "Table", "Use", "header", "language"]

ZH, EN = "zh", "en"
# How exported workbooks spell the languages (and what messages call the columns).
LANGUAGES = {ZH: "中文 (zh)", EN: "English (en)"}
_LANGUAGE_NAMES = {
    **dict.fromkeys(("zh", "zh-cn", "zh_cn", "zh-hans", "chinese", "中文", "简体中文", "汉语"), ZH),
    **dict.fromkeys(("en", "en-us", "en-gb", "english", "英文", "英语"), EN),
}
_WITH_CODE = re.compile(r"(.*?)\s*\(([^()]*)\)")
# Media columns (`image`, `media::image::English (en)`): a chat bot sends text only.
_MEDIA = frozenset({"media", "image", "big-image", "audio", "video"})
# XLSForm passes these through to the XForm untouched; they mean nothing to us.
_PASS_THROUGH = frozenset({"bind", "body", "instance"})


def language(text: str) -> str | None:
    """ "中文 (zh)", "English (en)", "zh", "Chinese" → zh / en; anything else → None."""
    text = text.strip()
    match = _WITH_CODE.fullmatch(text)
    if match:
        code, name = match[2].strip().lower(), match[1].strip().lower()
        return _LANGUAGE_NAMES.get(code) or _LANGUAGE_NAMES.get(name)
    return _LANGUAGE_NAMES.get(text.lower())


def header(base: str, lang: str | None = None) -> str:
    """The column name an exported workbook uses: `label::English (en)`."""
    return f"{base}::{LANGUAGES[lang]}" if lang else base


@dataclass
class Findings:
    """Problems (the import fails) and notes (something was ignored), in sheet order."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def note(self, place: str, message: str) -> None:
        self.notes.append(Problem(place, message))


class Use(Enum):
    READ = "read"
    IGNORE = "ignore"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Rule:
    use: Use
    translated: bool = False  # one column per language
    why: str = ""  # the reason given in a note (IGNORE) or a problem (UNSUPPORTED)


class Table:
    """One sheet with its headers resolved; values are looked up by (base, language)."""

    def __init__(
        self,
        sheet: Sheet,
        rules: Mapping[str, Rule],
        findings: Findings,
        *,
        default_lang: str | None = None,
    ) -> None:
        self.sheet = sheet
        self.rows = sheet.rows
        self._findings = findings
        self._index: dict[tuple[str, str | None], int] = {}
        head = sheet_place(sheet.name, sheet.header_row)
        for index, raw in enumerate(sheet.headers):
            if raw:
                self._column(index, raw, rules, default_lang, head)

    def place(self, row: Row) -> str:
        return sheet_place(self.sheet.name, row.number)

    def has(self, base: str) -> bool:
        return any(key[0] == base for key in self._index)

    def value(self, row: Row, base: str) -> str:
        index = self._index.get((base, None))
        return "" if index is None else row.value(index)

    def texts(self, row: Row, base: str) -> dict[str, str]:
        """{zh, en} of a translated column; a missing language is "" (the checker says so)."""
        out = {}
        for lang in LANGUAGES:
            index = self._index.get((base, lang))
            out[lang] = "" if index is None else row.value(index)
        return out

    def _column(
        self, index: int, raw: str, rules: Mapping[str, Rule], default_lang: str | None, head: str
    ) -> None:
        parts = [part.strip() for part in raw.split("::")]
        base, rest = parts[0].lower().replace(" ", "_"), "::".join(parts[1:])
        rule = rules.get(base)
        if base in _MEDIA:
            rule = Rule(Use.UNSUPPORTED, why="media (images, audio, video) are not supported")
        elif base in _PASS_THROUGH:
            rule = Rule(Use.IGNORE, why="XForm pass-through columns change nothing in a chat")
        if rule is None:
            self._unknown(index, raw, base, rules, head)
        elif rule.use is Use.IGNORE:
            if any(row.value(index) for row in self.rows):
                self._findings.note(head, f"column {raw!r} is ignored: {rule.why}")
        elif rule.use is Use.UNSUPPORTED:
            for row in self.rows:
                if row.value(index):
                    self._findings.problem(self.place(row), f"{raw}: {rule.why}")
        elif rule.translated:
            lang = language(rest) if rest else default_lang
            if lang is None:
                self._findings.problem(head, _language_problem(raw, base, rest))
            else:
                self._claim(index, raw, (base, lang), head)
        elif rest:
            self._findings.problem(head, f"column {raw!r}: {base} takes no language")
        else:
            self._claim(index, raw, (base, None), head)

    def _claim(self, index: int, raw: str, key: tuple[str, str | None], head: str) -> None:
        if key in self._index:
            first = self.sheet.headers[self._index[key]]
            self._findings.problem(head, f"columns {first!r} and {raw!r} are the same column")
        else:
            self._index[key] = index

    def _unknown(
        self, index: int, raw: str, base: str, rules: Mapping[str, Rule], head: str
    ) -> None:
        hint = difflib.get_close_matches(base, list(rules), n=1, cutoff=0.8)
        if hint:
            self._findings.problem(head, f"unknown column {raw!r}; did you mean {hint[0]!r}?")
        elif any(row.value(index) for row in self.rows):
            self._findings.note(head, f"column {raw!r} is not an XLSForm column we read; ignored")


def _language_problem(raw: str, base: str, rest: str) -> str:
    wanted = f"{header(base, ZH)} and {header(base, EN)}"
    if rest:
        return f"column {raw!r}: only 中文 (zh) and English (en) are supported; use {wanted}"
    return f"column {raw!r} names no language: use {wanted} (or set default_language)"
