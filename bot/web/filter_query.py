"""The dashboard's filter, kept in the URL so a filtered page can be shared.

`?where=role:oem` (repeatable: all must hold), `since=2026-12-01` and `until=2026-12-05`
(China calendar days, both included), `channel=wechat`, `lang=en`, `test=1` (include
test respondents). Every page, chart, cross-tab and download reads the same parameters
into one `ReportFilter`, and every link on a page carries them on (`Survey.query`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from starlette.datastructures import QueryParams

from bot.reports.labels import numbered, option_text
from bot.reports.text_report import option_label
from bot.staff.filter_words import CHANNELS, LANGS, china_midnight
from bot.web.dashboard import chart_questions
from flows.model import Flow
from storage.aggregates import option_ids
from storage.filters import NO_FILTER, AnswerIs, ReportFilter

PARAMS = ("where", "since", "until", "channel", "lang", "test")


class BadFilter(ValueError):
    """A filter parameter that names nothing (a 400 page saying which)."""


@dataclass(frozen=True)
class WebFilter:
    report_filter: ReportFilter = NO_FILTER
    params: tuple[tuple[str, str], ...] = ()  # as given, for links
    labels: tuple[str, ...] = ()  # "1. 您是OEM厂商还是供应商？ = 主机厂 (OEM)", for the page


def choice_options(flow: Flow) -> list[tuple[str, str]]:
    """(value, label) of every answer the dashboard filters on: "role:oem"."""
    out = []
    for question in chart_questions(flow):
        for option_id in option_ids(question):
            text = option_text(question, option_id)
            label = numbered(flow, question.id, f"{question.text.zh} = {option_label(text)}")
            out.append((f"{question.id}:{option_id}", label))
    return out


def parse_web_filter(query: QueryParams, flow: Flow) -> WebFilter:
    """Raises `BadFilter` for a parameter that names no answer, day, channel or language,
    and for a start day after the end day."""
    options = dict(choice_options(flow))
    answers, labels, params = [], [], []
    for value in query.getlist("where"):
        if not value:
            continue
        if value not in options:
            raise BadFilter(f"没有这个答案选项 No such answer: {value}")
        question_id, option_id = value.split(":", 1)
        answers.append(AnswerIs(question_id, option_id))
        labels.append(options[value])
        params.append(("where", value))
    since = _day(query, "since", params, labels, "自 since")
    until = _day(query, "until", params, labels, "至 until")
    if since and until and since > until:  # nothing could match: said, not shown as 0
        raise BadFilter(
            f"开始日期 {since} 晚于结束日期 {until}。"
            f"The start day {since} is after the end day {until}."
        )
    channel = _word(query, "channel", CHANNELS, params, labels, "渠道 channel")
    lang = _word(query, "lang", LANGS, params, labels, "语言 language")
    include_test = query.get("test") == "1"
    if include_test:
        params.append(("test", "1"))
        labels.append("含测试数据 test data included")
    report_filter = ReportFilter(
        answers=tuple(answers),
        since=china_midnight(since) if since else None,
        until=china_midnight(until + timedelta(days=1)) if until else None,
        channel=channel,
        lang=lang,
        include_test=include_test,
        counting=flow.counting,  # every figure on the page counts by the flow's rule
    )
    return WebFilter(report_filter, tuple(params), tuple(labels))


def _day(
    query: QueryParams, name: str, params: list[tuple[str, str]], labels: list[str], label: str
) -> date | None:
    value = query.get(name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise BadFilter(
            f"“{value}”不是日期（格式如 2026-12-01）。“{value}” is not a day (e.g. 2026-12-01)."
        ) from error
    params.append((name, value))
    labels.append(f"{label} {day.isoformat()}")
    return day


def _word(
    query: QueryParams,
    name: str,
    words: dict[str, str],
    params: list[tuple[str, str]],
    labels: list[str],
    label: str,
) -> str | None:
    value = query.get(name)
    if not value:
        return None
    known = words.get(value.casefold())
    if known is None:
        choices = "、".join(sorted(set(words.values())))
        raise BadFilter(
            f"没有“{value}”这个{label.split()[0]}（可选：{choices}）。"
            f"No {name} “{value}” ({choices})."
        )
    params.append((name, known))
    labels.append(f"{label} {known}")
    return known
