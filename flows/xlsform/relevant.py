"""XLSForm `relevant` expressions, read into flow conditions and written from them.

A deliberately small subset of ODK XPath, the part a flow's `when` can say:
`${q} = 'x'`, `${q} != 'x'` (select_one), `selected(${q}, 'x')`, joined by `and`;
`or` only between tests of one question (→ `any_of`); parentheses. Anything else
raises `ExpressionError` with a reason; the converter turns it into a problem naming
the sheet and row. `!=` differs from ODK in one corner: ODK holds it when the question
was not answered at all; a flow condition never does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from flows.model import Clause, QuestionType
from flows.xlsform.tokens import ExpressionError, Tokens

__all__ = ["Comparison", "ExpressionError", "clauses", "parse_relevant", "write_relevant"]


@dataclass(frozen=True)
class Comparison:
    """One test on an earlier question: `${question} = 'value'` and friends."""

    question: str
    op: str  # "=", "!=" or "selected"
    value: str


def parse_relevant(text: str) -> list[list[Comparison]]:
    """`and` of groups; each group is an `or` of tests on one question."""
    tokens = Tokens(text)
    tree = _or(tokens)
    tokens.take("end")
    groups = []
    for part in _flatten(tree, "and"):
        tests = [t for t in _flatten(part, "or") if isinstance(t, Comparison)]
        if len(tests) != len(list(_flatten(part, "or"))):
            raise ExpressionError("`or` may only join tests, not `and` groups")
        names = list(dict.fromkeys(t.question for t in tests))
        if len(names) > 1:
            listed = ", ".join(f"${{{n}}}" for n in names)
            raise ExpressionError(f"`or` across different questions ({listed}) is not supported")
        groups.append(tests)
    return groups


_Node = Comparison | tuple[str, list["_Node"]]


def _flatten(node: _Node, op: str) -> Iterator[_Node]:
    if isinstance(node, tuple) and node[0] == op:
        for child in node[1]:
            yield from _flatten(child, op)
    else:
        yield node


def _or(tokens: Tokens) -> _Node:
    parts = [_and(tokens)]
    while tokens.word("or"):
        parts.append(_and(tokens))
    return parts[0] if len(parts) == 1 else ("or", parts)


def _and(tokens: Tokens) -> _Node:
    parts = [_primary(tokens)]
    while tokens.word("and"):
        parts.append(_primary(tokens))
    return parts[0] if len(parts) == 1 else ("and", parts)


def _primary(tokens: Tokens) -> _Node:
    kind, value = tokens.peek()
    if kind == "punct" and value == "(":
        tokens.take("punct", "(")
        inner = _or(tokens)
        tokens.take("punct", ")")
        return inner
    if kind == "name" and value.lower() == "selected":
        tokens.take("name")
        tokens.take("punct", "(")
        question = tokens.take("ref")
        tokens.take("punct", ",")
        option = _literal(tokens)
        tokens.take("punct", ")")
        return Comparison(question, "selected", option)
    if kind == "ref":
        question = tokens.take("ref")
        op = tokens.take("op")
        if op not in ("=", "!="):
            raise ExpressionError(f"{op!r} compares numbers; choices are tested with = or !=")
        return Comparison(question, op, _literal(tokens))
    if kind == "name":
        raise ExpressionError(f"the function or word {value!r} is not supported")
    raise ExpressionError(f"expected ${{question}} or selected(…), found {value or 'the end'!r}")


def _literal(tokens: Tokens) -> str:
    kind, value = tokens.peek()
    if kind not in ("str", "num"):
        raise ExpressionError(f"expected a quoted choice name, found {value or 'the end'!r}")
    tokens.at += 1
    return value


def clauses(
    text: str, choices: Mapping[str, tuple[QuestionType, Sequence[str]]]
) -> tuple[Clause, ...]:
    """A relevant expression as flow conditions; `choices` gives earlier selects' options."""
    out = []
    for group in parse_relevant(text):
        name = group[0].question
        kind, options = choices.get(name, (None, ()))
        wanted: list[str] = []
        for test in group:
            if test.op == "!=" and kind not in (QuestionType.SINGLE, QuestionType.YES_NO):
                raise ExpressionError(f"!= needs ${{{name}}} to be an earlier select_one")
            if test.op == "=" and kind is QuestionType.MULTI:
                raise ExpressionError(
                    f"${{{name}}} is a select_multiple: write selected(${{{name}}}, "
                    f"'{test.value}') (= would mean exactly that one choice)"
                )
            values = [o for o in options if o != test.value] if test.op == "!=" else [test.value]
            wanted += [v for v in values if v not in wanted]
        out.append(Clause(name, tuple(wanted)))
    return tuple(out)


def write_relevant(when: Sequence[Clause], types: Mapping[str, QuestionType]) -> str:
    groups = []
    for clause in when:
        multi = types.get(clause.question) is QuestionType.MULTI
        ref = f"${{{clause.question}}}"
        tests = [
            f"selected({ref}, '{value}')" if multi else f"{ref} = '{value}'"
            for value in clause.any_of
        ]
        group = " or ".join(tests)
        groups.append(f"({group})" if len(tests) > 1 and len(when) > 1 else group)
    return " and ".join(groups)
