"""Filters typed after a staff command: `/stats 6 where 1=OEM since 12-01 channel wechat`.

Chinese keywords too (`统计6 筛选 第1题=主机厂 从 12-01 渠道 微信 语言 英文 含测试`). A
keyword's value runs to the next keyword; what is left over is the command's own
argument ("6", "6 by 1", "all"). Pure: the question and option names come from the flow,
dates are China calendar days (UTC+8), and a mistake comes back as a `FilterError`
naming what was not understood.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.reports.labels import is_personal
from bot.reports.local_time import CHINA
from bot.staff.commands import find_question
from flows.model import Flow, Question
from flows.parse_results import normalize
from storage.aggregates import option_ids
from storage.filters import AnswerIs, ReportFilter


class Key(StrEnum):
    WHERE = "where"
    SINCE = "since"
    UNTIL = "until"
    CHANNEL = "channel"
    LANG = "lang"
    TEST = "test"


_KEYWORDS: dict[str, Key] = {
    "where": Key.WHERE,
    "筛选": Key.WHERE,
    "条件": Key.WHERE,
    "since": Key.SINCE,
    "from": Key.SINCE,
    "从": Key.SINCE,
    "自": Key.SINCE,
    "until": Key.UNTIL,
    "to": Key.UNTIL,
    "到": Key.UNTIL,
    "至": Key.UNTIL,
    "channel": Key.CHANNEL,
    "渠道": Key.CHANNEL,
    "lang": Key.LANG,
    "language": Key.LANG,
    "语言": Key.LANG,
    "test": Key.TEST,
    "含测试": Key.TEST,
}
# Chinese keywords may be glued to their value ("筛选第1题=主机厂", "从12-01").
_GLUED = re.compile("^(" + "|".join(k for k in _KEYWORDS if not k.isascii()) + ")(.+)$")
CHANNELS = {"wechat": "wechat", "微信": "wechat", "telegram": "telegram", "电报": "telegram",
            "tg": "telegram", "console": "console"}  # fmt: skip
LANGS = {"zh": "zh", "中文": "zh", "cn": "zh", "en": "en", "英文": "en", "english": "en",
         "both": "both", "双语": "both"}  # fmt: skip
_CONDITION_SPLIT = re.compile(r"\s+and\s+|\s*[且,;]\s*", re.IGNORECASE)
_EQUALS = re.compile(r"\s*[=:]\s*")
_YEAR = re.compile(r"\d{4}")
_DATE = re.compile(r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?")


class FilterProblem(StrEnum):
    UNKNOWN_QUESTION = "unknown_question"
    NOT_CHOICE = "not_choice"
    UNKNOWN_OPTION = "unknown_option"
    BAD_CONDITION = "bad_condition"
    BAD_DATE = "bad_date"
    REVERSED_DATES = "reversed_dates"  # since after until
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_LANG = "unknown_lang"
    EMPTY = "empty"


@dataclass(frozen=True)
class FilterError:
    problem: FilterProblem
    text: str  # what was typed
    question: Question | None = None


@dataclass(frozen=True)
class Condition:
    """One answer condition, for showing the filter back: 【1】=主机厂 (OEM)."""

    number: str | None  # the number respondents see ("5", "10a"); None outside the count
    question: Question
    option_id: str


@dataclass(frozen=True)
class ParsedFilter:
    rest: str  # the command's own argument, filters taken out
    report_filter: ReportFilter = ReportFilter()
    conditions: tuple[Condition, ...] = ()
    since_day: date | None = None
    until_day: date | None = None  # inclusive
    words: dict[Key, str] = field(default_factory=dict)
    # "since 12-06" on 5 December: no year given, and this year's is still to come, so
    # last year's was taken (parse_day); said in the filter line.
    since_last_year: bool = False


def parse_filters(
    argument: str, flow: Flow, *, now: datetime, number_of: Mapping[str, str | None]
) -> ParsedFilter | FilterError:
    """Take the filter keywords out of `argument`; `number_of`: question id → its number
    (None, or no entry, for a question outside the count)."""
    rest: list[str] = []
    values: dict[Key, list[str]] = {}
    current: Key | None = None
    for token in normalize(argument).split():
        glued = _GLUED.match(token)
        key = _KEYWORDS.get(token.casefold())
        if key is None and glued is not None:
            key, token = _KEYWORDS[glued[1]], glued[2]
        else:
            token = "" if key is not None else token
        if key is not None:
            current = key
            values.setdefault(key, [])
            if key is Key.TEST:
                current = None
            if not token:
                continue
        if current is None:
            rest.append(token)
        else:
            values[current].append(token)
    words = {k: " ".join(v) for k, v in values.items()}
    for key, value in words.items():
        if key is not Key.TEST and not value:
            return FilterError(FilterProblem.EMPTY, key.value)
    conditions: list[Condition] = []
    if Key.WHERE in words:
        for part in _CONDITION_SPLIT.split(words[Key.WHERE]):
            condition = _condition(part, flow, number_of)
            if isinstance(condition, FilterError):
                return condition
            conditions.append(condition)
    since_day = until_day = None
    if Key.SINCE in words:
        since_day = parse_day(words[Key.SINCE], now)
        if since_day is None:
            return FilterError(FilterProblem.BAD_DATE, words[Key.SINCE])
    if Key.UNTIL in words:
        until_day = parse_day(words[Key.UNTIL], now, end=True)
        if until_day is None:
            return FilterError(FilterProblem.BAD_DATE, words[Key.UNTIL])
    if since_day and until_day and since_day > until_day:  # nothing could match
        shown = f"{since_day.isoformat()} > {until_day.isoformat()}"
        return FilterError(FilterProblem.REVERSED_DATES, shown)
    channel = lang = None
    if Key.CHANNEL in words:
        channel = CHANNELS.get(words[Key.CHANNEL].casefold())
        if channel is None:
            return FilterError(FilterProblem.UNKNOWN_CHANNEL, words[Key.CHANNEL])
    if Key.LANG in words:
        lang = LANGS.get(words[Key.LANG].casefold())
        if lang is None:
            return FilterError(FilterProblem.UNKNOWN_LANG, words[Key.LANG])
    report_filter = ReportFilter(
        answers=tuple(AnswerIs(c.question.id, c.option_id) for c in conditions),
        since=china_midnight(since_day) if since_day else None,
        until=china_midnight(until_day + timedelta(days=1)) if until_day else None,
        channel=channel,
        lang=lang,
        include_test=Key.TEST in words,
        counting=flow.counting,  # every figure of the reply counts by the flow's rule
    )
    last_year = (
        since_day is not None
        and _YEAR.search(words[Key.SINCE]) is None
        and since_day.year < now.astimezone(CHINA).year
    )
    return ParsedFilter(
        " ".join(rest), report_filter, tuple(conditions), since_day, until_day, words, last_year
    )


def _condition(
    part: str, flow: Flow, number_of: Mapping[str, str | None]
) -> Condition | FilterError:
    pieces = _EQUALS.split(part.strip(), maxsplit=1)
    if len(pieces) != 2 or not pieces[0] or not pieces[1]:
        return FilterError(FilterProblem.BAD_CONDITION, part)
    ref, value = pieces
    question = find_question(flow, ref)
    if question is None or is_personal(flow, question):
        return FilterError(FilterProblem.UNKNOWN_QUESTION, ref)
    if not question.is_choice:
        return FilterError(FilterProblem.NOT_CHOICE, ref, question)
    option_id = find_option(question, value)
    if option_id is None:
        return FilterError(FilterProblem.UNKNOWN_OPTION, value, question)
    return Condition(number_of.get(question.id), question, option_id)


def find_option(question: Question, value: str) -> str | None:
    """An option by its number (1…), id, or Chinese or English text (any case)."""
    ids = option_ids(question)
    wanted = normalize(value).casefold()
    if wanted.isdigit() and 1 <= int(wanted) <= len(ids):
        return ids[int(wanted) - 1]
    for option_id in ids:
        option = question.option(option_id)
        names = {option_id.casefold()}
        if option is not None:
            names |= {normalize(option.text.zh).casefold(), normalize(option.text.en).casefold()}
        if wanted in names:
            return option_id
    return None


def parse_day(text: str, now: datetime, *, end: bool = False) -> date | None:
    """ "12-01", "2026-12-01", "12/1", "12月1日", "today"/"今天", "yesterday"/"昨天" (China
    calendar). A month-day without a year: a start (`since`) later than today is last
    year's; an end (`until`, `end`) is the nearer of this year's and last year's (on
    5 December "until 12-31" is this year's end, on 5 January last year's)."""
    today = now.astimezone(CHINA).date()
    word = text.strip().casefold()
    if word in ("today", "今天"):
        return today
    if word in ("yesterday", "昨天"):
        return today - timedelta(days=1)
    match = _DATE.fullmatch(word)
    if match is None:
        return None
    year = int(match[1]) if match[1] else today.year
    try:
        day = date(year, int(match[2]), int(match[3]))
    except ValueError:
        return None
    if match[1] is not None or day <= today:
        return day
    try:
        last_year = day.replace(year=year - 1)
    except ValueError:  # 2-29 of a leap year: last year's February ended on the 28th
        last_year = date(year - 1, 2, 28)
    if end and day - today < today - last_year:
        return day
    return last_year


def china_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA)
