"""Flow → XLSForm → Flow gives the same flow: the shipped survey and every feature."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows.definition import load_flow, parse_flow
from flows.model import Flow, QuestionType
from flows.surveys import DEFAULT_FLOW, shipped_flow_paths
from flows.xlsform import export_xlsform, flow_yaml, import_xlsform

# Every construct the converter carries: integer ranges and messages, notes with
# conditions, selection counts, or-groups, custom yes/no labels, fields, next.
EVERYTHING = """
spec_version: 1
id: everything
version: 3
next: aiag_carbon
title: {zh: 全部, en: Everything}
preface: {zh: "第一段\\n\\n第二段", en: "First\\n\\nSecond"}
closing: {zh: 谢谢, en: Thanks}
followup: {zh: 下一份, en: Next one}
questions:
  - id: welcome
    type: note
    text: {zh: 欢迎, en: Welcome}
  - id: role
    type: single_choice
    text: {zh: 角色, en: Role}
    options:
      - {id: oem, text: {zh: 主机厂, en: OEM}}
      - {id: supplier, text: {zh: 供应商, en: Supplier}}
      - {id: other, text: {zh: "=其他", en: "=Other"}}
  - id: staff
    type: integer
    min_value: -5
    max_value: 100000
    constraint_message: {zh: 请输入人数, en: Enter a head count}
    when: [{question: role, any_of: [oem, supplier]}]
    text: {zh: 员工人数, en: Staff}
  - id: parts
    type: multiple_choice
    required: false
    min_selected: 2
    max_selected: 3
    max_length: 80
    snapshot: false
    when: [{question: role, any_of: [supplier]}, {question: role, any_of: [supplier, other]}]
    notice: {zh: 注意, en: Mind}
    text: {zh: 零件, en: Parts}
    options:
      - {id: a, text: {zh: 甲, en: A}}
      - {id: b, text: {zh: 乙, en: B}}
      - {id: c, text: {zh: 丙, en: C}}
      - {id: none, exclusive: true, text: {zh: 无, en: None}}
  - id: parts_note
    type: note
    when: [{question: parts, any_of: [a, b]}]
    text: {zh: 关于零件, en: About parts}
  - id: sure
    type: yes_no
    text: {zh: 确定吗, en: "Sure?"}
    options:
      - {id: 'yes', text: {zh: 确定, en: Certain}}
      - {id: 'no', text: {zh: 不确定, en: Unsure}}
  - id: same_options
    type: single_choice
    text: {zh: 再选, en: Again}
    options:
      - {id: oem, text: {zh: 主机厂, en: OEM}}
      - {id: supplier, text: {zh: 供应商, en: Supplier}}
      - {id: other, text: {zh: "=其他", en: "=Other"}}
  - id: comment
    type: text
    required: false
    max_length: 300
    text: {zh: 意见, en: Comment}
  - id: contact
    type: multiple_choice
    text: {zh: 联系, en: Contact}
    options:
      - {id: right_now, text: {zh: 立即, en: Now}}
      - {id: no_need, exclusive: true, text: {zh: 不需要, en: No need}}
  - id: consent
    type: yes_no
    when: [{question: contact, any_of: [right_now]}]
    text: {zh: 同意吗, en: "Agree?"}
  - id: phone
    type: field
    field: phone
    required: false
    when: [{question: consent, any_of: ['yes']}]
    text: {zh: 电话, en: Phone}
  - id: email
    type: field
    field: email
    required_unless: phone
    when: [{question: consent, any_of: ['yes']}]
    text: {zh: 邮箱, en: E-mail}
  - id: bye
    type: note
    text: {zh: 再见, en: Bye}
contact:
  question: contact
  right_now: right_now
  details: [phone, email]
"""


def round_trip(flow: Flow, tmp_path: Path) -> Flow:
    export_xlsform(flow, tmp_path / "form.xlsx")
    result = import_xlsform(tmp_path / "form.xlsx")
    # The YAML text written from the workbook reads back to the same flow as well.
    (tmp_path / "flow.yaml").write_text(flow_yaml(result.data), encoding="utf-8")
    assert load_flow(tmp_path / "flow.yaml") == result.flow
    return result.flow


@pytest.mark.parametrize("path", shipped_flow_paths(), ids=lambda p: p.name)
def test_every_shipped_flow_survives_export_and_import(path: Path, tmp_path: Path) -> None:
    flow = load_flow(path)
    again = round_trip(flow, tmp_path)
    assert again == flow
    # Field by field too, so a failure says what differs.
    assert again.questions == flow.questions and again.contact == flow.contact


def test_every_feature_survives_export_and_import(tmp_path: Path) -> None:
    (tmp_path / "everything.yaml").write_text(EVERYTHING, encoding="utf-8")
    flow = load_flow(tmp_path / "everything.yaml")
    assert round_trip(flow, tmp_path) == flow


def test_the_exported_workbook_is_plain_xlsform(tmp_path: Path) -> None:
    export_xlsform(load_flow(DEFAULT_FLOW), tmp_path / "aiag.xlsx")
    workbook = load_workbook(tmp_path / "aiag.xlsx", read_only=True)
    survey = [list(r) for r in workbook["survey"].iter_rows(values_only=True)]
    settings = [list(r) for r in workbook["settings"].iter_rows(values_only=True)]
    workbook.close()
    head = survey[0]
    rows = {r[1]: dict(zip(head, r, strict=True)) for r in survey[1:]}
    assert head[:4] == ["type", "name", "label::中文 (zh)", "label::English (en)"]
    assert rows["role"]["type"] == "select_one role"
    assert rows["carbon_policy"]["type"] == "select_one yes_no"
    assert rows["commodity"]["relevant"] == "${role} = 'supplier'"
    assert rows["contact_name"]["relevant"] == "${contact_consent} = 'yes'"
    assert rows["contact_email"]["required"] == "${contact_phone} = ''"
    assert rows["contact_time"]["constraint"] == "string-length(.) <= 100"
    assert rows["contact_consent"]["hint::English (en)"].startswith("Personal information")
    setting = dict(zip(settings[0], settings[1], strict=True))
    assert (setting["form_id"], setting["version"], setting["next"]) == (
        "aiag_carbon",
        3,
        "aiag_pcf_followup",
    )
    assert (setting["organisation_question"], setting["organisation_key"]) == (
        "org_company",
        "org_code",
    )
    assert setting["segments"] == "role=supplier/commodity"
    assert setting["contact_details"].split()[0] == "contact_name"


def test_a_single_choice_over_yes_and_no_comes_back_as_yes_no(tmp_path: Path) -> None:
    """The one documented asymmetry: such a question reads better as yes_no anyway."""
    flow = parse_flow(
        {
            "spec_version": 1,
            "id": "tiny",
            "version": 1,
            "title": {"zh": "标题", "en": "Title"},
            "preface": {"zh": "引言", "en": "Preface"},
            "closing": {"zh": "谢谢", "en": "Thanks"},
            "questions": [
                {
                    "id": "ok",
                    "type": "single_choice",
                    "text": {"zh": "好吗", "en": "OK?"},
                    "options": [
                        {"id": "yes", "text": {"zh": "是", "en": "Yes"}},
                        {"id": "no", "text": {"zh": "否", "en": "No"}},
                    ],
                }
            ],
        }
    )
    again = round_trip(flow, tmp_path)
    assert again.question("ok").type is QuestionType.YES_NO
    assert again.question("ok").options == flow.question("ok").options
