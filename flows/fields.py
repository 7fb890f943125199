"""Validation of form fields (name, company, phone, e-mail, free text, 统一社会信用代码).

Pure: `phonenumbers` and `email_validator` only consult bundled metadata here
(deliverability checks, which would query DNS, are switched off).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from flows.model import FIELD_MAX_LENGTH, FieldKind
from flows.organisation import clean_uscc, uscc_error
from flows.parse_results import Invalid, InvalidReason, Parsed, normalize, normalize_text
from flows.yes_no import NO_WORDS, YES_WORDS

__all__ = ["validate_field"]

NAME_MAX = FIELD_MAX_LENGTH[FieldKind.NAME]
COMPANY_MIN = 2
COMPANY_MAX = FIELD_MAX_LENGTH[FieldKind.COMPANY]
# Longer than any real number with its spaces and dashes; also keeps phonenumbers
# from chewing on pasted paragraphs.
_PHONE_MAX_INPUT = 40

# Name punctuation: O'Brien (with the iOS curly ’ too), Jean-Luc, J. Smith and the
# middle dots of transliterated names (阿卜杜拉·买买提, katakana ・, hyphenation ‧).
# normalize() (NFKC) makes full-width brackets half-width; a Chinese company name
# written with them has them back.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FULL_WIDTH_BRACKETS = str.maketrans({"(": "（", ")": "）"})
_NAME_PUNCTUATION = frozenset(".-'’·・‧ ")
# Mainland mobiles: 11 digits, 1[3-9]… Accepted by shape so a newly allocated
# prefix works before the phonenumbers metadata knows it.
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[ ()./-]")
_PHONE_DIGITS = re.compile(r"\+?[0-9]+")


def validate_field(kind: FieldKind, raw: str, *, max_length: int) -> Parsed | Invalid:
    """Check one form field; the `Parsed.text` is the value to store (E.164 for phones,
    the normalised address for e-mails)."""
    if kind is FieldKind.TEXT:
        return validate_text(raw, max_length=max_length)
    value = normalize(raw)
    if not value:
        return Invalid(InvalidReason.EMPTY)
    if kind is FieldKind.NAME:
        return _name(value, min(NAME_MAX, max_length))
    if kind is FieldKind.COMPANY:
        return _company(value, min(COMPANY_MAX, max_length))
    if kind is FieldKind.PHONE:
        return _phone(value)
    if kind is FieldKind.USCC:
        return _uscc(value)
    return _email(value, max_length)


def validate_text(raw: str, *, max_length: int) -> Parsed | Invalid:
    """Free text: newlines kept, controls removed, at most `max_length` characters."""
    text = normalize_text(raw)
    # normalize_text keeps ZWJ/ZWNJ (emoji sequences); alone they are still nothing, and
    # the engine, which checks `normalize(raw)`, would have treated the message as empty.
    if not text.replace("\u200c", "").replace("\u200d", "").strip():
        return Invalid(InvalidReason.EMPTY)
    if len(text) > max_length:
        return Invalid(InvalidReason.TOO_LONG, {"max": max_length, "length": len(text)})
    return Parsed(text=text)


# What people send when a chat asks for a name and they have not read it yet, or were
# brought back to the question ("返回"): a greeting, thanks, a yes. Recorded, it would
# stand in staff's contact list as someone's name or company.
_NOT_A_NAME = (
    frozenset({"你好", "您好", "hi", "hello", "hey", "在吗", "在不在", "谢谢", "多谢", "感谢"})
    | frozenset({"thanks", "thank you", "test", "测试", "哈哈", "嗯", "嗯嗯", "哦"})
    | YES_WORDS
)
# A person's name: a no or "I don't know" is no name either. A company may be none
# ("无", "没有": someone answering for themselves), as they said.
_NOT_A_PERSON = (
    _NOT_A_NAME | NO_WORDS | frozenset({"不知道", "不清楚", "不确定", "don't know", "not sure"})
)
_TRAILING = "。.!！~～?？ "


def _not_a_name(value: str, words: frozenset[str] = _NOT_A_NAME) -> Invalid | None:
    """A greeting, a yes… typed where a name is asked for (`given`: as typed)."""
    if value.casefold().rstrip(_TRAILING) in words:
        return Invalid(InvalidReason.NOT_A_NAME, {"given": value})
    return None


def _name(value: str, max_length: int) -> Parsed | Invalid:
    not_a_name = _not_a_name(value, _NOT_A_PERSON)
    if not_a_name is not None:
        return not_a_name
    letters = 0
    for ch in value:
        category = unicodedata.category(ch)
        if category.startswith("L"):
            letters += 1
        # Combining marks belong to letters in Thai, Devanagari, Vietnamese…
        elif not (category.startswith("M") or ch in _NAME_PUNCTUATION):
            return Invalid(InvalidReason.INVALID_NAME, {"max": max_length})
    if letters == 0 or len(value) > max_length:
        return Invalid(InvalidReason.INVALID_NAME, {"max": max_length})
    return Parsed(text=value)


def _company(value: str, max_length: int) -> Parsed | Invalid:
    not_a_name = _not_a_name(value)
    if not_a_name is not None:
        return not_a_name
    # A company needs at least one letter or digit: "…" or "😀😀" is not a name.
    has_alnum = any(ch.isalnum() for ch in value)
    if not (COMPANY_MIN <= len(value) <= max_length and has_alnum and value.isprintable()):
        return Invalid(InvalidReason.INVALID_COMPANY, {"min": COMPANY_MIN, "max": max_length})
    if uscc_error(clean_uscc(value)) is None:  # the credit code, not the name
        return Invalid(InvalidReason.COMPANY_IS_CODE)
    if _CJK.search(value):  # as on a Chinese business licence: 乙公司（苏州）, not (苏州)
        value = value.translate(_FULL_WIDTH_BRACKETS)
    return Parsed(text=value)


def _phone(value: str) -> Parsed | Invalid:
    invalid = Invalid(InvalidReason.INVALID_PHONE)
    digits = _PHONE_SEPARATORS.sub("", value)  # "(+86) 138-0013 8000"
    if len(value) > _PHONE_MAX_INPUT or not _PHONE_DIGITS.fullmatch(digits):
        return invalid
    international = digits.startswith(("+", "00"))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    # The country code of a mainland mobile is often typed without + or 00.
    national = digits.removeprefix("+86") if international else digits
    if not international and len(digits) == 13 and digits.startswith("86"):
        national = digits[2:]
    if _CN_MOBILE.fullmatch(national):
        return Parsed(text="+86" + national)
    try:
        number = phonenumbers.parse(digits, None if international else "CN")
    except phonenumbers.NumberParseException:
        return invalid
    if not phonenumbers.is_valid_number(number):
        return invalid
    # Without + or 00 only Chinese numbers (landlines with area code) are meant.
    if not international and phonenumbers.region_code_for_number(number) != "CN":
        return invalid
    return Parsed(text=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _uscc(value: str) -> Parsed | Invalid:
    code = clean_uscc(value)
    problem = uscc_error(code)
    if problem is not None:
        return Invalid(InvalidReason.INVALID_USCC, {"problem": problem.value})
    return Parsed(text=code)


def _email(value: str, max_length: int) -> Parsed | Invalid:
    try:
        address = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return Invalid(InvalidReason.INVALID_EMAIL)
    if len(address) > max_length:
        return Invalid(InvalidReason.TOO_LONG, {"max": max_length, "length": len(address)})
    return Parsed(text=address)
