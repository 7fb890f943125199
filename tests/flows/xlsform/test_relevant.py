"""flows.xlsform.relevant and .constraint: the expression subset, both ways, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.model import Clause, Question, QuestionType, Text
from flows.xlsform.constraint import (
    Limits,
    parse_constraint,
    parse_required,
    write_constraint,
    write_required,
)
from flows.xlsform.relevant import (
    Comparison,
    ExpressionError,
    clauses,
    parse_relevant,
    write_relevant,
)

CHOICES = {
    "role": (QuestionType.SINGLE, ("oem", "supplier", "other")),
    "goods": (QuestionType.MULTI, ("steel", "glass", "paint", "none")),
    "agree": (QuestionType.YES_NO, ("yes", "no")),
}
TYPES = {name: kind for name, (kind, _) in CHOICES.items()}


@st.composite
def clause(draw: st.DrawFn) -> Clause:
    name = draw(st.sampled_from(sorted(CHOICES)))
    options = CHOICES[name][1]
    any_of = draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True))
    return Clause(name, tuple(any_of))


@given(st.lists(clause(), min_size=1, max_size=4))
def test_written_conditions_read_back_the_same(when: list[Clause]) -> None:
    text = write_relevant(when, TYPES)
    assert clauses(text, CHOICES) == tuple(when)


@given(
    st.none() | st.integers(-1000, 1000),
    st.none() | st.integers(-1000, 1000),
    st.integers(0, 5),
    st.none() | st.integers(1, 9),
    st.integers(1, 2000),
)
def test_written_constraints_read_back_the_same(
    low: int | None, high: int | None, least: int, most: int | None, length: int
) -> None:
    question = Question(
        "q",
        QuestionType.INTEGER,
        Text("问", "Q"),
        min_value=low,
        max_value=high,
        min_selected=least,
        max_selected=most,
        max_length=length,
    )
    text = write_constraint(question)
    limits = parse_constraint(text) if text else Limits()
    assert limits.min_value == low and limits.max_value == high
    assert (limits.min_selected or 1) == least or (least == 0 and limits.min_selected == 0)
    assert limits.max_selected == most
    assert (limits.max_length or 500) == length


@given(st.text(max_size=60))
def test_any_text_parses_or_says_why(text: str) -> None:
    for parse in (parse_relevant, parse_constraint, parse_required):
        try:
            parse(text)
        except ExpressionError as error:
            assert str(error)


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("${role}='oem'", [[Comparison("role", "=", "oem")]]),
        ('  ${ role } = "oem"  ', [[Comparison("role", "=", "oem")]]),
        ("${role} = 1", [[Comparison("role", "=", "1")]]),
        ("SELECTED(${goods}, 'steel')", [[Comparison("goods", "selected", "steel")]]),
        (
            "((${role} = 'oem') or (${role} = 'other')) and selected(${goods}, 'glass')",
            [
                [Comparison("role", "=", "oem"), Comparison("role", "=", "other")],
                [Comparison("goods", "selected", "glass")],
            ],
        ),
        (
            "${role} = 'oem' or ${role} = 'supplier' and ${role} != 'x'",  # and binds tighter
            None,
        ),
    ],
)
def test_relevant_examples(text: str, groups: list[list[Comparison]] | None) -> None:
    if groups is None:
        with pytest.raises(ExpressionError, match="`and` groups"):
            parse_relevant(text)
    else:
        assert parse_relevant(text) == groups


def test_not_equal_and_or_groups_become_any_of() -> None:
    assert clauses("${role} != 'other'", CHOICES) == (Clause("role", ("oem", "supplier")),)
    assert clauses("${agree} = 'yes' or ${agree} = 'no'", CHOICES) == (
        Clause("agree", ("yes", "no")),
    )
    # An unknown question passes through: the flow checker names it with its row.
    assert clauses("${later} = 'x'", CHOICES) == (Clause("later", ("x",)),)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        (". >= 0 and . <= 100", Limits(min_value=0, max_value=100)),
        ("0 <= . and 100 >= .", Limits(min_value=0, max_value=100)),
        (". > 0 and . < 10", Limits(min_value=1, max_value=9)),
        (". = 7", Limits(min_value=7, max_value=7)),
        (". >= -3", Limits(min_value=-3)),
        (". >= 1 and . >= 5", Limits(min_value=5)),  # the tighter bound wins
        ("count-selected(.) >= 2 and count-selected(.) <= 3",
         Limits(min_selected=2, max_selected=3)),
        ("string-length(.) <= 200", Limits(max_length=200)),
    ],
)  # fmt: skip
def test_constraint_examples(text: str, limits: Limits) -> None:
    assert parse_constraint(text) == limits


@pytest.mark.parametrize(
    "text",
    [". >= 0 or . <= 9", ". != 3", ". >= 1.5", "string-length(.) >= 2", "regex(., 'x')", ". >="],
)
def test_unsupported_constraints(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_constraint(text)


def test_required_forms() -> None:
    assert parse_required("yes") == parse_required("TRUE") == parse_required("1") == (True, None)
    assert parse_required("") == parse_required("no") == parse_required("false()") == (False, None)
    assert parse_required("${phone} = ''") == (True, "phone")
    for bad in ("maybe", "${phone} = 'x'", "${phone} != ''"):
        with pytest.raises(ExpressionError):
            parse_required(bad)
    unless = Question("email", QuestionType.TEXT, Text("邮箱", "E-mail"), required_unless="phone")
    assert write_required(unless) == "${phone} = ''"
