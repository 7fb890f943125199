"""The 统一社会信用代码 check digit (GB 32100-2015), name keys and likeness."""

from __future__ import annotations

import pytest

from flows.definition import load_flow_text
from flows.errors import FlowFileError, Problem
from flows.fields import validate_field
from flows.model import FieldKind
from flows.organisation import (
    PROPOSE_AT,
    UsccError,
    clean_uscc,
    likeness,
    name_key,
    plant_key,
    uscc_check_digit,
    uscc_error,
)
from flows.parse_results import Invalid, InvalidReason, Parsed

# Published codes: a Fuzhou unit (the standard's own example form) and two companies.
VALID = ["91350100M000100Y43", "91110000600037341L", "914403001922038216"]


@pytest.mark.parametrize("code", VALID)
def test_real_codes_pass(code: str) -> None:
    assert uscc_error(code) is None
    assert uscc_check_digit(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y44", UsccError.CHECK_DIGIT),  # last character changed
        ("91350100M000100Y34", UsccError.CHECK_DIGIT),  # two characters swapped
        ("91350100M000100Y4", UsccError.LENGTH),
        ("91350100M000100Y433", UsccError.LENGTH),
        ("91350100M00010OY43", UsccError.CHARACTER),  # O is not in the code's set
        ("9135010OM000100Y43", UsccError.CHARACTER),
        ("913501A0M000100Y43", UsccError.REGION),  # positions 3–8 are six digits
    ],
)
def test_wrong_codes_say_what_is_wrong(code: str, problem: UsccError) -> None:
    assert uscc_error(code) is problem


def test_a_typed_code_is_cleaned_before_the_check() -> None:
    assert clean_uscc(" ９１３５ ０１００-m０００１００y４３ ") == "91350100M000100Y43"


def test_the_field_stores_the_clean_code_and_refuses_a_bad_one() -> None:
    assert validate_field(FieldKind.USCC, "91350100m000100y43", max_length=500) == Parsed(
        text="91350100M000100Y43"
    )
    refused = validate_field(FieldKind.USCC, "91350100M000100Y44", max_length=500)
    assert refused == Invalid(InvalidReason.INVALID_USCC, {"problem": "check_digit"})


@pytest.mark.parametrize(
    "spelling",
    [
        "上海某某汽车零部件有限公司",
        "上海某某汽车零部件股份有限公司",
        "上海某某汽车零部件（有限公司）",
        " 上海某某 汽车零部件有限责任公司 ",
    ],
)
def test_legal_forms_width_and_spaces_do_not_count(spelling: str) -> None:
    assert name_key(spelling) == "上海某某汽车零部件"


def test_english_legal_forms_and_case_do_not_count() -> None:
    assert name_key("ACME Co., Ltd.") == name_key("acme ltd") == name_key("ＡＣＭＥ Limited")


def test_plant_keys_ignore_a_trailing_city_word() -> None:
    assert plant_key("上海市") == plant_key(" 上海 ") == "上海"
    assert plant_key(None) == plant_key("") == ""


def test_a_trade_short_form_is_a_likeness_not_the_same_key() -> None:
    long, short = name_key("上海某某汽车零部件有限公司"), name_key("上海某某汽配")
    assert long != short  # never merged on its own
    assert likeness(long, short) >= PROPOSE_AT  # but proposed to staff


def test_different_companies_are_not_proposed() -> None:
    assert likeness(name_key("上海某某汽配"), name_key("北京另一家电池有限公司")) < PROPOSE_AT
    assert likeness(name_key("上海某某"), name_key("上海某甲")) < PROPOSE_AT


HEAD = """spec_version: 1
id: tiny
version: 1
title: {zh: 标题, en: Title}
preface: {zh: 引言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
questions:
  - {id: share, type: yes_no, required: false, text: {zh: 告诉我们, en: Tell us}}
  - {id: company, type: field, field: company, when: [{question: share, any_of: [yes]}],
     text: {zh: 公司, en: Company}}
  - {id: code, type: field, field: uscc, when: [{question: share, any_of: [yes]}],
     text: {zh: 代码, en: Code}}
  - {id: plant, type: field, field: text, required: false, text: {zh: 工厂, en: Plant}}
"""


def problems(extra: str) -> list[Problem]:
    try:
        load_flow_text(HEAD + extra)
    except FlowFileError as error:
        return error.problems
    return []


def test_check_names_each_mistake_in_the_organisation_step() -> None:
    found = problems(
        "organisation: {ask: share, question: company, key: code, plant: plant}\ncounting: plant\n"
    )
    assert found == [
        Problem("organisation.key", "'code' must be `required: false` (not everyone has the code)"),
        Problem("organisation.plant", "'plant' must be asked only after yes to 'share'"),
    ]


def test_counting_per_organisation_needs_the_step_and_a_known_unit() -> None:
    assert problems("counting: organisation\n") == [
        Problem("counting", "counting per organisation needs an organisation: step")
    ]
    assert problems("organisation: {question: plant}\n") == [
        Problem("organisation.question", "'plant' must be a field question with field: company")
    ]
    assert problems("organisation: {question: company}\ncounting: per_head\n")[0].place == (
        "counting"
    )
