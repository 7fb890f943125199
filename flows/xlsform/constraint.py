"""XLSForm `constraint` and `required`, read and written.

constraint  `. >= 0 and . <= 100` (integer range), `count-selected(.) <= 3` (how many
            options), `string-length(.) <= 200` (text length); `and` only; either
            side may hold the number (`0 <= .`).
required    yes / no (true, 1, false, 0, blank), or `${q} = ''`: required unless q
            has an answer (→ `required_unless`).

Anything else raises `ExpressionError`; the converter names the sheet and row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Question, QuestionType, Text
from flows.xlsform.rules import boolean
from flows.xlsform.tokens import ExpressionError, Tokens

__all__ = ["Limits", "parse_constraint", "parse_required", "write_constraint", "write_required"]

# The flow model's default: a constraint is written only for a different length.
DEFAULT_MAX_LENGTH = Question("", QuestionType.TEXT, Text("", "")).max_length
_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "=": "="}


@dataclass(frozen=True)
class Limits:
    """What a constraint says; None where it says nothing."""

    min_value: int | None = None
    max_value: int | None = None
    min_selected: int | None = None
    max_selected: int | None = None
    max_length: int | None = None


def parse_constraint(text: str) -> Limits:
    tokens = Tokens(text)
    found: dict[str, int] = {}
    while True:
        subject, op, number = _bound(tokens)
        for key, value in _limits(subject, op, number):
            tighter = max if key.startswith("min") else min
            found[key] = tighter(found[key], value) if key in found else value
        if not tokens.word("and"):
            break
    if tokens.peek()[0] != "end":
        raise ExpressionError(f"only `and` joins constraints; found {tokens.peek()[1]!r}")
    return Limits(**found)


def _bound(tokens: Tokens) -> tuple[str, str, int]:
    if tokens.peek()[0] in ("num", "punct") and tokens.peek()[1] != "(":
        number = _number(tokens)
        op = _FLIP.get(tokens.take("op"), "!=")
        return _subject(tokens), op, number
    subject = _subject(tokens)
    return subject, tokens.take("op"), _number(tokens)


def _subject(tokens: Tokens) -> str:
    if tokens.peek()[0] == "dot":
        tokens.take("dot")
        return "."
    kind, value = tokens.peek()
    if kind == "name" and value.lower() in ("count-selected", "string-length"):
        tokens.take("name")
        tokens.take("punct", "(")
        tokens.take("dot")
        tokens.take("punct", ")")
        return value.lower()
    raise ExpressionError(
        f"expected ., count-selected(.) or string-length(.), found {value or 'the end'!r}"
    )


def _number(tokens: Tokens) -> int:
    negative = tokens.peek() == ("punct", "-")
    if negative:
        tokens.take("punct", "-")
    text = tokens.take("num")
    if "." in text:
        raise ExpressionError(f"{text} is not a whole number")
    return -int(text) if negative else int(text)


def _limits(subject: str, op: str, number: int) -> list[tuple[str, int]]:
    if op == "!=":
        raise ExpressionError("!= is not supported in a constraint; give a range")
    low = {">=": number, ">": number + 1, "=": number}.get(op)
    high = {"<=": number, "<": number - 1, "=": number}.get(op)
    names = {
        ".": ("min_value", "max_value"),
        "count-selected": ("min_selected", "max_selected"),
        "string-length": (None, "max_length"),
    }[subject]
    if low is not None and names[0] is None:
        raise ExpressionError("a minimum text length is not supported; only string-length(.) <=")
    pairs = [(names[0], low), (names[1], high)]
    return [(key, value) for key, value in pairs if key is not None and value is not None]


def write_constraint(question: Question) -> str:
    parts = []
    if question.min_value is not None:
        parts.append(f". >= {question.min_value}")
    if question.max_value is not None:
        parts.append(f". <= {question.max_value}")
    if question.min_selected != 1:
        parts.append(f"count-selected(.) >= {question.min_selected}")
    if question.max_selected is not None:
        parts.append(f"count-selected(.) <= {question.max_selected}")
    if question.max_length != DEFAULT_MAX_LENGTH:
        parts.append(f"string-length(.) <= {question.max_length}")
    return " and ".join(parts)


def parse_required(text: str) -> tuple[bool, str | None]:
    """(required, required unless this question has an answer)."""
    flag = boolean(text)
    if flag is not None:
        return flag, None
    tokens = Tokens(text)
    try:
        question = tokens.take("ref")
        tokens.take("op", "=")
        empty = tokens.take("str")
        tokens.take("end")
    except ExpressionError:
        raise ExpressionError("required is yes, no or ${question} = ''") from None
    if empty:
        raise ExpressionError("required is yes, no or ${question} = ''")
    return True, question


def write_required(question: Question) -> str:
    if question.required_unless is not None:
        return f"${{{question.required_unless}}} = ''"
    return "yes" if question.required else ""
