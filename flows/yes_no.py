"""Yes and no as people type them: 是 / 否 / yes / no / 👍, and said first then explained.

`parse_yes_no` reads a confirmation (restart, delete my data): the words, or 1 / 2, and
nothing looser. A yes/no *question* also takes `yes_no_leading` ("No, we don't", "还没有")
(flows.answer_parsing), since an answer recorded there can be changed; a confirmation
cannot be undone.
"""

from __future__ import annotations

import re

from flows.parse_results import normalize

_END_PUNCTUATION = ".。!?~"
YES_WORDS = frozenset(
    {"是", "是的", "对", "对的", "有", "有的", "好", "好的", "可以", "要", "需要", "同意"}
    | {"确认", "确定", "yes", "y", "yeah", "yep", "yes please", "ok", "okay", "sure", "true"}
    | {"👍", "[强]"}
)
NO_WORDS = frozenset(
    {"否", "不是", "不", "不对", "没有", "没", "无", "不要", "不用", "不需要", "不同意"}
    | {"no", "n", "nope", "no thanks", "no thank you", "false", "👎", "[弱]"}
)


def parse_yes_no(raw: str) -> bool | None:
    """A yes/no word (是/否/yes/no/…) or 1 / 2; None when it is neither."""
    line = normalize(raw)
    word = yes_no_word(line)
    return word if word is not None else {"1": True, "2": False}.get(line.rstrip(".)"))


def yes_no_word(line: str) -> bool | None:
    key = line.casefold().rstrip(_END_PUNCTUATION)
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    return None


_NOT_YET = frozenset(
    {"not yet", "not really", "not at the moment", "not currently", "none yet", "no, not yet"}
    | {"还没有", "还没", "暂时没有", "暂无", "尚未", "目前没有", "还没有设定", "尚无"}
)
# After a leading yes/no word, what shows the rest explains it ("Yes we have…"), rather
# than changes it ("no idea", "yes and no").
_CLAUSE_STARTS = frozenset({"we", "i", "our", "they", "it", "there", "not", "thanks", "thank"})
_LEADING = re.compile(r"([^\s,，.。!！:：;；]+)([\s,，.。!！:：;；]+)(.*)", re.DOTALL)


# Chinese runs the words together: "我们有", "我们还没有", "是的我们有", "没有我们还在规划".
# A company speaking of itself, then perhaps an adverb of time, then 有 or its negation,
# then perhaps a final particle: the whole answer.
_ZH_WE = r"(?:我们公司|我们|我司|本公司|公司|我)"
_ZH_WE_HAVE = re.compile(
    _ZH_WE + r"(?:目前|现在|已经|已|都|暂时|还|尚)*(有|没有|没|无|未有)(?:的|了|啊|呢|哦)?"
)
# A yes/no word, then (without a gap) the company speaking of itself.
# Not 不 / 不是: "不是我们负责" says whose job it is, not no.
_ZH_SAID_THEN_WE = re.compile(r"(是的|是|对的|对|有的|有|没有|没)(" + _ZH_WE + r".*)")
_ZH_NEGATION = re.compile(r"[没不无未]")


def yes_no_leading(line: str) -> bool | None:
    """Yes or no said first and explained after: "No, we don't", "Yes we have quite a
    lot", "是的，我们有", "没有。还在规划". Only after punctuation, or in English before a
    clause ("yes we…"), or in Chinese before the company speaking of itself ("是的我们
    有"); "我们有" / "我们还没有" alone too. "no idea" and "有待确定" are neither."""
    key = line.casefold().strip().rstrip(_END_PUNCTUATION)
    if key in _NOT_YET:
        return False
    have = _ZH_WE_HAVE.fullmatch(key)
    if have is not None:
        return have.group(1) == "有"
    match = _LEADING.fullmatch(key)
    if match is None:
        return _zh_said_then_we(key)
    word, gap, rest = match.groups()
    said = yes_no_word(word)
    if said is None or not rest:
        return None
    explained = (
        gap.strip() != ""
        or rest.split()[0].strip("'’") in _CLAUSE_STARTS
        or re.match(_ZH_WE, rest) is not None  # "是 我们有"
    )
    if not explained or yes_no_word(rest.split()[0].strip(",.，。")) not in (None, said):
        return None  # "yes no", "no, yes": not one answer
    return said if _agrees(said, rest) else None


def explanation(line: str) -> str | None:
    """What follows a yes or no said first ("Yes, we report under CDP" → "we report under
    CDP"), as typed; None when `line` is not such an answer (yes_no_leading)."""
    if yes_no_leading(normalize(line)) is None:
        return None
    match = _LEADING.fullmatch(line.strip())
    if match is None:
        return None
    rest = match.group(3).strip()
    return rest or None


def _zh_said_then_we(key: str) -> bool | None:
    """ "是的我们有", "没有我们还在规划": a yes or no, then the company's own words, which
    must not say the opposite ("是的我们没有" is neither)."""
    match = _ZH_SAID_THEN_WE.fullmatch(key)
    if match is None:
        return None
    said = yes_no_word(match.group(1))
    rest = match.group(2)
    if said is None or (said and _ZH_NEGATION.search(rest)):
        return None
    return said if _agrees(said, rest) else None


def _agrees(said: bool, rest: str) -> bool:
    """Whether the words after a yes or no do not say the opposite ("是，我们没有")."""
    have = _ZH_WE_HAVE.fullmatch(rest.rstrip("，,。.！!"))
    return have is None or (have.group(1) == "有") == said
