"""The tokens of the XLSForm expressions we read (flows.xlsform.relevant, .constraint).

`${name}` references, quoted strings, numbers, comparison operators, punctuation, names
(`selected`, `and`, `count-selected`) and `.`; anything else is an `ExpressionError`.
"""

from __future__ import annotations

import re

__all__ = ["ExpressionError", "Tokens"]

_PATTERN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<refname>[^{}\s]*)\s*\})
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>[0-9]+(?:\.[0-9]+)?)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),-])
    | (?P<name>[A-Za-z_][\w-]*)
    | (?P<dot>\.)
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """An expression outside the supported subset; the message says what to write instead."""


class Tokens:
    """A cursor over the tokens of one expression."""

    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        position, text = 0, text.strip()
        while position < len(text):
            match = _PATTERN.match(text, position)
            if match is None or match.end() == position:
                raise ExpressionError(f"cannot read {text[position : position + 12]!r}")
            kind = match.lastgroup or ""
            value = match[kind]
            if kind == "ref":
                kind, value = "ref", match["refname"]
            elif kind == "str":
                value = value[1:-1]
            self.items.append((kind, value))
            position = match.end()
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.at] if self.at < len(self.items) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        found_kind, found = self.peek()
        if found_kind != kind or (value is not None and found.lower() != value):
            wanted = value or kind
            raise ExpressionError(f"expected {wanted!r}, found {found or 'the end'!r}")
        self.at += 1
        return found

    def word(self, *words: str) -> bool:
        kind, value = self.peek()
        if kind == "name" and value.lower() in words:
            self.at += 1
            return True
        return False
