"""flows.fields: contact-form values are checked and stored in one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.answer_parsing import parse_answer
from flows.definition import load_flow
from flows.fields import validate_field
from flows.model import FieldKind
from flows.parse_results import Invalid, InvalidReason, Parsed, normalize
from flows.surveys import DEFAULT_FLOW


def check(kind: FieldKind, raw: str, max_length: int = 500) -> Parsed | Invalid:
    return validate_field(kind, raw, max_length=max_length)


def reason(result: Parsed | Invalid) -> InvalidReason | None:
    return result.reason if isinstance(result, Invalid) else None


# --- name -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("张三", "张三"),
        ("  Zhang   San ", "Zhang San"),
        ("O'Brien", "O'Brien"),
        ("O’Brien", "O’Brien"),
        ("Jean-Luc P.", "Jean-Luc P."),
        ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Ｚｈａｎｇ", "Zhang"),
    ],
)
def test_names_in_any_script(raw: str, stored: str) -> None:
    assert check(FieldKind.NAME, raw) == Parsed(text=stored)


@pytest.mark.parametrize("raw", ["R2D2", "张三3", "...", "a@b", "🙂", "x" * 51])
def test_invalid_names(raw: str) -> None:
    assert reason(check(FieldKind.NAME, raw)) is InvalidReason.INVALID_NAME


def test_name_limit_follows_a_smaller_question_max_length() -> None:
    assert check(FieldKind.NAME, "abcdef", max_length=5) == Invalid(
        InvalidReason.INVALID_NAME, {"max": 5}
    )


# --- company --------------------------------------------------------------------------


def test_company_is_normalised() -> None:
    # A Chinese name keeps the full-width brackets of its business licence, typed either
    # way; a name in Latin letters gets half-width letters and brackets.
    assert check(FieldKind.COMPANY, " 上海某汽车零部件有限公司（上海） ") == Parsed(
        text="上海某汽车零部件有限公司（上海）"
    )
    assert check(FieldKind.COMPANY, "乙公司(苏州)") == Parsed(text="乙公司（苏州）")
    assert check(FieldKind.COMPANY, "ＡＣＭＥ（Suzhou）Co., Ltd.") == Parsed(
        text="ACME(Suzhou)Co., Ltd."
    )


def test_a_credit_code_is_not_a_company_name() -> None:
    # Typed at the company question by someone with the licence at hand: said so.
    refused = check(FieldKind.COMPANY, "91350100M000100Y43")
    assert isinstance(refused, Invalid) and refused.reason is InvalidReason.COMPANY_IS_CODE
    assert check(FieldKind.COMPANY, "91350100 ACME Co., Ltd.") == Parsed(
        text="91350100 ACME Co., Ltd."
    )


@pytest.mark.parametrize("raw", ["A", "……", "x" * 101])
def test_invalid_companies(raw: str) -> None:
    assert reason(check(FieldKind.COMPANY, raw)) is InvalidReason.INVALID_COMPANY


# --- phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86-138-0013-8000",
        "+86 138 0013 8000",
        "0086 13800138000",
        "8613800138000",
        "(+86) 13800138000",
        "１３８００１３８０００",
    ],
)
def test_mainland_mobile_in_any_habit_is_stored_as_e164(raw: str) -> None:
    assert check(FieldKind.PHONE, raw) == Parsed(text="+8613800138000")


def test_landline_with_area_code() -> None:
    assert check(FieldKind.PHONE, "021-12345678") == Parsed(text="+862112345678")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("+1 650 253 0000", "+16502530000"), ("0044 20 7946 0958", "+442079460958")],
)
def test_international_numbers_with_plus_or_00(raw: str, stored: str) -> None:
    assert check(FieldKind.PHONE, raw) == Parsed(text=stored)


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "1380013800",
        "23800138000",
        "650 253 0000",
        "+1 555",
        "phone",
        "138o0138000",
        "1" * 60,
    ],
)
def test_invalid_phones(raw: str) -> None:
    assert reason(check(FieldKind.PHONE, raw)) is InvalidReason.INVALID_PHONE


# --- e-mail ---------------------------------------------------------------------------


def test_email_is_normalised() -> None:
    assert check(FieldKind.EMAIL, " Zhang.San@AIAG.org.cn ") == Parsed(text="Zhang.San@aiag.org.cn")


def test_full_width_at_sign_from_a_chinese_ime() -> None:
    assert check(FieldKind.EMAIL, "zhang＠aiag．org．cn") == Parsed(text="zhang@aiag.org.cn")


@pytest.mark.parametrize(
    "raw", ["zhang", "zhang@", "@aiag.org.cn", "a b@aiag.org.cn", "x@localhost"]
)
def test_invalid_emails(raw: str) -> None:
    assert reason(check(FieldKind.EMAIL, raw)) is InvalidReason.INVALID_EMAIL


# --- text and empties -----------------------------------------------------------------


def test_text_field_is_free_text() -> None:
    assert check(FieldKind.TEXT, " 请周一联系\n谢谢 ", max_length=10) == Parsed(
        text="请周一联系\n谢谢"
    )
    assert reason(check(FieldKind.TEXT, "x" * 11, max_length=10)) is InvalidReason.TOO_LONG


@pytest.mark.parametrize("kind", list(FieldKind))
def test_blank_is_empty_for_every_kind(kind: FieldKind) -> None:
    assert reason(check(kind, " \u3000\n")) is InvalidReason.EMPTY


@settings(max_examples=800, deadline=None, database=None)
@given(
    kind=st.sampled_from(list(FieldKind)),
    raw=st.one_of(
        st.text(),
        st.text(alphabet="+0123456789 -()（）１３８＠@.aiag中文\x00"),
        st.emails().map(str.upper),
    ),
)
def test_validate_field_never_raises(kind: FieldKind, raw: str) -> None:
    result = validate_field(kind, raw, max_length=100)
    assert isinstance(result, Parsed | Invalid)
    if isinstance(result, Parsed):
        assert result.text and len(result.text) <= 100


@pytest.mark.parametrize("question_id", ["contact_name", "contact_company", "org_company"])
def test_the_hinted_length_is_the_length_taken(question_id: str) -> None:
    # The question's hint says "at most {length_limit} characters": exactly that many
    # are taken, one more is refused (a name's 50 and a company's 100 are the fields' own
    # bounds, below the questions' default max_length of 500).
    question = load_flow(DEFAULT_FLOW).question(question_id)
    limit = question.length_limit
    assert limit < 500 or question.field is None
    assert not isinstance(parse_answer(question, "A" * limit), Invalid)
    assert isinstance(parse_answer(question, "A" * (limit + 1)), Invalid)


@pytest.mark.parametrize("kind", [FieldKind.NAME, FieldKind.COMPANY])
@pytest.mark.parametrize("raw", ["你好", "您好！", "Hello", "hi", "谢谢", "好的", "是的", "OK"])
def test_a_greeting_or_a_yes_is_not_a_name(kind: FieldKind, raw: str) -> None:
    # What people send before reading the question, or when "返回" brought them back to
    # it: refused with what they typed, so it never stands in staff's list as a name.
    refused = check(kind, raw)
    assert refused == Invalid(InvalidReason.NOT_A_NAME, {"given": normalize(raw)})


@pytest.mark.parametrize("raw", ["没有", "不知道", "No"])
def test_a_no_is_no_person_but_may_be_no_company(raw: str) -> None:
    # Someone answering for themselves has no company to name, and says so.
    assert check(FieldKind.NAME, raw) == Invalid(InvalidReason.NOT_A_NAME, {"given": raw})
    assert check(FieldKind.COMPANY, raw) == Parsed(text=raw)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (FieldKind.NAME, "王好"),
        (FieldKind.NAME, "Hope Li"),
        (FieldKind.COMPANY, "你好科技有限公司"),
        (FieldKind.COMPANY, "Hello Auto Parts Co., Ltd."),
    ],
)
def test_names_with_such_words_in_them_are_names(kind: FieldKind, raw: str) -> None:
    assert check(kind, raw) == Parsed(text=raw)
