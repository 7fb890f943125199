"""Integer questions (ranges, the flow's own messages) and notes (shown, never answered)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dispatch.render import Renderer
from flows.check import check_flow
from flows.definition import load_flow
from flows.errors import Problem
from flows.events import AnswerRecorded
from flows.integers import validate_integer
from flows.model import Flow, Lang, Question, QuestionType, Text
from flows.parse_results import Invalid, InvalidReason, Parsed
from flows.replies import AskQuestion, InvalidAnswer, Note
from flows.state import Status
from tests.flows.script import Script

FLOW = """\
spec_version: 1
id: counts
version: 1
title: {zh: 人数调查, en: Head count}
preface: {zh: 引言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
questions:
  - id: intro
    type: note
    text: {zh: 先说明一下, en: A word first}
  - id: staff
    type: integer
    min_value: 1
    max_value: 100000
    constraint_message: {zh: 请填写 1 到 100000 之间的员工人数, en: Staff is 1 to 100000}
    text: {zh: 贵司有多少员工？, en: "How many staff?"}
  - id: role
    type: single_choice
    text: {zh: 角色, en: Role}
    options:
      - {id: oem, text: {zh: 主机厂, en: OEM}}
      - {id: supplier, text: {zh: 供应商, en: Supplier}}
  - id: supplier_note
    type: note
    when: [{question: role, any_of: [supplier]}]
    text: {zh: 以下问题仅限供应商, en: For suppliers only}
  - id: plants
    type: integer
    required: false
    when: [{question: role, any_of: [supplier]}]
    text: {zh: 工厂数量, en: Plants}
  - id: last
    type: yes_no
    text: {zh: 最后一题, en: "Last one?"}
  - id: bye
    type: note
    text: {zh: 就这些, en: That is all}
"""


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    path = tmp_path_factory.mktemp("flows") / "counts.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return load_flow(path)


# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("42", "42"), ("４２", "42"), ("-3", "-3"), ("＋7", "7"), ("－7", "-7"), ("\u22125", "-5"),
     ("1,200", "1200"), ("１，２００", "1200"), ("007", "7"), ("-0", "0"), (" 12 。", "12"),
     ("- 4", "-4")],
)  # fmt: skip
def test_whole_numbers_in_the_ways_people_type_them(raw: str, value: str) -> None:
    assert validate_integer(raw) == Parsed(text=value)


@pytest.mark.parametrize("raw", ["abc", "4.5", "1,20", "12 34", "+", "1e3", "9" * 16, "一百"])
def test_anything_else_is_not_an_integer(raw: str) -> None:
    assert validate_integer(raw) == Invalid(InvalidReason.NOT_INTEGER)


def test_empty_and_out_of_range() -> None:
    assert validate_integer("  ") == Invalid(InvalidReason.EMPTY)
    assert validate_integer("0", min_value=1, max_value=9) == Invalid(
        InvalidReason.OUT_OF_RANGE, {"min": 1, "max": 9, "given": 0}
    )
    assert validate_integer("-1", min_value=0) == Invalid(
        InvalidReason.OUT_OF_RANGE, {"min": 0, "max": None, "given": -1}
    )
    assert validate_integer("9", min_value=1, max_value=9) == Parsed(text="9")


@given(st.integers(-(10**15) + 1, 10**15 - 1), st.booleans())
def test_every_integer_reads_back(value: int, full_width: bool) -> None:
    raw = str(value)
    if full_width:
        raw = raw.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-"})
    assert validate_integer(raw) == Parsed(text=str(value))


# --- flow files and the checker ----------------------------------------------------------


def test_the_loader_reads_ranges_messages_and_notes(counts: Flow) -> None:
    staff = counts.question("staff")
    assert (staff.type, staff.min_value, staff.max_value) == (QuestionType.INTEGER, 1, 100000)
    assert staff.constraint_message == Text(
        "请填写 1 到 100000 之间的员工人数", "Staff is 1 to 100000"
    )
    assert counts.question("intro").is_note and not counts.question("staff").is_note


def test_the_checker_on_integers_notes_and_next(counts: Flow) -> None:
    from dataclasses import replace

    staff = counts.question("staff")
    bad = replace(
        counts,
        next="counts",
        questions=(
            replace(counts.question("intro"), notice=Text("注", "N")),
            replace(staff, min_value=9, max_value=1, constraint_message=Text("只有中文", "")),
            replace(counts.question("role"), min_value=0),
            *counts.questions[3:],
        ),
    )
    assert check_flow(bad) == [
        Problem("next", "a flow cannot be offered after itself"),
        Problem("questions[0] (intro).notice", "a note takes no notice; put it in its text"),
        Problem("questions[1] (staff).constraint_message.en", "missing English text"),
        Problem("questions[1] (staff).min_value", "is more than max_value (9 > 1)"),
        Problem(
            "questions[2] (role).min_value", "only integer and decimal questions take min_value"
        ),
    ]
    only_notes = replace(counts, questions=(counts.question("intro"),))
    assert Problem(
        "questions", "a flow needs at least one question to answer, not only notes"
    ) in check_flow(only_notes)


# --- the engine ----------------------------------------------------------------------------


def started(flow: Flow) -> Script:
    script = Script(flow)
    script.send("hi")
    script.send("中文")
    return script


def test_a_leading_note_comes_before_the_first_question_and_is_not_numbered(counts: Flow) -> None:
    script = started(counts)
    assert script.keys == ["language_set", "note", "question"]
    assert script.reply("note") == {"text": Text("先说明一下", "A word first")}
    question = script.reply("question")
    assert question["question"].id == "staff" and (question["number"], question["total"]) == (
        "1",
        4,
    )


def test_an_integer_answer_is_recorded_as_its_digits(counts: Flow) -> None:
    script = started(counts)
    script.send("１，２００")
    assert script.effects == [AnswerRecorded("staff", (), "1200")]
    assert script.keys == ["recorded", "question"]  # no peer snapshot for numbers
    assert script.current == "role"


def test_a_refused_number_shows_the_flows_own_message(counts: Flow) -> None:
    script = started(counts)
    script.send("100001")  # ("0" alone is the back command)
    invalid = script.reply("invalid_answer")
    assert invalid["reason"] == "out_of_range"
    assert invalid["message"] == counts.question("staff").constraint_message
    script.send("")  # an empty message only repeats the question
    script.send("很多")
    assert script.reply("invalid_answer")["message"] is not None  # not_integer: a constraint
    assert script.current == "staff" and script.effects == []


def test_zero_answers_an_integer_question_instead_of_going_back(counts: Flow) -> None:
    script = started(counts)
    script.send("0")
    assert script.reply("invalid_answer")["reason"] == "out_of_range"
    script.answer_all("12", "2")
    script.send("0")  # plants: none, a fine answer
    assert script.effects == [AnswerRecorded("plants", (), "0")] and script.current == "last"
    script.send("0")  # on a yes/no question, 0 is still "back"
    assert script.current == "plants"


def test_an_invalid_choice_keeps_the_engines_own_words(counts: Flow) -> None:
    script = started(counts)
    script.send("12")
    script.send("9")
    assert script.reply("invalid_answer")["message"] is None


def test_a_conditional_note_shows_only_when_it_applies(counts: Flow) -> None:
    oem = started(counts)
    oem.answer_all("12", "1")
    assert oem.keys == ["recorded", "snapshot", "question"] and oem.current == "last"
    # The OEM skips question 3: its number is skipped, nothing is renumbered.
    assert (oem.reply("question")["number"], oem.reply("question")["total"]) == ("4", 4)
    supplier = started(counts)
    supplier.answer_all("12", "2")
    assert (
        supplier.keys == ["recorded", "snapshot", "note", "question"]
        and supplier.current == "plants"
    )
    assert supplier.reply("question")["number"] == "3"
    assert supplier.reply("question")["total"] == 4


def test_a_trailing_note_comes_before_the_closing_and_notes_are_never_answers(
    counts: Flow,
) -> None:
    script = started(counts)
    script.answer_all("12", "2", "3", "是")
    assert script.keys[:4] == ["recorded", "snapshot", "note", "completed"]
    assert script.reply("note")["text"] == Text("就这些", "That is all")
    assert script.state.status is Status.COMPLETED
    assert set(script.state.answers) == {"staff", "role", "plants", "last"}
    script.send("我的答案")
    numbers = [
        (item["number"], item["question"].id) for item in script.reply("my_answers")["items"]
    ]
    assert numbers == [("1", "staff"), ("2", "role"), ("3", "plants"), ("4", "last")]
    script.send("修改 3")
    assert script.current == "plants"  # numbers count questions, never notes
    script.send("4")
    assert "note" not in script.keys  # an edit after completion shows no notes again


def test_back_from_after_a_note_goes_to_the_question_before_it(counts: Flow) -> None:
    script = started(counts)
    script.answer_all("12", "2")
    script.send("返回")
    assert script.current == "role" and "note" not in script.keys


# --- templates -----------------------------------------------------------------------------


def test_notes_and_messages_render_in_every_language(counts: Flow) -> None:
    renderer = Renderer()
    note = Note(Text("说明", "Note"))
    assert [renderer.render(note, lang) for lang in Lang] == ["说明", "Note", "说明\nNote"]
    staff = counts.question("staff")
    range_ = {"min": 1, "max": 100000, "given": 0}
    refused = InvalidAnswer(
        "out_of_range", range_, staff, 1, staff.constraint_message, lang=Lang.BOTH
    )
    text = renderer.render(refused, Lang.ZH)
    assert "请填写 1 到 100000 之间的员工人数" in text and "Staff is 1 to 100000" in text
    generic = replace(refused, message=None)
    text = renderer.render(generic, Lang.ZH)
    assert "请输入 1 到 100000 之间的整数" in text and "from 1 to 100000" in text
    open_ended = Question("n", QuestionType.INTEGER, Text("数", "N"), min_value=0)
    prompt = AskQuestion(open_ended, "1", 1, last_step=False, current=None, optional=False)
    assert "不小于 0" in renderer.render(prompt, Lang.ZH)
    assert "at least 0" in renderer.render(prompt, Lang.EN)


def test_a_flow_file_without_the_new_keys_is_unchanged(tmp_path: Path) -> None:
    flow = load_flow(Path(__file__).parents[2] / "flows" / "surveys" / "aiag_carbon.yaml")
    assert all(q.min_value is None and q.constraint_message is None for q in flow.questions)
    assert not any(q.is_note for q in flow.questions)
