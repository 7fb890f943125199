"""The PCF follow-up survey: authored in XLSForm, imported, shipped, and walked end to end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flows.definition import load_flow
from flows.events import AnswerRecorded, ContactRequested, SurveyCompleted
from flows.model import Flow, QuestionType
from flows.state import Status
from flows.surveys import DEFAULT_FLOW, shipped_flow_paths
from flows.surveys.sources import build_pcf_followup
from flows.xlsform import flow_yaml, generated_header, import_xlsform
from tests.flows.script import Script

SURVEYS = DEFAULT_FLOW.parent
WORKBOOK = build_pcf_followup.WORKBOOK
SHIPPED = SURVEYS / "aiag_pcf_followup.yaml"


@pytest.fixture(scope="module")
def followup() -> Flow:
    return load_flow(SHIPPED)


def test_the_shipped_yaml_is_a_fresh_import_of_the_workbook() -> None:
    fresh = flow_yaml(import_xlsform(WORKBOOK).data, header=generated_header(WORKBOOK.name))
    assert SHIPPED.read_text(encoding="utf-8") == fresh, (
        "flows/surveys/aiag_pcf_followup.yaml is stale: run `surveybot import-xlsform "
        f"{WORKBOOK.relative_to(SURVEYS.parents[1])} -o {SHIPPED.relative_to(SURVEYS.parents[1])}`"
    )


def test_the_workbook_is_what_the_build_script_writes(tmp_path: Path) -> None:
    rebuilt = build_pcf_followup.build(tmp_path / "rebuilt.xlsx")
    assert import_xlsform(rebuilt).data == import_xlsform(WORKBOOK).data, (
        "aiag_pcf_followup.xlsx is stale: run flows/surveys/sources/build_pcf_followup.py"
    )


def test_identity_and_the_issue_content(followup: Flow) -> None:
    assert (followup.id, followup.version) == ("aiag_pcf_followup", 2)
    assert [q.id for q in followup.questions if q.role is None and not q.is_note][:16] == [
        "pcf_status", "pcf_standard", "pcf_standard_other", "scopes", "scope3_hardest",
        "scope3_hardest_other", "scope12_emissions", "electricity_use", "renewable_share",
        "emission_factors", "tools", "supplier_data_share",
        "customer_formats", "verification", "obstacles", "pilot_interest",
    ]  # fmt: skip
    exclusive = {
        q.id: [o.id for o in q.options if o.exclusive]
        for q in followup.questions
        if any(o.exclusive for o in q.options)
    }
    assert exclusive == {
        "pcf_standard": ["not_determined"],
        "scopes": ["none_yet"],
        "emission_factors": ["none_yet"],
        "tools": ["none"],
        "customer_formats": ["none"],
        "contact": ["no_need"],
    }
    kinds = {q.id: q.type for q in followup.questions}
    assert kinds["scope_definitions"] is QuestionType.NOTE
    assert kinds["pcf_status"] is kinds["verification"] is QuestionType.SINGLE
    assert kinds["obstacles"] is QuestionType.MULTI
    # "How much": the figures declare their units (flows.units).
    units = {q.id: (q.type, q.unit, q.min_value, q.max_value) for q in followup.questions if q.unit}
    assert units == {
        "scope12_emissions": (QuestionType.DECIMAL, "tCO2e", 0, 100_000_000),
        "electricity_use": (QuestionType.DECIMAL, "MWh", 0, 100_000_000),
        "renewable_share": (QuestionType.DECIMAL, "%", 0, 100),
    }


def test_the_contact_question_and_form_are_the_first_surveys(followup: Flow) -> None:
    first = load_flow(DEFAULT_FLOW)
    assert followup.contact == first.contact
    assert first.contact is not None
    form = [first.contact.question, "contact_consent", *first.contact.detail_questions]
    # Word for word; the first survey numbers its contact question (14), the follow-up not.
    assert [followup.question(q) for q in form] == [
        replace(first.question(q), number=None) for q in form
    ]


def test_the_first_survey_offers_a_shipped_flow_next() -> None:
    flows = {load_flow(path).id: load_flow(path) for path in shipped_flow_paths()}
    assert flows["aiag_carbon"].next == "aiag_pcf_followup"
    for flow in flows.values():
        assert flow.next is None or flow.next in flows, flow.id


def test_a_supplier_walks_the_whole_survey(followup: Flow) -> None:
    script = Script(followup)
    script.send("你好")
    script.send("双语")
    assert script.current == "pcf_status"
    assert script.reply("question")["number"] == "1"
    script.send("2")  # some products
    script.send("1,5")  # ISO 14067 + other
    assert script.current == "pcf_standard_other"
    script.send("PCR for castings")
    # The scope definitions are shown on the way to the scopes question, not numbered.
    assert script.keys == ["recorded", "note", "question"]
    assert script.reply("note")["text"] == followup.question("scope_definitions").text
    assert script.current == "scopes" and script.reply("question")["number"] == "4"
    script.send("1,2,3")
    assert script.current == "scope3_hardest"
    script.send("1、6")  # purchased goods + other
    script.send("钢材碳数据")
    assert script.current == "scope12_emissions"  # scopes 1 and 2 are quantified
    script.answer_all("1.5万吨", "3万千瓦时", "３５％")
    script.answer_all("1,3,5", "2", "2", "1,4", "2", "1,2", "1")
    assert script.current == "contact"
    script.send("1")
    script.send("是")
    script.answer_all("李四", "某某汽车零部件有限公司", "13800138000", "跳过", "跳过")
    assert script.state.status is Status.COMPLETED
    assert any(isinstance(e, SurveyCompleted) for e in script.effects)
    contact = [e for e in script.effects if isinstance(e, ContactRequested)]
    assert contact and contact[0].details["contact_phone"] == "+8613800138000"
    answers = script.state.answers
    assert answers["scope3_hardest"].options == ("purchased_goods", "other")
    assert answers["verification"].options == ("in_progress",)
    figures = {q: (answers[q].text, answers[q].original) for q in ("scope12_emissions",
               "electricity_use", "renewable_share")}  # fmt: skip
    assert figures == {
        "scope12_emissions": ("15000", "1.5万吨"),
        "electricity_use": ("30", "3万千瓦时"),
        "renewable_share": ("35", "３５％"),
    }
    assert "scope_definitions" not in answers


def test_no_footprint_yet_skips_standards_and_verification(followup: Flow) -> None:
    script = Script(followup)
    script.send("hi")
    script.send("English")
    script.send("4")  # no
    assert (
        script.keys == ["recorded", "snapshot", "note", "question"] and script.current == "scopes"
    )
    script.send("5")  # none yet: no scope 3 question, no emissions figure
    assert script.current == "electricity_use"
    script.send("20 吨")  # a mass is no amount of electricity: asked again, nothing kept
    assert script.keys == ["invalid_answer", "question"]
    assert script.reply("invalid_answer")["reason"] == "wrong_unit"
    script.send("skip")
    script.send("120%")  # out of range
    assert script.reply("invalid_answer")["reason"] == "out_of_range"
    assert script.current == "renewable_share"
    script.send("skip")
    assert script.current == "emission_factors"
    script.answer_all("6", "6", "1", "5")
    assert script.current == "obstacles"  # verification is for those who calculated
    script.answer_all("1", "3", "4")
    assert script.state.status is Status.COMPLETED
    recorded = [e.question_id for e in script.effects if isinstance(e, AnswerRecorded)]
    assert recorded == ["contact"]
    asked = set(script.state.answers)
    assert not asked & {"pcf_standard", "scope3_hardest", "verification"}
