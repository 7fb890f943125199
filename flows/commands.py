"""Navigation commands a respondent can type at any point, and the language choice.

Only a whole message is a command ("返回", not "我想返回上一题"): an answer that happens
to contain a command word must stay an answer. Pure, never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from flows.answer_parsing import parse_yes_no
from flows.model import Lang
from flows.parse_results import normalize

__all__ = ["Command", "ParsedCommand", "parse_command", "parse_language", "parse_yes_no"]


class Command(StrEnum):
    BACK = "back"
    SKIP = "skip"
    HELP = "help"
    RESTART = "restart"
    LANG_ZH = "lang_zh"
    LANG_EN = "lang_en"
    LANG_BOTH = "lang_both"
    MY_ANSWERS = "my_answers"
    CONTACT_ME = "contact_me"
    DELETE_DATA = "delete_data"
    CHANGE = "change"  # with ParsedCommand.number, the question number shown to them
    NEXT_SURVEY = "next_survey"  # after finishing: start the survey offered next
    INTRO = "intro"  # the survey's preface (引言), shown on request
    RESUME = "resume"  # "继续" (the reminder's tap link): where was I?
    NO_REMINDERS = "no_reminders"  # "不再提醒": no reminder, ever
    RESULTS = "results"  # "结果": the figures so far, as the menu's Results
    # A colleague of the same organisation / plant answered (flows.colleagues): only in
    # surveys that count per organisation or plant; elsewhere these words are answers.
    VIEW_COLLEAGUE = "view_colleague"
    TAKE_OVER = "take_over"
    KEEP_COLLEAGUE = "keep_colleague"


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    number: int | None = None
    suffix: str = ""  # "修改 10a": the letter of a follow-up question's number

    @property
    def label(self) -> str:
        """The question number as the survey shows it: "5", "10a"."""
        return f"{self.number or ''}{self.suffix}"


# "b" or "h" alone are deliberately absent: too easy to send by accident.
_LANG_WORDS: dict[str, Command] = {
    "中文": Command.LANG_ZH,
    "简体中文": Command.LANG_ZH,
    "汉语": Command.LANG_ZH,
    "chinese": Command.LANG_ZH,
    "english": Command.LANG_EN,
    "英文": Command.LANG_EN,
    "英语": Command.LANG_EN,
    "双语": Command.LANG_BOTH,
    "中英": Command.LANG_BOTH,
    "中英文": Command.LANG_BOTH,
    "both": Command.LANG_BOTH,
    "bilingual": Command.LANG_BOTH,
}
_WORDS: dict[str, Command] = {
    "0": Command.BACK,
    "返回": Command.BACK,
    "上一题": Command.BACK,
    "back": Command.BACK,
    "/back": Command.BACK,
    "跳过": Command.SKIP,
    "skip": Command.SKIP,
    "/skip": Command.SKIP,
    "帮助": Command.HELP,
    "help": Command.HELP,
    "/help": Command.HELP,
    "?": Command.HELP,  # NFKC turns the full-width ？ into ?
    "重新开始": Command.RESTART,
    "restart": Command.RESTART,
    "/restart": Command.RESTART,
    "我的答案": Command.MY_ANSWERS,
    "我的回答": Command.MY_ANSWERS,
    "my answers": Command.MY_ANSWERS,
    "/myanswers": Command.MY_ANSWERS,
    "联系我": Command.CONTACT_ME,
    "contact me": Command.CONTACT_ME,
    "/contact": Command.CONTACT_ME,
    "删除我的数据": Command.DELETE_DATA,
    "delete my data": Command.DELETE_DATA,
    "/delete": Command.DELETE_DATA,
    "结果": Command.RESULTS,
    "查看结果": Command.RESULTS,
    "调查结果": Command.RESULTS,
    "results": Command.RESULTS,
    "show results": Command.RESULTS,
    "/results": Command.RESULTS,
    "后续调查": Command.NEXT_SURVEY,
    "下一个调查": Command.NEXT_SURVEY,
    "开始后续调查": Command.NEXT_SURVEY,
    "next": Command.NEXT_SURVEY,
    "next survey": Command.NEXT_SURVEY,
    "/next": Command.NEXT_SURVEY,
    "简介": Command.INTRO,
    "介绍": Command.INTRO,
    "引言": Command.INTRO,
    "intro": Command.INTRO,
    "/intro": Command.INTRO,
    "继续": Command.RESUME,
    "继续答题": Command.RESUME,
    "continue": Command.RESUME,
    "resume": Command.RESUME,
    "不再提醒": Command.NO_REMINDERS,
    "不要提醒": Command.NO_REMINDERS,
    "no reminders": Command.NO_REMINDERS,
    "no reminder": Command.NO_REMINDERS,
    "/noreminders": Command.NO_REMINDERS,
    "查看同事答案": Command.VIEW_COLLEAGUE,
    "查看同事的答案": Command.VIEW_COLLEAGUE,
    "同事的答案": Command.VIEW_COLLEAGUE,
    "view colleague answers": Command.VIEW_COLLEAGUE,
    "view colleague's answers": Command.VIEW_COLLEAGUE,
    "/colleague": Command.VIEW_COLLEAGUE,
    "由我接替": Command.TAKE_OVER,
    "我来接替": Command.TAKE_OVER,
    "接替": Command.TAKE_OVER,
    "take over": Command.TAKE_OVER,
    "/takeover": Command.TAKE_OVER,
    "保持原样": Command.KEEP_COLLEAGUE,
    "保留同事答案": Command.KEEP_COLLEAGUE,
    "keep as is": Command.KEEP_COLLEAGUE,
    "keep colleague answers": Command.KEEP_COLLEAGUE,
    "/lang zh": Command.LANG_ZH,
    "/lang en": Command.LANG_EN,
    "/lang both": Command.LANG_BOTH,
    **_LANG_WORDS,
}
# "修改 5", "改5", "修改第5题", "change 5", "edit #5"
_CHANGE = re.compile(r"(?:修改|改|/?change|/?edit)\s*#?\s*(?:第\s*)?([0-9]{1,4})([a-z]?)\s*题?")
# Telegram appends the bot's name to commands sent in groups: "/help@aiag_survey_bot".
_BOT_SUFFIX = re.compile(r"^(/[a-z]+)@\w+")
# IMEs and phones add a full stop or exclamation mark on their own.
_END_PUNCTUATION = ".。!"
_LANG_BY_COMMAND = {
    Command.LANG_ZH: Lang.ZH,
    Command.LANG_EN: Lang.EN,
    Command.LANG_BOTH: Lang.BOTH,
}
_LANG_ANSWERS = {"1": Lang.ZH, "2": Lang.EN, "3": Lang.BOTH, "zh": Lang.ZH, "en": Lang.EN}


def _key(raw: str) -> str:
    key = _BOT_SUFFIX.sub(r"\1", normalize(raw).casefold())
    stripped = key.rstrip(_END_PUNCTUATION).rstrip()
    return stripped or key


def parse_command(raw: str) -> ParsedCommand | None:
    """The command this whole message is, or None when it is not one (e.g. an answer)."""
    key = _key(raw)
    command = _WORDS.get(key)
    if command is not None:
        return ParsedCommand(command)
    change = _CHANGE.fullmatch(key)
    if change and int(change[1]) >= 1:
        return ParsedCommand(Command.CHANGE, int(change[1]), change[2])
    return None


def parse_language(raw: str) -> Lang | None:
    """The answer to the opening language question: 1/2/3, a language word or /lang."""
    key = _key(raw).rstrip(")")
    if key in _LANG_ANSWERS:
        return _LANG_ANSWERS[key]
    command = _WORDS.get(key)
    return _LANG_BY_COMMAND.get(command) if command is not None else None
