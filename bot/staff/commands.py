"""Parse what a staff member typed into a staff request (pure, never raises).

Slash commands (`/stats 6 by 1`) work on both channels; the Chinese words (`统计 6 按 1`)
are for WeChat, where nobody types slashes on a phone keyboard. A Chinese word counts
only as the whole message or followed by a space or a digit, so an answer that merely
starts with it ("统计数据不全") stays an answer: staff may take the survey too. For staff,
`/help` lists the staff commands; "help" / "帮助" without the slash is the survey's help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from flows import numbering
from flows.model import Flow, Question
from flows.parse_results import normalize, normalize_text


class StaffCommand(StrEnum):
    HELP = "help"
    STATS = "stats"
    PROGRESS = "progress"
    CONTACTS = "contacts"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    ASSIGN = "assign"
    DONE = "done"
    EXPORT = "export"
    DASHBOARD = "dashboard"
    BROADCAST = "broadcast"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    CHART = "chart"
    SURVEY = "survey"
    TEST = "test"
    REMIND = "remind"
    CHANGES = "changes"
    ORGS = "orgs"


@dataclass(frozen=True)
class StaffRequest:
    command: StaffCommand
    argument: str = ""  # the rest of the message, trimmed (original case and spacing)


_SLASH: dict[str, StaffCommand] = {
    "help": StaffCommand.HELP,
    "staff": StaffCommand.HELP,
    "stats": StaffCommand.STATS,
    "progress": StaffCommand.PROGRESS,
    "contacts": StaffCommand.CONTACTS,
    "claim": StaffCommand.CLAIM,
    "unclaim": StaffCommand.UNCLAIM,
    "assign": StaffCommand.ASSIGN,
    "done": StaffCommand.DONE,
    "export": StaffCommand.EXPORT,
    "dashboard": StaffCommand.DASHBOARD,
    "broadcast": StaffCommand.BROADCAST,
    "confirm": StaffCommand.CONFIRM,
    "cancel": StaffCommand.CANCEL,
    "chart": StaffCommand.CHART,
    "survey": StaffCommand.SURVEY,
    "surveys": StaffCommand.SURVEY,
    "test": StaffCommand.TEST,
    "remind": StaffCommand.REMIND,
    "changes": StaffCommand.CHANGES,
    "orgs": StaffCommand.ORGS,
}
_WORDS: dict[str, StaffCommand] = {
    "统计": StaffCommand.STATS,
    "进度": StaffCommand.PROGRESS,
    "联系": StaffCommand.CONTACTS,
    "认领": StaffCommand.CLAIM,
    "导出": StaffCommand.EXPORT,
    "仪表板": StaffCommand.DASHBOARD,
    "群发": StaffCommand.BROADCAST,
    "图表": StaffCommand.CHART,
    "调查": StaffCommand.SURVEY,
    "员工帮助": StaffCommand.HELP,
    "试答": StaffCommand.TEST,
    "提醒": StaffCommand.REMIND,
    "变化": StaffCommand.CHANGES,
    "机构": StaffCommand.ORGS,
}
# Words that are commands only with an argument ("完成 12"), or only while a broadcast
# waits for confirmation ("确认", "取消"): alone they are ordinary survey words.
_WORDS_WITH_REFERENCE = {
    "完成": StaffCommand.DONE,
    "退回": StaffCommand.UNCLAIM,
    "指派": StaffCommand.ASSIGN,
}
_CONFIRM_WORDS = {"确认": StaffCommand.CONFIRM, "取消": StaffCommand.CANCEL}

# "/stats@aiag_bot": Telegram adds the bot's name to commands picked from the menu.
_SLASH_HEAD = re.compile(r"/([a-z]+)(?:@\w+)?")
# "统计6": a number straight after a Chinese command word.
_GLUED = re.compile(r"(\D+?)(\d.*)")
_REFERENCE = re.compile(r"(?:C-?)?\d{1,12}", re.IGNORECASE)
_BY = re.compile(r"\s+by\s+|\s*按\s*|\s*×\s*", re.IGNORECASE)
_BY_AT_END = re.compile(r"(?:\s+by|\s*按|\s*×)\s*$", re.IGNORECASE)
_QUESTION_NUMBER = re.compile(r"(?:q|#|第)?\s*(\d{1,3}[a-z]?)\s*题?", re.IGNORECASE)
_END_PUNCTUATION = "。.!"


def parse_staff_command(text: str, *, confirming: bool = False) -> StaffRequest | None:
    """The staff request `text` is, or None (then it is survey input).

    The command word is matched after NFKC (a full-width "／ｓｔａｔｓ" is "/stats"); the
    argument keeps the text as typed (a broadcast's punctuation and line breaks).
    `confirming`: a broadcast waits for this staff member's confirmation, so 确认/取消
    alone are read as /confirm and /cancel.
    """
    parts = normalize_text(text).split(maxsplit=1)
    if not parts:
        return None
    head = normalize(parts[0]).casefold()
    argument = parts[1].strip() if len(parts) > 1 else ""
    slash = _SLASH_HEAD.fullmatch(head)
    if slash is not None:
        command = _SLASH.get(slash[1])
        return StaffRequest(command, argument) if command is not None else None
    if not argument:
        head = head.rstrip(_END_PUNCTUATION) or head
        if confirming and head in _CONFIRM_WORDS:
            return StaffRequest(_CONFIRM_WORDS[head])
    glued = _GLUED.fullmatch(head)
    if glued is not None and glued[1] in _WORDS | _WORDS_WITH_REFERENCE:
        head, argument = glued[1], f"{glued[2]} {argument}".strip()
    if head in _WORDS:
        return StaffRequest(_WORDS[head], argument)
    if head in _WORDS_WITH_REFERENCE:
        reference = argument.split(maxsplit=1)[0] if argument else ""
        if _REFERENCE.fullmatch(reference):
            return StaffRequest(_WORDS_WITH_REFERENCE[head], argument)
    return None


def chinese_word(command: StaffCommand) -> str | None:
    """The Chinese word for `command` (shown in the staff help), if it has one."""
    for words in (_WORDS, _WORDS_WITH_REFERENCE, _CONFIRM_WORDS):
        for word, meaning in words.items():
            if meaning is command:
                return word
    return None


def split_by(argument: str) -> tuple[str, str | None]:
    """ "methodology by role" → ("methodology", "role"); "6" → ("6", None); "6 by" (the
    second question left out) → ("6", "")."""
    parts = _BY.split(argument.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    trailing = _BY_AT_END.search(argument.strip())
    if trailing is not None and argument.strip()[: trailing.start()].strip():
        return argument.strip()[: trailing.start()].strip(), ""
    return argument.strip(), None


def split_reference(argument: str) -> tuple[str, str | None]:
    """ "C-000012 called back" → ("C-000012", "called back")."""
    parts = argument.strip().split(maxsplit=1)
    if not parts:
        return "", None
    note = parts[1].strip() if len(parts) > 1 else ""
    return parts[0], note or None


def find_question(flow: Flow, ref: str) -> Question | None:
    """A question by id ("methodology") or by its number ("6", "q6", "第6题", "10a")."""
    ref = normalize(ref).strip()
    number = _QUESTION_NUMBER.fullmatch(ref)
    if number is not None:
        # The survey's own numbers, as respondents see them (flows.numbering).
        return numbering.find(flow, number[1])
    for question in flow.questions:
        if question.id.casefold() == ref.casefold():
            return question
    return None
