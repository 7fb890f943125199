"""Question numbers: the survey's own, the same for everyone, validated by `surveybot check`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flows import numbering
from flows.definition import load_flow
from flows.errors import Problem
from flows.model import Flow
from tests.flows.script import Script

SUPPLIER = ["2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "GRI", "1", "1", "1"]
EXPECTED = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "10a", "11", "12", "13", "14"]


def seen_numbers(script: Script, answers: list[str]) -> list[tuple[object, object]]:
    shown = [(script.reply("question")["number"], script.reply("question")["total"])]
    for text in answers:
        script.send(text)
        shown.append((script.reply("question")["number"], script.reply("question")["total"]))
    return shown


def test_a_supplier_sees_the_seeds_numbers_and_a_total_that_never_grows(started: Script) -> None:
    shown = seen_numbers(started, SUPPLIER)
    assert [n for n, _ in shown] == EXPECTED
    assert {t for _, t in shown} == {14}


def test_an_oem_skips_numbers_rather_than_renumbering(started: Script) -> None:
    started.send("1")  # OEM: no commodity (2), no customer goal (8)
    assert started.reply("question")["number"] == "3"
    for _ in range(4):
        started.send("1")
    assert started.current == "lead_function"
    assert started.reply("question")["number"] == "7"
    started.send("1")
    assert (started.current, started.reply("question")["number"]) == ("supplier_goals", "9")


def test_the_contact_form_is_outside_the_count(started: Script) -> None:
    started.answer_all(*SUPPLIER, "1")  # 14: right now
    question = started.reply("question")
    assert started.current == "contact_consent"
    assert question["number"] is None
    # Labelled as the contact details: its questions are required once consent is given,
    # so not "last step (optional)"; the organisation step after it is.
    assert question["contact_details"] is True and question["last_step"] is False
    started.answer_all("1", "李伟", "上海某某汽车零部件有限公司", "13800138000", "跳过")
    assert started.current == "contact_time"
    assert started.reply("question")["contact_details"] is True
    started.send("跳过")
    assert started.current == "org_share"
    question = started.reply("question")
    assert question["last_step"] is True and question["contact_details"] is False


def test_change_by_a_follow_up_number(started: Script) -> None:
    started.answer_all(*SUPPLIER[:11])
    started.send("修改 10a")
    assert started.current == "reporting_explain"
    assert started.reply("question")["number"] == "10a"


def test_change_to_a_number_that_does_not_apply_is_refused(started: Script) -> None:
    started.send("1")  # OEM: question 2 is not asked
    started.send("修改 2")
    assert started.keys == ["change_unknown", "question"]
    assert started.current == "function"
    # Said as a question that depends on an earlier answer, not as one that does not exist.
    assert started.reply("change_unknown")["not_asked"] is True
    started.send("修改 99")
    assert started.reply("change_unknown")["not_asked"] is False


def test_my_answers_use_the_same_numbers(started: Script) -> None:
    started.answer_all(*SUPPLIER)
    started.send("我的答案")
    numbers = [item["number"] for item in started.reply("my_answers")["items"]]
    assert numbers == EXPECTED[:14]


def test_a_flow_without_numbers_is_numbered_by_position(flow: Flow) -> None:
    bare = replace(flow, questions=tuple(replace(q, number=None) for q in flow.questions))
    assert numbering.label(bare, "reporting_explain") == "11"
    assert numbering.label(bare, "contact_name") is None
    assert numbering.total(bare) == 15


def _problems(flow: Flow, **numbers: str | None) -> list[Problem]:
    questions = tuple(
        replace(q, number=numbers[q.id]) if q.id in numbers else q for q in flow.questions
    )
    return list(numbering.check_numbers(replace(flow, questions=questions)))


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ({"function": None}, "missing: when one question is numbered, all must be"),
        ({"function": "4"}, "'4' does not come after the previous number"),
        ({"function": "three"}, "'three' is not a number like 5 or 10a"),
        ({"function": "2a"}, "a lettered number is for a conditional follow-up (when:)"),
        (
            {"contact_name": "15"},
            "part of the contact form has no number (it is outside the count)",
        ),
    ],
)
def test_check_reports_numbering_mistakes(
    flow: Flow, numbers: dict[str, str | None], message: str
) -> None:
    assert message in [p.message for p in _problems(flow, **numbers)]


def test_check_reports_a_gap(flow: Flow) -> None:
    numbers = {q.id: q.number for q in flow.questions if q.number is not None}
    shifted = {qid: str(int(n) + 1) for qid, n in numbers.items() if n.isdigit() and int(n) >= 5}
    shifted["reporting_explain"] = "11a"
    problems = _problems(flow, **shifted)
    assert [p.message for p in problems] == ["expected 5, got '6' (no gaps)"]


def test_the_shipped_survey_passes_check(flow: Flow) -> None:
    assert list(numbering.check_numbers(flow)) == []


def test_surveybot_check_reports_a_bad_number(tmp_path: Path) -> None:
    from flows.check import check_file
    from flows.surveys import DEFAULT_FLOW

    text = DEFAULT_FLOW.read_text(encoding="utf-8").replace('number: "10a"', "number: 10", 1)
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    assert any("does not come after" in str(p) for p in check_file(path))
    assert load_flow(DEFAULT_FLOW).question("reporting_explain").number == "10a"


def test_a_changed_copy_of_a_flow_gets_its_own_numbers(flow: Flow) -> None:
    """Numbers are worked out once per flow and kept; a copy made with other questions
    (dataclasses.replace) must not inherit the original's."""
    assert numbering.total(flow) == 14
    shorter = replace(flow, questions=flow.questions[:3])
    assert numbering.labels(shorter) == {q.id: q.number for q in shorter.questions}
    assert numbering.total(shorter) == 3
    assert numbering.total(flow) == 14  # the original keeps its own
    labels = numbering.labels(flow)
    labels.clear()  # a caller's copy: the kept numbers are not touched
    assert numbering.label(flow, flow.questions[0].id) == "1"
