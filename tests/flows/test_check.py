"""flows.check: one small bad flow per rule, each problem with its place and message."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from flows.check import check_file, check_flow
from flows.errors import Problem
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW, shipped_flow_paths

FIXTURES = Path(__file__).parent / "fixtures"

HEAD = """\
spec_version: 1
id: tiny
version: 1
title: {zh: 标题, en: Title}
preface: {zh: 引言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
"""
ROLE = """\
- id: role
  type: single_choice
  text: {zh: 角色？, en: Role}
  options:
    - {id: oem, text: {zh: 主机厂, en: OEM}}
    - {id: supplier, text: {zh: 供应商, en: Supplier}}
"""
PARTS = """\
- id: parts
  type: multiple_choice
  text: {zh: 零件？, en: Parts}
  options:
    - {id: body, text: {zh: 车身, en: Body}}
    - {id: tires, text: {zh: 轮胎, en: Tires}}
    - {id: none, exclusive: true, text: {zh: 无, en: None}}
"""
NOTES = "- {id: notes, type: text, required: false, text: {zh: 备注, en: Notes}}\n"


def yes_no(qid: str, when: str = "", extra: str = "") -> str:
    condition = f", when: [{when}]" if when else ""
    return f"- {{id: {qid}, type: yes_no, text: {{zh: 问, en: Q}}{condition}{extra}}}\n"


def flow_yaml(*questions: str, head: str = HEAD, tail: str = "") -> str:
    body = "".join(textwrap.indent(textwrap.dedent(q), "  ") for q in questions)
    return head + "questions:\n" + body + tail


def check(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    return check_file(path)


def test_the_minimal_flow_used_below_is_clean(tmp_path: Path) -> None:
    assert check(tmp_path, flow_yaml(ROLE, PARTS, NOTES, yes_no("q"))) == []


@pytest.mark.parametrize("path", shipped_flow_paths(), ids=lambda p: p.name)
def test_every_shipped_flow_has_no_problems(path: Path) -> None:
    assert check_file(path) == []


def test_the_default_flow_is_shipped() -> None:
    assert DEFAULT_FLOW in shipped_flow_paths()


CASES = {
    "duplicate question id": (
        flow_yaml(ROLE, ROLE),
        [Problem("questions[1] (role).id", "duplicate question id (first at questions[0] (role))")],
    ),
    "duplicate option id": (
        flow_yaml(ROLE.replace("id: supplier", "id: oem")),
        [Problem("questions[0] (role).options[1].id", "duplicate option id (first at options[0])")],
    ),
    "id that is not a slug": (
        flow_yaml(yes_no("Carbon-Policy")),
        [
            Problem(
                "questions[0] (Carbon-Policy).id",
                "'Carbon-Policy' is not a slug (lower-case ASCII letters, digits, _)",
            )
        ],
    ),
    "condition on an unknown question": (
        flow_yaml(ROLE, yes_no("q", "{question: rank, any_of: [oem]}")),
        [Problem("questions[1] (q).when[0].question", "unknown question 'rank'")],
    ),
    "condition on a later question": (
        flow_yaml(yes_no("q", "{question: role, any_of: [oem]}"), ROLE),
        [
            Problem(
                "questions[0] (q).when[0].question",
                "a condition cannot depend on a later question ('role'); only on earlier ones",
            )
        ],
    ),
    "condition on itself": (
        flow_yaml(yes_no("q", "{question: q, any_of: [yes]}")),
        [
            Problem(
                "questions[0] (q).when[0].question",
                "a condition cannot depend on itself; only on earlier ones",
            )
        ],
    ),
    "condition naming an option the question lacks": (
        flow_yaml(ROLE, yes_no("q", "{question: role, any_of: [supplier, dealer]}")),
        [Problem("questions[1] (q).when[0].any_of[1]", "'role' has no option 'dealer'")],
    ),
    "condition on a text question": (
        flow_yaml(NOTES, yes_no("q", "{question: notes, any_of: [yes]}")),
        [
            Problem(
                "questions[1] (q).when[0].question",
                "'notes' is a text question; conditions need a choice question",
            )
        ],
    ),
    "unreachable: empty any_of": (
        flow_yaml(ROLE, yes_no("q", "{question: role, any_of: []}")),
        [Problem("questions[1] (q).when[0].any_of", "is empty, so the condition never holds")],
    ),
    "unreachable: two clauses on one single-choice answer": (
        flow_yaml(
            ROLE,
            yes_no("q", "{question: role, any_of: [oem]}, {question: role, any_of: [supplier]}"),
        ),
        [
            Problem(
                "questions[1] (q).when",
                "can never hold: one answer to 'role' cannot be any of [oem] and any of "
                "[supplier] at the same time",
            )
        ],
    ),
    "unreachable: contradicts the condition of the question it depends on": (
        flow_yaml(
            ROLE,
            yes_no("supplier_q", "{question: role, any_of: [supplier]}"),
            yes_no("q", "{question: role, any_of: [oem]}, {question: supplier_q, any_of: [yes]}"),
        ),
        [
            Problem(
                "questions[2] (q).when",
                "can never hold: one answer to 'role' cannot be any of [oem] and any of "
                "[supplier] at the same time",
            )
        ],
    ),
    "unreachable: an exclusive option cannot be chosen with another": (
        flow_yaml(
            PARTS,
            yes_no("q", "{question: parts, any_of: [none]}, {question: parts, any_of: [body]}"),
        ),
        [
            Problem(
                "questions[1] (q).when",
                "can never hold: one answer to 'parts' cannot be any of [none] and any of "
                "[body] at the same time",
            )
        ],
    ),
    "unreachable: max_selected 1 allows one option only": (
        flow_yaml(
            PARTS.replace("type: multiple_choice", "type: multiple_choice\n  max_selected: 1"),
            yes_no("q", "{question: parts, any_of: [tires]}, {question: parts, any_of: [body]}"),
        ),
        [
            Problem(
                "questions[1] (q).when",
                "can never hold: one answer to 'parts' cannot be any of [tires] and any of "
                "[body] at the same time",
            )
        ],
    ),
    "unreachable: depends on a question that is never asked": (
        (FIXTURES / "unreachable_chain.yaml").read_text("utf-8"),
        [
            Problem("questions[1] (q1).when[0].any_of", "is empty, so the condition never holds"),
            Problem(
                "questions[2] (q2).when[0].question",
                "'q1' is never asked, so this question is never asked either",
            ),
            Problem(
                "questions[3] (q3).when[0].question",
                "'q2' is never asked, so this question is never asked either",
            ),
        ],
    ),
    "option missing English": (
        flow_yaml(ROLE.replace("en: Supplier", "en: '  '")),
        [Problem("questions[0] (role).options[1].text.en", "missing English text")],
    ),
    "prompt missing Chinese": (
        flow_yaml(ROLE.replace("zh: 角色？, ", "")),
        [Problem("questions[0] (role).text.zh", "missing Chinese text")],
    ),
    "notice missing English": (
        flow_yaml(yes_no("q", extra=", notice: {zh: 个人信息告知}")),
        [Problem("questions[0] (q).notice.en", "missing English text")],
    ),
    "title, preface, closing and followup missing a language": (
        flow_yaml(
            yes_no("q"),
            head=HEAD.replace("zh: 标题, ", "")
            .replace("en: Preface", "en: ''")
            .replace("zh: 谢谢, ", "zh: ' ', ")
            + "followup: {zh: 第二次调查}\n",
        ),
        [
            Problem("title.zh", "missing Chinese text"),
            Problem("preface.en", "missing English text"),
            Problem("closing.zh", "missing Chinese text"),
            Problem("followup.en", "missing English text"),
        ],
    ),
    "exclusive option on a single_choice question": (
        flow_yaml(ROLE.replace("{id: oem,", "{id: oem, exclusive: true,")),
        [
            Problem(
                "questions[0] (role).options[0].exclusive",
                "only multiple_choice options can be exclusive; a single_choice question "
                "has one answer anyway",
            )
        ],
    ),
    "exclusive option on a yes_no question": (
        flow_yaml(
            yes_no(
                "q",
                extra=", options: [{id: 'yes', text: {zh: 是, en: 'Yes'}}, "
                "{id: 'no', exclusive: true, text: {zh: 否, en: 'No'}}]",
            )
        ),
        [
            Problem(
                "questions[0] (q).options[1].exclusive",
                "only multiple_choice options can be exclusive; a yes_no question "
                "has one answer anyway",
            )
        ],
    ),
    "yes_no options other than yes and no": (
        flow_yaml(yes_no("q", extra=", options: [{id: ja, text: {zh: 是, en: Ja}}]")),
        [Problem("questions[0] (q).options", "a yes_no question's options must be 'yes' and 'no'")],
    ),
    "choice question with one option": (
        flow_yaml(ROLE.replace("    - {id: supplier, text: {zh: 供应商, en: Supplier}}\n", "")),
        [
            Problem(
                "questions[0] (role).options", "a choice question needs at least 2 options, has 1"
            )
        ],
    ),
    "options on a text question": (
        flow_yaml(NOTES.replace("required: false", "options: [{id: a, text: {zh: 甲, en: A}}]")),
        [Problem("questions[0] (notes).options", "a text question takes no options")],
    ),
    "options on a field question": (
        flow_yaml(
            "- {id: name, type: field, field: name, text: {zh: 姓名, en: Name},"
            " options: [{id: a, text: {zh: 甲, en: A}}]}\n"
        ),
        [Problem("questions[0] (name).options", "a field question takes no options")],
    ),
    "field question without a field kind": (
        flow_yaml("- {id: name, type: field, text: {zh: 姓名, en: Name}}\n"),
        [
            Problem(
                "questions[0] (name).field",
                "a field question needs a field kind (name, company, phone, email, text, uscc)",
            )
        ],
    ),
    "field kind on a text question": (
        flow_yaml(NOTES.replace("required: false", "field: email")),
        [Problem("questions[0] (notes).field", "only field questions take a field kind, not text")],
    ),
    "max_length below 1": (
        flow_yaml(NOTES.replace("required: false", "max_length: 0")),
        [Problem("questions[0] (notes).max_length", "must be 1 or more, got 0")],
    ),
    "min_selected below 0": (
        flow_yaml(
            PARTS.replace("type: multiple_choice", "type: multiple_choice\n  min_selected: -1")
        ),
        [Problem("questions[0] (parts).min_selected", "must be 0 or more, got -1")],
    ),
    "min_selected above max_selected": (
        flow_yaml(
            PARTS.replace(
                "type: multiple_choice",
                "type: multiple_choice\n  min_selected: 3\n  max_selected: 2",
            )
        ),
        [Problem("questions[0] (parts).min_selected", "is more than max_selected (3 > 2)")],
    ),
    "min_selected above the number of options": (
        flow_yaml(
            PARTS.replace("type: multiple_choice", "type: multiple_choice\n  min_selected: 4")
        ),
        [
            Problem(
                "questions[0] (parts).min_selected", "is more than the number of options (4 > 3)"
            )
        ],
    ),
    "max_selected above the number of options": (
        flow_yaml(
            PARTS.replace("type: multiple_choice", "type: multiple_choice\n  max_selected: 5")
        ),
        [
            Problem(
                "questions[0] (parts).max_selected", "is more than the number of options (5 > 3)"
            )
        ],
    ),
    "required_unless naming an unknown question": (
        flow_yaml(NOTES.replace("required: false", "required_unless: phone")),
        [Problem("questions[0] (notes).required_unless", "unknown question 'phone'")],
    ),
    "required_unless naming a later question": (
        flow_yaml(NOTES.replace("required: false", "required_unless: q"), yes_no("q")),
        [
            Problem(
                "questions[0] (notes).required_unless",
                "'q' is not an earlier question; it must be asked before this one",
            )
        ],
    ),
    "contact section with unknown question, option and detail": (
        flow_yaml(
            ROLE,
            NOTES,
            tail="contact: {question: role, right_now: now, updates: oem,"
            " details: [notes, phone]}\n",
        ),
        [
            Problem("contact.right_now", "'role' has no option 'now'"),
            Problem("contact.details[1]", "unknown question 'phone'"),
        ],
    ),
    "contact section on an unknown question": (
        flow_yaml(ROLE, tail="contact: {question: reach_out, right_now: now}\n"),
        [Problem("contact.question", "unknown question 'reach_out'")],
    ),
    "contact section on a text question": (
        flow_yaml(NOTES, tail="contact: {question: notes}\n"),
        [Problem("contact.question", "'notes' is not a choice question")],
    ),
    "spec_version unsupported": (
        flow_yaml(ROLE, head=HEAD.replace("spec_version: 1", "spec_version: 2")),
        [Problem("spec_version", "unsupported 2; this reader knows 1")],
    ),
    "version below 1": (
        flow_yaml(ROLE, head=HEAD.replace("version: 1\ntitle", "version: 0\ntitle")),
        [Problem("version", "must be 1 or more, got 0")],
    ),
    "no questions": (
        HEAD + "questions: []\n",
        [Problem("questions", "a flow needs at least one question")],
    ),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_rule(tmp_path: Path, text: str, expected: list[Problem]) -> None:
    assert check(tmp_path, text) == expected


def test_two_clauses_on_a_multiple_choice_question_can_both_hold(tmp_path: Path) -> None:
    both = "{question: parts, any_of: [body]}, {question: parts, any_of: [tires]}"
    assert check(tmp_path, flow_yaml(PARTS, yes_no("q", both))) == []


def test_check_flow_works_on_flows_built_in_code(flow: Flow) -> None:
    future = replace(flow, spec_version=2)
    assert check_flow(future) == [Problem("spec_version", "unsupported 2; this reader knows 1")]


def test_check_file_returns_structural_problems_instead_of_raising(tmp_path: Path) -> None:
    problems = check(tmp_path, flow_yaml(ROLE.replace("options:", "choices:")))
    assert Problem("questions[0] (role).choices", "unknown key (allowed: id, type, text, options, "
                   "when, notice, constraint_message, field, number, required, min_selected, "
                   "max_selected, max_length, required_unless, snapshot, min_value, "
                   "max_value, unit)") in problems  # fmt: skip


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert check_file(missing) == [
        Problem(str(missing), "cannot read the file: No such file or directory")
    ]


SEGMENTS_HEAD = HEAD + "snapshots: on_completion\n"


def with_segments(segments: str, *questions: str) -> str:
    return flow_yaml(*questions, head=SEGMENTS_HEAD + f"segments: {segments}\n")


def test_a_declared_segment_is_read_and_clean(tmp_path: Path) -> None:
    text = with_segments("[{within: {role: supplier}, by: parts}]", ROLE, PARTS, yes_no("q"))
    assert check(tmp_path, text) == []


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (
            "[{within: {role: supplier}, by: part}]",
            [Problem("segments[0].by", "unknown question 'part'")],
        ),
        (
            "[{within: {role: boss}, by: parts}]",
            [Problem("segments[0].within.role", "'role' has no option 'boss'")],
        ),
        ("[{by: notes}]", [Problem("segments[0].by", "'notes' is not a choice question")]),
        (
            "[{within: {notes: x}, by: role}]",
            [Problem("segments[0].within.notes", "'notes' is not a choice question")],
        ),
        (
            "[{by: q}]",  # the last question: nothing after it to compare
            [
                Problem(
                    "segments[0]",
                    "no choice question (with a snapshot) comes after the questions that "
                    "define this segment: there is nothing to compare",
                )
            ],
        ),
        ("[{by: role}, {by: role}]", [Problem("segments[1]", "the same segment as segments[0]")]),
        (
            "[{by: role, among: x}]",
            [Problem("segments[0].among", "unknown key (allowed: by, within)")],
        ),
        (
            "[{within: [role], by: role}]",
            [Problem("segments[0].within", "must be a mapping, got a list")],
        ),
    ],
)
def test_segment_declarations_are_checked(
    tmp_path: Path, segments: str, expected: list[Problem]
) -> None:
    assert check(tmp_path, with_segments(segments, ROLE, PARTS, NOTES, yes_no("q"))) == expected


def test_snapshots_takes_three_values(tmp_path: Path) -> None:
    text = flow_yaml(ROLE, head=HEAD + "snapshots: sometimes\n")
    assert check(tmp_path, text) == [
        Problem("snapshots", "must be one of after_each, on_completion, off; got 'sometimes'")
    ]
