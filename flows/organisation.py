"""Who a respondent answers for: the 统一社会信用代码 and company names that match.

Pure functions, no I/O:
- `uscc_error` / `clean_uscc`: the 18-character unified social credit code of
  GB 32100-2015 with its check digit;
- `name_key` / `plant_key`: what two spellings of one company (or plant) share once the
  legal form (有限公司, 股份, Co., Ltd …), full / half width and punctuation are gone;
- `likeness`: how alike two different name keys are, so storage can list likely
  matches for staff to confirm. Nothing here decides a merge: an exact code or an exact
  name key + plant is the same organisation, a likeness only a proposal.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from enum import StrEnum

# GB 32100-2015, 4.3: the code's character set (no I, O, S, V, Z) and, 4.4, the weights
# 3^i mod 31 of the first 17 positions; the 18th is 31 - (weighted sum mod 31), mod 31.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
USCC_LENGTH = 18
_REGION = re.compile(r"[0-9]{6}")


class UsccError(StrEnum):
    """Why a typed code is not a unified social credit code."""

    LENGTH = "length"  # not 18 characters
    CHARACTER = "character"  # a character outside the code's set (I, O, S, V, Z, 中 …)
    REGION = "region"  # positions 3–8 are the administrative division: six digits
    CHECK_DIGIT = "check_digit"  # the 18th character does not match the other 17


def clean_uscc(raw: str) -> str:
    """Full-width to half-width, upper case, spaces and dashes dropped: "9135 0100-m00…"."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return re.sub(r"[\s\-]", "", text)


def uscc_check_digit(first17: str) -> str:
    """The 18th character for the first 17 (all in USCC_CHARSET)."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_error(code: str) -> UsccError | None:
    """None when `code` (already cleaned) is a well-formed code with a matching check digit."""
    if len(code) != USCC_LENGTH:
        return UsccError.LENGTH
    if any(ch not in USCC_CHARSET for ch in code):
        return UsccError.CHARACTER
    if not _REGION.fullmatch(code[2:8]):
        return UsccError.REGION
    if uscc_check_digit(code[:17]) != code[17]:
        return UsccError.CHECK_DIGIT
    return None


# Legal forms and their abbreviations, longest first so 股份有限公司 goes before 有限公司.
_LEGAL_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "分公司",
    "总公司",
    "公司",
    "股份",
    "集团",
    "有限",
)
_LEGAL_FORMS_EN = re.compile(
    r"\b(co|company|corp|corporation|ltd|limited|inc|incorporated|llc|plc|gmbh|ag|"
    r"sa|s\.a|bv|b\.v|group|holdings?|jv)\b\.?"
)
# Trade words two spellings of one company use interchangeably (汽车零部件 = 汽配): they
# make a likeness, never an exact match, so 上海某某汽配 is only proposed for 上海某某汽车零部件.
_TRADE_SHORT_FORMS = (
    ("汽车零部件", "汽配"),
    ("汽车配件", "汽配"),
    ("零部件", "配件"),
    ("科技", ""),
    ("技术", ""),
    ("实业", ""),
    ("制造", ""),
    ("工业", ""),
    ("automotive", "auto"),
    ("technology", ""),
    ("technologies", ""),
    ("industries", ""),
    ("industrial", ""),
    ("manufacturing", ""),
)
_NOT_A_LETTER = re.compile(r"[\W_]+")
_BRACKETS = re.compile(r"[()\[\]（）【】]")


_ASKING = ("什么", "哪", "吗", "为何", "为什么")
_TRAILING_BRACKETS = re.compile(r"\s*[(\[（【][^()\[\]（）【】]*[)\]）】]\s*$")
_ENDS_IN_LEGAL_FORM_EN = re.compile(_LEGAL_FORMS_EN.pattern + r"\W*$")


def ends_in_legal_form(text: str) -> bool:
    """Whether `text` reads as a company's name: something, then a legal form at its end
    (a city or plant in brackets after it aside): "上海某某汽车零部件有限公司",
    "乙公司（苏州）", "ACME Co., Ltd.". "公司不同意" or "what company?" do not."""
    plain = _plain(text).strip()
    if plain.endswith("?") or any(word in plain for word in _ASKING):
        return False  # asked back: "what company?", "什么公司？"
    while True:
        shorter = _TRAILING_BRACKETS.sub("", plain)
        if shorter == plain or not shorter:
            break
        plain = shorter
    zh = plain.rstrip("。.，,! ")
    form = next((f for f in _LEGAL_FORMS_ZH if zh.endswith(f)), None)  # the longest
    if form is not None:
        return bool(_NOT_A_LETTER.sub("", zh[: -len(form)]))
    english = _ENDS_IN_LEGAL_FORM_EN.search(plain)
    return english is not None and bool(_NOT_A_LETTER.sub("", plain[: english.start()]))


def _plain(text: str) -> str:
    """NFKC (full width → half width: （上海） → (上海), ＡＢＣ → ABC) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def name_key(name: str) -> str:
    """What identifies a company name: no legal form, width, case, space or punctuation.

    "上海某某汽车零部件有限公司", "上海某某汽车零部件股份有限公司" and
    "上海某某汽车零部件 (有限公司)" share one key; so do "ACME Co., Ltd." and "acme ltd"."""
    text = _BRACKETS.sub(" ", _plain(name))
    text = _LEGAL_FORMS_EN.sub(" ", text)
    text = _NOT_A_LETTER.sub("", text)
    for form in _LEGAL_FORMS_ZH:
        if text.endswith(form) and len(text) > len(form):
            text = text[: -len(form)]
    return text


def plant_key(plant: str | None) -> str:
    """A plant or city as compared: "上海市" = "上海" = "Shanghai " is not attempted (no
    transliteration), but width, case, spaces and a trailing 市 / city do not count."""
    if not plant:
        return ""
    text = _NOT_A_LETTER.sub("", _plain(plant))
    for suffix in ("市", "city"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    return text


def _trade_key(key: str) -> str:
    for long, short in _TRADE_SHORT_FORMS:
        key = key.replace(long, short)
    return key


# A likeness at or above this is proposed to staff. 0.8: "上海某某汽配" vs "上海某某汽车
# 零部件" (1.0 after short forms) is proposed; "上海某某" vs "上海某甲" (0.75) is not.
PROPOSE_AT = 0.8


def likeness(key_a: str, key_b: str) -> float:
    """0 … 1: how alike two name keys are after trade short forms; 1.0 for equal keys.

    difflib's ratio on names of 4–30 characters: what staff would call "probably the same"."""
    if not key_a or not key_b:
        return 0.0
    a, b = _trade_key(key_a), _trade_key(key_b)
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
