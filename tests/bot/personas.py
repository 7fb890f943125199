"""The six respondents of issue 17, as scripts: what each sends, what each must see.

Shared by the golden transcript tests over WeChat (safe mode) and Telegram; the counts
they produce are the table in docs/conversation.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.model import Lang

PAUSE = "<pause>"  # the respondent goes away longer than the welcome-back pause


@dataclass(frozen=True)
class Persona:
    name: str
    lang: Lang
    messages: tuple[str, ...]
    reprompts: int  # replies that refuse an answer (each re-asks the question)
    goes_back: bool = False


ZH_SUPPLIER = Persona(
    "zh_supplier",
    Lang.ZH,
    ("你好", "中文", "供应商", "一、三", "采购和物流", "是的", "没有", "一，三。", "第三个",
     "有", "不是", "是", "GRI 标准", "是", "否", "1和3", "暂时不需要"),
    reprompts=0,
)  # fmt: skip
EN_SPEAKER = Persona(
    "en_speaker",
    Lang.EN,
    ("hello", "English", "Supplier", "chassis and interior", "Purchasing & SQE", "yes", "no",
     "1 and 3", "Operations", "yes", "no", "no", "yes", "yes", "1, 2", "no", "4"),
    reprompts=1,  # "no" at question 14 asks "did you mean 4. No need currently?"
)  # fmt: skip
OEM = Persona(
    "oem",
    Lang.BOTH,
    ("hi", "3", "1", "7", "1", "2", "6", "4", "2", "2", "2", "2", "4", "2"),
    reprompts=0,
)  # fmt: skip
CHANGER = Persona(
    "changer",
    Lang.ZH,
    ("你好", "中文", "2", "1", "3", "修改 2", "4", "是", "否", "修改 1", "2", "1、3", "3",
     "是", "否", "否", "是", "否", "1", "4", "修改 3", "5"),
    reprompts=0,
    goes_back=True,
)  # fmt: skip
CONTACT = Persona(
    "contact",
    Lang.ZH,
    ("你好", "中文", "2", "1", "联系我", "是", "王伟", "上海汽配有限公司", "13800138000",
     "跳过", "跳过", "3", "是", "否", "1", "2", "是", "否", "否", "是", "是", "2", "1", "是"),
    reprompts=0,
)  # fmt: skip
RETURNER = Persona(
    "returner",
    Lang.EN,
    ("hi", "English", "2", "1", "1", PAUSE, "hello", "yes", "yes", "1", "1", "yes", "no",
     "no", "yes", "yes", "1", "4"),
    reprompts=0,  # "hello" after the pause is a welcome back, not an error
)  # fmt: skip
PERSONAS = (ZH_SUPPLIER, EN_SPEAKER, OEM, CHANGER, CONTACT, RETURNER)

_LABEL = re.compile(r"[【\[](\d+[a-z]?)/(\d+)[】\]]")
_TAGS = re.compile(r"<a [^>]*>|</a>")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ENGLISH = re.compile(r"\b(Reply|reply|Recorded|Please|question|Welcome|answer)\b")
_REFUSED = ("答案未记录", "Nothing was recorded")
# What a reply may end on: a question, a yes/no confirmation, or the end of the survey.
_NEXT_STEP = ("请选择语言", "回复“返回”", 'Reply "back"', "“返回/back”", "请回复“是”或“否”",
              'Reply "yes" or "no"', "感谢", "Thank you", "答案已更新",
              "Your answer has been updated")  # fmt: skip


def check_transcript(persona: Persona, sent: list[str], replies: list[str]) -> int:
    """Assert language, numbers and next steps of every reply; return the re-prompts."""
    chosen = False
    reprompts = 0
    previous = 0.0
    for text, raw in zip(sent, replies, strict=True):
        assert raw.strip(), f"{persona.name}: no reply to {text!r}"
        reply = _TAGS.sub("", raw)  # what the follower reads: a tap link shows its label
        if chosen:
            if persona.lang is Lang.ZH:
                assert not _ENGLISH.search(reply), f"{persona.name}: English in {reply!r}"
            elif persona.lang is Lang.EN:
                assert not _CJK.search(reply), f"{persona.name}: Chinese in {reply!r}"
        assert "WeChat" not in reply and "微信" not in reply
        for label, total in _LABEL.findall(reply):
            assert total == "14", f"{persona.name}: total {total} in {reply!r}"
            key = int(label.rstrip("abc")) + (0.5 if label[-1].isalpha() else 0)
            if not persona.goes_back:
                assert key >= previous, f"{persona.name}: {label} after {previous}"
            previous = key
        assert any(marker in reply for marker in _NEXT_STEP), (
            f"{persona.name}: dead end after {text!r}: {reply!r}"
        )
        reprompts += any(marker in reply for marker in _REFUSED)
        chosen = chosen or text in ("中文", "English", "3")
    return reprompts


def messages_sent(persona: Persona) -> int:
    return sum(1 for m in persona.messages if m != PAUSE)
