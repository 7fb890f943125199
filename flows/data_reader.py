"""Reading plain data (parsed YAML or JSON) with every structural problem collected.

`DataReader` takes values out of mappings by key and type (strings, integers, enum
members, lists, `{zh, en}` texts), reporting what is missing, unknown or of the wrong
type with its place, and reading on with a placeholder, so an author sees every problem
of a file at once. What a flow file's sections hold is `flows.flow_reader`'s.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from typing import Any, TypeVar

from flows.errors import Problem
from flows.flow_yaml import TOP
from flows.model import Text

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def accepted_keys(required: str, optional: str = "") -> dict[str, bool]:
    """The keys a mapping accepts → whether each is required."""
    return dict.fromkeys(required.split(), True) | dict.fromkeys(optional.split(), False)


_TEXT_KEYS = accepted_keys("", "zh en")  # a missing language is check_flow's finding, not ours
_TYPE_NAMES = {bool: "a boolean", int: "an integer", str: "a string", list: "a list"}


def join_place(place: str, key: object) -> str:
    return f"{place}.{key}" if place else str(key)


def describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value))
    return f"{kind or type(value).__name__} {value!r}"


def or_default(value: T | None, default: T) -> T:
    return default if value is None else value


class DataReader:
    """Reads plain data, collecting every structural problem.

    An unusable value is reported and replaced by a placeholder so reading goes on and
    the author sees every problem at once; `flows.definition.parse_flow` discards the
    result whenever anything was reported, so placeholders never escape.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def mapping(self, value: object, place: str, keys: dict[str, bool]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.report(place or TOP, f"must be a mapping, got {describe(value)}")
            return {}
        for key in value:
            if key not in keys:
                # A high cutoff: a wrong hint ('choices' → 'notice') is worse than none.
                hint = difflib.get_close_matches(str(key), list(keys), n=1, cutoff=0.8)
                extra = f"; did you mean {hint[0]!r}?" if hint else f" (allowed: {', '.join(keys)})"
                self.report(join_place(place, key), f"unknown key{extra}")
        # An empty value (`followup:`) counts as absent: YAML gives None for it.
        present = {k: v for k, v in value.items() if k in keys and v is not None}
        for key, required in keys.items():
            if required and key not in present:
                self.report(join_place(place, key), "missing required key")
        return present

    def scalar(self, data: dict[str, Any], key: str, place: str, kind: type[T]) -> T | None:
        if key not in data:
            return None
        value = data[key]
        # bool is an int in Python, but `max_selected: true` is a mistake, not 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.report(
                join_place(place, key), f"must be {_TYPE_NAMES[kind]}, got {describe(value)}"
            )
            return None
        return value

    def string(self, data: dict[str, Any], key: str, place: str) -> str:
        return or_default(self.scalar(data, key, place, str), "")

    def choice(self, data: dict[str, Any], key: str, place: str, enum: type[E]) -> E | None:
        value = self.scalar(data, key, place, str)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.report(join_place(place, key), f"must be one of {allowed}; got {value!r}")
            return None

    def text(self, data: dict[str, Any], key: str, place: str) -> Text | None:
        if key not in data:
            return None
        place = join_place(place, key)
        raw = self.mapping(data[key], place, _TEXT_KEYS)
        # A missing language becomes "" so check_flow reports it, once, the same way for
        # flows from files and flows built in code.
        return Text(zh=self.string(raw, "zh", place), en=self.string(raw, "en", place))

    def items(self, data: dict[str, Any], key: str, place: str) -> list[Any]:
        return or_default(self.scalar(data, key, place, list), [])

    def strings(self, data: dict[str, Any], key: str, place: str) -> tuple[str, ...]:
        out = []
        for i, item in enumerate(self.items(data, key, place)):
            if isinstance(item, str):
                out.append(item)
            else:
                self.report(
                    f"{join_place(place, key)}[{i}]", f"must be a string, got {describe(item)}"
                )
        return tuple(out)
