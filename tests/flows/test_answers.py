"""flows.answer_parsing: what respondents type becomes option ids, or a reason why not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.answer_parsing import (
    Invalid,
    InvalidReason,
    Parsed,
    normalize,
    normalize_text,
    parse_answer,
    parse_yes_no,
)
from flows.model import NO, YES, FieldKind, Option, Question, QuestionType, Text

ROLE = Question(
    "role",
    QuestionType.SINGLE,
    Text("贵公司的角色?", "Your company's role?"),
    options=(
        Option("oem", Text("主机厂", "OEM")),
        Option("tier1", Text("一级供应商", "Tier 1 supplier")),
        Option("tier2", Text("二级供应商", "Tier 2 supplier")),
        Option("other", Text("其他", "Other")),
    ),
)
MATERIALS = Question(
    "materials",
    QuestionType.MULTI,
    Text("主要材料?", "Main materials?"),
    options=(
        Option("steel", Text("钢铁", "Steel")),
        Option("alu", Text("铝", "Aluminium")),
        Option("plastics", Text("塑料", "Plastics")),
        Option("glass", Text("玻璃", "Glass")),
        Option("none", Text("以上都没有", "None of these"), exclusive=True),
    ),
    min_selected=1,
    max_selected=3,
)
PAIR = Question(
    "pair",
    QuestionType.MULTI,
    Text("选两项", "Pick two"),
    options=MATERIALS.options,
    min_selected=2,
)
TARGET = Question(
    "target",
    QuestionType.YES_NO,
    Text("有减碳目标吗?", "A carbon target?"),
    options=(Option(YES, Text("是", "Yes")), Option(NO, Text("否", "No"))),
)
COMMENT = Question("comment", QuestionType.TEXT, Text("意见", "Comments"), max_length=20)
PHONE = Question(
    "phone", QuestionType.FIELD, Text("手机", "Mobile"), field=FieldKind.PHONE, max_length=40
)
CHOICE_QUESTIONS = (ROLE, MATERIALS, PAIR, TARGET)


def chosen(*ids: str) -> Parsed:
    return Parsed(options=ids)


def reason(result: Parsed | Invalid) -> InvalidReason | None:
    return result.reason if isinstance(result, Invalid) else None


@pytest.fixture
def role() -> Question:
    return ROLE


@pytest.fixture
def materials() -> Question:
    return MATERIALS


# --- normalisation -------------------------------------------------------------------


def test_normalize_folds_full_width_and_collapses_whitespace() -> None:
    assert normalize("  １２３，Ｂ\u3000\t x\n") == "123,B x"


def test_normalize_drops_control_and_format_characters() -> None:
    assert normalize("1\x00\u200b,\u202e3\x1b") == "1,3"


def test_normalize_text_keeps_lines_and_chinese_punctuation() -> None:
    assert (
        normalize_text(" 排放量，约 5 tCO₂e\r\n\n\n\n下一行\x07 ") == "排放量，约 5 tCO₂e\n\n下一行"
    )


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("1", "oem"), ("２", "tier1"), (" 4 ", "other")])
def test_option_numbers_are_one_based_ascii_or_full_width(
    role: Question, raw: str, expected: str
) -> None:
    assert parse_answer(role, raw) == chosen(expected)


@pytest.mark.parametrize("raw", ["0", "5", "99999999999999999999", "9" * 5000])
def test_number_out_of_range_is_not_an_option(role: Question, raw: str) -> None:
    result = parse_answer(role, raw)
    assert isinstance(result, Invalid)
    assert result.reason is InvalidReason.NOT_AN_OPTION
    assert result.params["count"] == 4


def test_a_copied_numbered_line_is_accepted(role: Question) -> None:
    assert parse_answer(role, "2.") == chosen("tier1")
    assert parse_answer(role, "1. 主机厂 (OEM)") == chosen("oem")


@pytest.mark.parametrize("raw", ["1,3", "1、3", "1 3", "1，３", "1;3", "1；3", "3,1", "1,1,3"])
def test_numeric_lists_in_every_separator(materials: Question, raw: str) -> None:
    assert parse_answer(materials, raw) == chosen("steel", "plastics")


def test_options_on_separate_lines(materials: Question) -> None:
    assert parse_answer(materials, "钢铁\n塑料") == chosen("steel", "plastics")


# --- option texts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["主机厂", "OEM", "oem", "ＯＥＭ", "主机厂 (OEM)", "主机厂（OEM）", "主机厂 OEM", "主机厂OEM"],
)
def test_option_text_in_either_language_or_bilingual_form(role: Question, raw: str) -> None:
    assert parse_answer(role, raw) == chosen("oem")


@pytest.mark.parametrize(
    ("raw", "expected"), [("tier 1", "tier1"), ("一级", "tier1"), ("oth", "other")]
)
def test_unique_prefix_selects(role: Question, raw: str, expected: str) -> None:
    assert parse_answer(role, raw) == chosen(expected)


def test_a_single_chinese_character_is_enough_when_unique(materials: Question) -> None:
    assert parse_answer(materials, "铝") == chosen("alu")
    assert parse_answer(materials, "玻") == chosen("glass")


def test_a_single_latin_letter_is_too_short(materials: Question) -> None:
    assert reason(parse_answer(materials, "g")) is InvalidReason.UNKNOWN_OPTION


def test_ambiguous_prefix_names_the_candidates(role: Question) -> None:
    result = parse_answer(role, "Tier")
    assert isinstance(result, Invalid)
    assert result.reason is InvalidReason.AMBIGUOUS
    assert result.params["candidates"] == ("tier1", "tier2")


def test_exact_text_wins_over_a_prefix_of_another_option() -> None:
    question = Question(
        "q",
        QuestionType.SINGLE,
        Text("q", "q"),
        options=(
            Option("steel", Text("钢", "Steel")),
            Option("alloy", Text("钢合金", "Steel alloy")),
        ),
    )
    assert parse_answer(question, "steel") == chosen("steel")
    assert parse_answer(question, "钢") == chosen("steel")


def test_text_matching_nothing_is_unknown(role: Question) -> None:
    result = parse_answer(role, "卡车")
    assert isinstance(result, Invalid)
    assert result.reason is InvalidReason.UNKNOWN_OPTION
    assert result.params["given"] == "卡车"


def test_text_list_split_on_punctuation_mixing_numbers(materials: Question) -> None:
    assert parse_answer(materials, "Steel，塑料。") == chosen("steel", "plastics")
    assert parse_answer(materials, "glass; 1") == chosen("steel", "glass")


def test_an_option_text_containing_a_separator_still_matches() -> None:
    question = Question(
        "q",
        QuestionType.SINGLE,
        Text("q", "q"),
        options=(
            Option("ev", Text("电动、混动", "EV, hybrid")),
            Option("ice", Text("燃油", "ICE")),
        ),
    )
    assert parse_answer(question, "EV, hybrid") == chosen("ev")
    assert parse_answer(question, "电动、混动") == chosen("ev")


# --- selection rules ------------------------------------------------------------------


def test_single_choice_refuses_several(role: Question) -> None:
    result = parse_answer(role, "1,2")
    assert result == Invalid(InvalidReason.SINGLE_ONLY, {"count": 2})


def test_single_choice_repeating_one_option_is_fine(role: Question) -> None:
    assert parse_answer(role, "1、1") == chosen("oem")


def test_exclusive_option_cannot_be_combined(materials: Question) -> None:
    assert parse_answer(materials, "1,5") == Invalid(
        InvalidReason.EXCLUSIVE_COMBINED, {"option": "none"}
    )
    assert parse_answer(materials, "以上都没有") == chosen("none")


def test_exclusive_option_alone_satisfies_a_minimum() -> None:
    assert parse_answer(PAIR, "5") == chosen("none")


def test_too_many(materials: Question) -> None:
    assert parse_answer(materials, "1 2 3 4") == Invalid(InvalidReason.TOO_MANY, {"max": 3})


def test_too_few() -> None:
    assert parse_answer(PAIR, "1") == Invalid(InvalidReason.TOO_FEW, {"min": 2})


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "\u200b", ",,,"])
def test_empty(materials: Question, raw: str) -> None:
    assert reason(parse_answer(materials, raw)) is InvalidReason.EMPTY


# --- yes / no -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["是", "是的！", "对", "有", "YES", "y", "Yes please", "1", "👍"])
def test_yes_synonyms(raw: str) -> None:
    assert parse_answer(TARGET, raw) == chosen(YES)


@pytest.mark.parametrize("raw", ["否", "不是", "没有", "不", "No", "N", "2", "no thanks"])
def test_no_synonyms(raw: str) -> None:
    assert parse_answer(TARGET, raw) == chosen(NO)


@pytest.mark.parametrize("raw", ["maybe", "3", "1,2", "是不是"])
def test_neither_yes_nor_no(raw: str) -> None:
    assert reason(parse_answer(TARGET, raw)) is InvalidReason.NOT_YES_NO


def test_parse_yes_no_for_confirmations() -> None:
    assert parse_yes_no("好的") is True
    assert parse_yes_no("不要") is False
    assert parse_yes_no("也许") is None


# --- free text and fields -------------------------------------------------------------


def test_text_is_trimmed_keeping_inner_newlines() -> None:
    assert parse_answer(COMMENT, "  第一行\n第二行\x00  ") == Parsed(text="第一行\n第二行")


def test_text_too_long() -> None:
    assert parse_answer(COMMENT, "x" * 21) == Invalid(
        InvalidReason.TOO_LONG, {"max": 20, "length": 21}
    )


def test_text_empty() -> None:
    assert reason(parse_answer(COMMENT, " \n ")) is InvalidReason.EMPTY


def test_field_questions_delegate_to_field_validation() -> None:
    assert parse_answer(PHONE, "138 0013 8000") == Parsed(text="+8613800138000")
    assert reason(parse_answer(PHONE, "12345")) is InvalidReason.INVALID_PHONE


# --- properties -----------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "'; DROP TABLE answers; --",
        "{{ 7*7 }}",
        "{% for x in () %}",
        "${jndi:ldap://x}",
        "<xml>]]></xml>",
        "/::D [呲牙]",
        "\u202e1,2\u202c",
        "１，２，３，４，５",
        "1" * 5000,
        "、、;;,,",
        "１. 主机厂（ＯＥＭ）",
    ]
)
ANSWER_LIKE = st.lists(
    st.sampled_from(["1", "２", "3", "5", "0", "主", "钢铁", "Tier", "none of these", "是", "no"]),
    max_size=6,
).flatmap(
    lambda parts: st.sampled_from([",", "、", " ", "，", "\n", ";"]).map(
        lambda sep: sep.join(parts)
    )
)
FULL_WIDTH = st.text(alphabet="１２３４５０，、；．　ＯＥＭ主机厂钢铁以上是否\n\t\x00\u200b")
RAW = st.one_of(st.text(), st.text(st.characters(codec="utf-8")), FULL_WIDTH, HOSTILE, ANSWER_LIKE)
ALL_QUESTIONS = (*CHOICE_QUESTIONS, COMMENT, PHONE)


@settings(max_examples=1500, deadline=None, database=None)
@given(question=st.sampled_from(ALL_QUESTIONS), raw=RAW)
def test_parse_answer_is_total_and_respects_the_rules(question: Question, raw: str) -> None:
    result = parse_answer(question, raw)

    assert isinstance(result, Parsed | Invalid)
    if isinstance(result, Invalid) or not question.is_choice:
        return
    ids = [opt.id for opt in question.options]
    assert result.options
    assert list(result.options) == [i for i in ids if i in result.options]  # subset, ordered
    if question.type is not QuestionType.MULTI:
        assert len(result.options) == 1
    exclusive = [opt.id for opt in question.options if opt.exclusive and opt.id in result.options]
    if exclusive:
        assert result.options == tuple(exclusive) and len(exclusive) == 1
    else:
        assert len(result.options) >= question.min_selected
        assert question.max_selected is None or len(result.options) <= question.max_selected


@settings(max_examples=400)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8")
        | st.sampled_from("\t\n\r\x85\u2028\u200b\u200d\ufeff")
    )
)
def test_printable_texts_skip_the_control_filter_with_the_same_result(raw: str) -> None:
    """`_strip_controls` returns a printable text as is: the filter would keep all of it."""
    import unicodedata

    from flows.parse_results import _NEWLINES, _strip_controls

    for keep in (frozenset(), frozenset("\u200c\u200d")):
        filtered = "".join(
            ch
            for ch in _NEWLINES.sub("\n", raw).replace("\t", " ")
            if ch in keep or ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
        )
        assert _strip_controls(raw, keep=keep) == filtered
