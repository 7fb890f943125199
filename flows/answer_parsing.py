"""Turn what a respondent typed into option ids or a cleaned text — or say why not.

Pure and total: `parse_answer` returns `Parsed` or `Invalid` for every `str` and never
raises, because a wrong answer is a reply, not an exception. Respondents type on phone
keyboards with Chinese IMEs, so full-width digits and punctuation, 、 and ， as list
separators, option texts in either language and short prefixes of them are all accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from flows.fields import validate_field, validate_text
from flows.integers import validate_integer
from flows.model import NO, YES, FieldKind, Option, Question, QuestionType, Text
from flows.natural import mentioned, pieces, rewrite
from flows.parse_results import (
    Invalid,
    InvalidReason,
    Parsed,
    normalize,
    normalize_lines,
    normalize_text,
)
from flows.quantities import parse_quantity
from flows.units import declared_unit
from flows.yes_no import NO_WORDS, YES_WORDS, parse_yes_no, yes_no_leading, yes_no_word

__all__ = [
    "Invalid",
    "InvalidReason",
    "Parsed",
    "normalize",
    "normalize_text",
    "parse_answer",
    "parse_yes_no",
]

# Separators of a multi-select list, after NFKC (which turns ， and ； into , and ;).
# Spaces separate numbers only: option texts contain spaces.
_SEPARATORS = ",、;"
_NUMBER = r"[0-9]+[.)]?"  # "1." and "1)" are how people copy a numbered line
_NUMBER_TOKEN = re.compile(_NUMBER)
_GAP = rf"[\s{_SEPARATORS}]"
_NUMERIC_LIST = re.compile(rf"{_GAP}*{_NUMBER}(?:{_GAP}+{_NUMBER})*{_GAP}*")
_SPLIT_NUMBERS = re.compile(rf"{_GAP}+")
_SPLIT_TEXT = re.compile(rf"\s*[{_SEPARATORS}]\s*")
# A line copied from the prompt: "2. 主机厂 (OEM)".
_NUMBERED_TEXT = re.compile(r"([0-9]+)\s*[.):]\s*(.+)")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_END_PUNCTUATION = ".。!?~"
_MAX_ECHO = 40  # characters of the respondent's input echoed back in an error

# Kept short and unambiguous on purpose: a yes/no answer records a fact. WeChat sends
# its thumbs-up/down faces as the text codes [强] / [弱].
_DEFAULT_YES_NO = (Option(YES, Text("是", "Yes")), Option(NO, Text("否", "No")))


def parse_answer(question: Question, raw: str) -> Parsed | Invalid:
    """Parse `raw` as an answer to `question`; see the module docstring."""
    if question.type is QuestionType.TEXT:
        return validate_text(raw, max_length=question.max_length)
    if question.type is QuestionType.FIELD:
        kind = question.field or FieldKind.TEXT
        return validate_field(kind, raw, max_length=question.max_length)
    if question.type is QuestionType.YES_NO:
        return _yes_no(question, raw)
    if question.type is QuestionType.INTEGER and question.unit is None:
        return validate_integer(raw, min_value=question.min_value, max_value=question.max_value)
    if question.is_numeric:
        unit = declared_unit(question.unit) if question.unit else None
        whole = question.type is QuestionType.INTEGER
        low, high = question.min_value, question.max_value
        return parse_quantity(raw, unit, whole=whole, min_value=low, max_value=high)
    if question.type is QuestionType.NOTE:
        return Parsed()  # a note takes no answer; the engine never waits on one
    return _choices(question, raw)


def _yes_no(question: Question, raw: str) -> Parsed | Invalid:
    line = normalize(raw)
    if not line:
        return Invalid(InvalidReason.EMPTY)
    options = question.options or _DEFAULT_YES_NO
    ids = [opt.id for opt in options]
    word = yes_no_word(line)
    if word is not None and (YES if word else NO) in ids:
        return Parsed(options=(YES if word else NO,))
    # The options' own wording (or their number), in case a flow labels them differently.
    found = _match_token(line, options)
    if isinstance(found, str):
        return Parsed(options=(found,))
    # As people answer: "Yes, we have…", "No we haven't", "还没有", "第二个" (flows.natural).
    said = yes_no_leading(line)
    if said is not None and (YES if said else NO) in ids:
        return Parsed(options=(YES if said else NO,))
    numbered = rewrite(line)
    if numbered is not None and numbered in ("1", "2"):
        found = _match_token(numbered, options)
        if isinstance(found, str):
            return Parsed(options=(found,))
    return Invalid(InvalidReason.NOT_YES_NO)


def _choices(question: Question, raw: str) -> Parsed | Invalid:
    strict = _strict_choices(question, raw)
    if isinstance(strict, Parsed) or strict.reason is not InvalidReason.UNKNOWN_OPTION:
        return strict
    # Natural answers (flows.natural): numerals, "1和3", options named in a sentence.
    whole = " ".join(normalize_lines(raw))
    rewritten = rewrite(whole)
    if rewritten is not None:
        again = _strict_choices(question, rewritten)
        if isinstance(again, Parsed) or again.reason in _SELECTION_RULES:
            return again
    labels = [(opt.id, _labels(opt)[2] + _labels(opt)[3]) for opt in question.options]
    found = mentioned(whole, labels)
    if not found:
        return strict
    # A list whose every item names an option; one that names none is not dropped in
    # silence ("内饰和座椅": 内饰, and 座椅 is no option): said, and nothing recorded.
    unknown = _unnamed_items(whole, labels, found)
    if unknown:
        given = unknown[0].strip()[:_MAX_ECHO]
        return Invalid(InvalidReason.PARTLY_UNKNOWN, {"found": tuple(found), "given": given})
    return _check(question, found)


_FOUND = "\ue000"  # a private-use character: where an option's own words stood


def _unnamed_items(
    whole: str, labels: list[tuple[str, tuple[str, ...]]], found: list[str]
) -> list[str]:
    """The items of a list (flows.natural.pieces) that name no option. The options found
    are taken out first, so that an option's own words split at a conjunction ("碳足迹与
    报告") stay one item; a message that is no list has none."""
    key = whole.casefold()
    chosen = [form for option_id, forms in labels if option_id in found for form in forms]
    for form in sorted((f for f in chosen if len(f) >= 2), key=len, reverse=True):
        key = key.replace(form, f" {_FOUND} ")
    items = pieces(key)
    if len(items) < 2:
        return []
    return [p for p in items if _FOUND not in p and not mentioned(p, labels)]


# Refusals that explain a well-read answer (better than "unknown option").
_SELECTION_RULES = frozenset(
    {
        InvalidReason.SINGLE_ONLY,
        InvalidReason.EXCLUSIVE_COMBINED,
        InvalidReason.TOO_FEW,
        InvalidReason.TOO_MANY,
        InvalidReason.NOT_AN_OPTION,
    }
)


def _strict_choices(question: Question, raw: str) -> Parsed | Invalid:
    lines = normalize_lines(raw)
    if not lines:
        return Invalid(InvalidReason.EMPTY)
    whole = " ".join(lines)
    options = question.options
    if _NUMERIC_LIST.fullmatch(whole):
        tokens = [t for t in _SPLIT_NUMBERS.split(whole) if t]
        chosen = _match_all(tokens, options)
        if isinstance(chosen, Invalid):
            # An out-of-range "2030" may still be an option's literal text.
            exact = _exact(whole.casefold(), options)
            return _check(question, exact) if len(exact) == 1 else chosen
        return _check(question, chosen)
    tokens = [t for line in lines for t in _SPLIT_TEXT.split(line) if t]
    # The whole message first: an option's text may itself contain a comma or 、.
    if len(lines) == 1:
        single = _match_token(whole, options)
        if isinstance(single, str):
            return _check(question, [single])
        if len(tokens) == 1:
            return single
    chosen = _match_all(tokens, options)
    return chosen if isinstance(chosen, Invalid) else _check(question, chosen)


def _match_all(tokens: Iterable[str], options: tuple[Option, ...]) -> list[str] | Invalid:
    chosen: list[str] = []
    for token in tokens:
        found = _match_token(token, options)
        if isinstance(found, Invalid):
            return found
        chosen.append(found)
    if not chosen:  # only separators, e.g. ",,,"
        return Invalid(InvalidReason.EMPTY)
    return chosen


def _match_token(token: str, options: tuple[Option, ...]) -> str | Invalid:
    """One option id for one token (number, text or prefix), or why not."""
    if _NUMBER_TOKEN.fullmatch(token):
        digits = token.rstrip(".)")
        # Length check first: int() refuses strings over 4300 digits.
        if len(digits) <= 4 and 1 <= int(digits) <= len(options):
            return options[int(digits) - 1].id
        return Invalid(InvalidReason.NOT_AN_OPTION, {"count": len(options), "given": digits[:9]})
    key = token.casefold()
    found = _by_text(key, options)
    if isinstance(found, Invalid) and found.reason is InvalidReason.UNKNOWN_OPTION:
        numbered = _NUMBERED_TEXT.fullmatch(key)
        if numbered:
            by_text = _by_text(numbered.group(2), options)
            return by_text if isinstance(by_text, str) else _match_token(numbered[1], options)
    return found


def _by_text(key: str, options: tuple[Option, ...]) -> str | Invalid:
    exact = _exact(key, options)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        return _ambiguous(exact, key)
    stem = key.rstrip(_END_PUNCTUATION).rstrip()
    if stem in YES_WORDS or stem in NO_WORDS:
        # "no" is not "No need currently", nor "有" "有需要时": ask, never pick silently.
        prefixed = [opt.id for opt in options if any(x.startswith(stem) for x in _labels(opt)[2])]
        if prefixed:
            return _ambiguous(prefixed, key)
    # One character is too easy to hit by chance, except a Chinese character, which
    # often is a whole word (是, 有, 钢).
    if len(stem) >= 2 or (len(stem) == 1 and _CJK.fullmatch(stem)):
        prefixed = [opt.id for opt in options if any(x.startswith(stem) for x in _labels(opt)[2])]
        if len(prefixed) == 1:
            return prefixed[0]
        if prefixed:
            return _ambiguous(prefixed, key)
    return Invalid(InvalidReason.UNKNOWN_OPTION, {"count": len(options), "given": key[:_MAX_ECHO]})


def _exact(key: str, options: tuple[Option, ...]) -> list[str]:
    loose = _loose(key)
    return _unique(
        opt.id for opt in options if key in _labels(opt)[0] or (loose and loose in _labels(opt)[1])
    )


def _ambiguous(ids: list[str], key: str) -> Invalid:
    return Invalid(
        InvalidReason.AMBIGUOUS, {"candidates": tuple(_unique(ids)), "given": key[:_MAX_ECHO]}
    )


@lru_cache(maxsize=2048)
def _labels(
    option: Option,
) -> tuple[frozenset[str], frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """(exact forms, punctuation-blind forms, prefixable texts, aliases) of an option,
    casefolded. Aliases (the flow's near forms, "暂时不需要") match exactly, never as prefixes.

    The exact forms include the bilingual display "主机厂 (OEM)" / "主机厂 OEM"; the
    punctuation-blind ones let "主机厂OEM" or "Tier-1" match "Tier 1".
    """
    zh = normalize(option.text.zh).casefold()
    en = normalize(option.text.en).casefold()
    aliases = tuple(normalize(a).casefold() for a in option.aliases)
    exact = {zh, en, f"{zh} {en}", f"{zh} ({en})", f"{zh}({en})", f"{en} ({zh})", *aliases}
    loose = {_loose(zh), _loose(en), _loose(zh + en), _loose(en + zh)}
    loose |= {_loose(a) for a in aliases}
    return (
        frozenset(x for x in exact if x.strip()),
        frozenset(x for x in loose if x),
        tuple(x for x in (zh, en) if x),
        tuple(x for x in aliases if x),
    )


def _loose(s: str) -> str:
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PZ")


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _check(question: Question, chosen: list[str]) -> Parsed | Invalid:
    """Duplicates dropped, question order restored, then the selection rules."""
    wanted = set(chosen)
    ids = _unique(opt.id for opt in question.options if opt.id in wanted)
    if question.type is QuestionType.SINGLE and len(ids) > 1:
        return Invalid(InvalidReason.SINGLE_ONLY, {"count": len(ids)})
    exclusive = [i for i in ids if (opt := question.option(i)) is not None and opt.exclusive]
    if exclusive and len(ids) > 1:
        return Invalid(InvalidReason.EXCLUSIVE_COMBINED, {"option": exclusive[0]})
    # An exclusive option ("none of these") stands alone, whatever the minimum.
    if question.type is QuestionType.MULTI and not exclusive:
        if len(ids) < question.min_selected:
            return Invalid(InvalidReason.TOO_FEW, {"min": question.min_selected})
        if question.max_selected is not None and len(ids) > question.max_selected:
            return Invalid(InvalidReason.TOO_MANY, {"max": question.max_selected})
    return Parsed(options=tuple(ids))
