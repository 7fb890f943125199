"""Numbers with units (flows.quantities): what respondents type, what is stored."""

from __future__ import annotations

import pytest

from flows.answer_parsing import parse_answer
from flows.chinese_numbers import chinese_number
from flows.model import Question, QuestionType, Text
from flows.parse_results import Invalid, InvalidReason, Parsed
from flows.quantities import parse_quantity
from flows.units import declared_unit

# (declared unit, typed, stored number)
ACCEPTED = [
    ("tCO2e", "12000", "12000"),
    ("tCO2e", "12,000", "12000"),
    ("tCO2e", "12,000.50 tCO2e", "12000.5"),
    ("tCO2e", "１２０００吨", "12000"),
    ("tCO2e", "1.5万吨", "15000"),
    ("tCO2e", "1.5 万吨", "15000"),
    ("tCO2e", "15 kt", "15000"),
    ("tCO2e", "15 ktCO2e", "15000"),
    ("tCO2e", "1200 tCO₂e", "1200"),
    ("tCO2e", "1200 t CO2-e", "1200"),
    ("tCO2e", "1200吨二氧化碳当量", "1200"),
    ("tCO2e", "500 kg", "0.5"),
    ("tCO2e", "一万二千吨", "12000"),
    ("tCO2e", "一万二", "12000"),
    ("tCO2e", "约1200吨", "1200"),
    ("tCO2e", "about 1,200 t.", "1200"),
    ("tCO2e", "1.2 million t", "1200000"),
    ("t", "3千吨", "3000"),
    ("kWh", "2 MWh", "2000"),
    ("kWh", "两万度", "20000"),
    ("kWh", "3万千瓦时", "30000"),
    ("kWh", "3 万 度", "30000"),
    ("kWh", "五千瓦时", "5"),
    ("kWh", "1 GWh", "1000000"),
    ("MWh", "1200 kWh", "1.2"),
    ("MWh", "30万度", "300"),
    ("MWh", "3万千瓦时", "30"),
    ("MWh", "250兆瓦时", "250"),
    ("MWh", "0.5", "0.5"),
    ("%", "35%", "35"),
    ("%", "３５％", "35"),
    ("%", "35 percent", "35"),
    ("%", "百分之三十", "30"),
    ("%", "百分之12.5", "12.5"),
    ("%", "12.50", "12.5"),
]


@pytest.mark.parametrize(("unit", "typed", "stored"), ACCEPTED)
def test_a_number_with_a_unit_is_stored_in_the_declared_unit(
    unit: str, typed: str, stored: str
) -> None:
    result = parse_quantity(typed, declared_unit(unit))
    assert result == Parsed(text=stored, original=typed.strip()), typed


# (declared unit, typed, reason, params that must be in the refusal)
REFUSED: list[tuple[str, str, InvalidReason, dict[str, object]]] = [
    ("tCO2e", "", InvalidReason.EMPTY, {}),
    ("tCO2e", "不知道", InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "abc", InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "1,5", InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "1 200", InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "3-5 t", InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "9" * 40, InvalidReason.NOT_NUMBER, {}),
    ("tCO2e", "5 kWh", InvalidReason.WRONG_UNIT, {"unit": "tCO2e", "given": "kWh"}),
    ("tCO2e", "5 apples", InvalidReason.WRONG_UNIT, {"unit": "tCO2e", "given": "apples"}),
    ("MWh", "20 吨", InvalidReason.WRONG_UNIT, {"unit": "MWh", "given": "吨"}),
    ("kWh", "30%", InvalidReason.WRONG_UNIT, {"unit": "kWh", "given": "%"}),
    ("tCO2e", "百分之三十", InvalidReason.WRONG_UNIT, {"unit": "tCO2e", "given": "%"}),
    ("%", "3 MWh", InvalidReason.WRONG_UNIT, {"unit": "%", "given": "MWh"}),
]


@pytest.mark.parametrize(("unit", "typed", "reason", "params"), REFUSED)
def test_a_wrong_unit_or_no_number_is_refused_with_its_reason(
    unit: str, typed: str, reason: InvalidReason, params: dict[str, object]
) -> None:
    result = parse_quantity(typed, declared_unit(unit))
    assert isinstance(result, Invalid) and result.reason is reason, (typed, result)
    assert dict(result.params) == params


def test_ranges_apply_to_the_converted_number() -> None:
    tonnes = declared_unit("tCO2e")
    assert parse_quantity("1.5万吨", tonnes, max_value=10_000) == Invalid(
        InvalidReason.OUT_OF_RANGE, {"min": None, "max": 10_000, "given": "15000"}
    )
    assert parse_quantity("-5", tonnes, min_value=0) == Invalid(
        InvalidReason.OUT_OF_RANGE, {"min": 0, "max": None, "given": "-5"}
    )
    assert isinstance(parse_quantity("0.9万吨", tonnes, max_value=10_000), Parsed)


def test_an_integer_question_with_a_unit_needs_a_whole_converted_number() -> None:
    kwh = declared_unit("kWh")
    assert parse_quantity("1.5 MWh", kwh, whole=True) == Parsed(text="1500", original="1.5 MWh")
    assert parse_quantity("1.5", kwh, whole=True) == Invalid(InvalidReason.NOT_INTEGER)


def test_parse_answer_reads_decimal_and_unit_questions() -> None:
    share = Question(
        "renewable", QuestionType.DECIMAL, Text("比例", "Share"), unit="%", min_value=0,
        max_value=100,
    )  # fmt: skip
    assert parse_answer(share, "百分之三十") == Parsed(text="30", original="百分之三十")
    refused = parse_answer(share, "120%")
    assert isinstance(refused, Invalid) and refused.reason is InvalidReason.OUT_OF_RANGE
    plain = Question("ratio", QuestionType.DECIMAL, Text("比值", "Ratio"))
    assert parse_answer(plain, "1.5万") == Parsed(text="15000", original="1.5万")
    assert parse_answer(plain, "2 kWh") == Invalid(InvalidReason.NOT_NUMBER)
    # An integer question without a unit keeps its plain reading (no original text).
    count = Question("plants", QuestionType.INTEGER, Text("工厂数", "Plants"))
    assert parse_answer(count, "1,200") == Parsed(text="1200")


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("十五", "15"), ("三百五", "350"), ("一万零二", "10002"), ("一亿二千万", "120000000"),
     ("三点五", "3.5"), ("零点五", "0.5"), ("两万", "20000")],
)  # fmt: skip
def test_chinese_numerals(numeral: str, value: str) -> None:
    assert str(chinese_number(numeral)) == value


@pytest.mark.parametrize("text", ["千", "一二", "万", "三点", "三点五千", "abc", ""])
def test_what_is_not_a_chinese_numeral(text: str) -> None:
    assert chinese_number(text) is None
