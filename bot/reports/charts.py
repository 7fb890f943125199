"""Bar charts as PNG bytes: one question's results, or one respondent against everyone.

matplotlib's object API only (`Figure`, Agg canvas): no pyplot, so no global figure
state and charts may be drawn from several threads at once. Labels are bilingual when a
CJK font is installed (`chart_fonts.chart_font`), English otherwise. Shares are the
seed's: % of all selections for a question chart; a respondent's chart shows % of
respondents ("how many peers chose what you chose"), as the chat snapshot does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.reports.chart_fonts import DPI, ChartFont, chart_font, encode_png, text_props, wrap
from bot.reports.disclosure import percent_text
from bot.reports.labels import option_text
from flows.model import Flow, Lang, Question, Text
from flows.state import Answer
from storage.aggregates import QuestionStats

MAX_RESPONDENT_QUESTIONS = 4
BAR = "#2f6f9f"
MINE = "#e07b24"
OTHERS = "#b7c4cf"
_WORDS = {
    "respondents": Text("受访者", "respondents"),
    "selections": Text("选择", "selections"),
    "share_selections": Text("占全部选择的百分比", "% of all selections"),
    "share_respondents": Text("占受访者的百分比", "% of respondents"),
    "mine": Text("您的选择", "your answer"),
    "everyone": Text("其他选项", "other options"),
    "title": Text("您的答案与全体受访者", "Your answers vs. all respondents"),
    "nothing": Text("暂无可比较的答案", "No answers to compare yet"),
    # Coarsened figures (bot.reports.disclosure): drawn as words, not bars.
    "few": Text("少数", "a few"),
    "most": Text("大多数", "most"),
    "alone": Text("仅您", "only you"),
}
WIDTH_IN = 8.0
# A phone's screen (the dashboard at 390 px): half as wide at the same point sizes, so
# its text reads at ~12 px instead of shrinking to ~5 px.
NARROW_IN = 4.0


class NoChart(ValueError):
    """The question has no options to chart (free text, form fields)."""


def question_chart_png(
    question: Question,
    stats: QuestionStats,
    *,
    lang: Lang,
    font: ChartFont | None = None,
    narrow: bool = False,
) -> bytes:
    """One horizontal bar per option: % of selections, with the count behind it;
    `narrow`: for a phone's screen."""
    if not question.is_choice:
        raise NoChart(f"{question.id} is not a choice question")
    font = font or chart_font()
    lang = font.lang(lang)
    label_width = 16 if narrow else 26
    labels = [
        _label(font, option_text(question, o.option_id), lang, width=label_width)
        for o in stats.options
    ]
    rows = sum(label.count("\n") + 1 for label in labels) + len(labels) * 0.4
    title = _title(font, question.text, lang, width=40 if narrow else 70)
    height = 1.0 + 0.22 * rows + 0.2 * (title.count("\n") + 1)
    width = NARROW_IN if narrow else WIDTH_IN
    figure = Figure(figsize=(width, max(height, 2.6)), dpi=DPI, layout="constrained")
    ax = figure.add_subplot()
    values = [float(o.pct_of_selections) for o in stats.options]
    bars = ax.barh(range(len(values)), values, color=BAR, height=0.65)
    ax.bar_label(
        bars,
        labels=[f"{o.pct_of_selections}%  (n={o.count})" for o in stats.options],
        padding=3,
        fontsize=8,
        **text_props(font),
    )
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=9, **text_props(font))
    ax.set_title(title, fontsize=10, loc="left", **text_props(font))
    footer = (
        f"n = {stats.respondents} {_word('respondents', lang)} · "
        f"{stats.selections} {_word('selections', lang)}"
    )
    joint = "\n" if narrow else "   "
    xlabel = font.clean(f"{_word('share_selections', lang)}{joint}({footer})")
    ax.set_xlabel(xlabel, fontsize=8, **text_props(font))
    _style_axis(ax, values)
    return encode_png(figure)


def respondent_chart_png(
    flow: Flow,
    stats: Mapping[str, QuestionStats],
    answers: Mapping[str, Answer],
    *,
    lang: Lang,
    font: ChartFont | None = None,
    coarse: Mapping[tuple[str, str], str] | None = None,
) -> bytes:
    """Up to four choice questions the respondent answered, their own options
    highlighted against the share of all respondents choosing each option. `coarse`:
    (question, option) → "few" / "most" / "alone", figures shown as a word, no bar
    (the privacy rule, bot.reports.disclosure)."""
    font = font or chart_font()
    lang = font.lang(lang)
    questions = relevant_questions(flow, stats, answers)
    if not questions:
        figure = Figure(figsize=(WIDTH_IN, 1.6), dpi=DPI)
        figure.text(0.5, 0.5, font.clean(_word("nothing", lang)), ha="center", **text_props(font))
        return encode_png(figure)
    sizes = [len(stats[q.id].options) + 2.5 for q in questions]
    figure = Figure(figsize=(WIDTH_IN, 1.0 + 0.3 * sum(sizes)), dpi=DPI, layout="constrained")
    axes = figure.subplots(nrows=len(questions), gridspec_kw={"height_ratios": sizes})
    for ax, question in zip(_as_list(axes), questions, strict=True):
        words = {o: w for (q, o), w in (coarse or {}).items() if q == question.id}
        _respondent_panel(ax, font, question, stats[question.id], answers[question.id], lang, words)
    figure.suptitle(font.clean(_word("title", lang)), fontsize=12, **text_props(font))
    figure.legend(
        handles=[
            Patch(color=MINE, label=font.clean(_word("mine", lang))),
            Patch(color=OTHERS, label=font.clean(_word("everyone", lang))),
        ],
        loc="outside lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
        prop={"family": list(font.families), "size": 8},
    )
    return encode_png(figure)


def relevant_questions(
    flow: Flow, stats: Mapping[str, QuestionStats], answers: Mapping[str, Answer]
) -> list[Question]:
    """The respondent's answered choice questions in flow order, contact questions left
    out (follow-up and consent are not opinions to compare), at most four."""
    skip: set[str] = set()
    if flow.contact is not None:
        skip = {flow.contact.question, *flow.contact.detail_questions}
    picked = []
    for question in flow.questions:
        answer = answers.get(question.id)
        if (
            question.is_choice
            and question.id not in skip
            and question.snapshot
            and answer is not None
            and answer.options
            and question.id in stats
        ):
            picked.append(question)
    return picked[:MAX_RESPONDENT_QUESTIONS]


def _respondent_panel(
    ax: Any,
    font: ChartFont,
    question: Question,
    stats: QuestionStats,
    answer: Answer,
    lang: Lang,
    coarse: Mapping[str, str],
) -> None:
    mine = set(answer.options)
    labels = [
        _label(font, option_text(question, o.option_id), lang, both_on_one_line=True, width=34)
        for o in stats.options
    ]
    values = [0.0 if o.option_id in coarse else float(o.pct_of_respondents) for o in stats.options]
    colors = [MINE if o.option_id in mine else OTHERS for o in stats.options]
    bars = ax.barh(range(len(values)), values, color=colors, height=0.7)
    ax.bar_label(
        bars,
        labels=[
            font.clean(_word(coarse[o.option_id], lang))
            if o.option_id in coarse
            else f"{percent_text(o.count, stats.respondents)}%"
            for o in stats.options
        ],
        padding=3,
        fontsize=8,
        **text_props(font),
    )
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=8, **text_props(font))
    for tick, option in zip(ax.get_yticklabels(), stats.options, strict=True):
        if option.option_id in mine:
            tick.set_color(MINE)
    title = _title(font, question.text, lang, width=80)
    ax.set_title(f"{title}  (n={stats.respondents})", fontsize=9, loc="left", **text_props(font))
    _style_axis(ax, values)
    ax.set_xlabel(font.clean(_word("share_respondents", lang)), fontsize=7, **text_props(font))


def _style_axis(ax: Any, values: Sequence[float]) -> None:
    ax.invert_yaxis()  # first option on top, as in the seed's tables
    top = max(10.0, min(100.0, max(values, default=0.0)) * 1.3)
    ax.set_xlim(0, top)
    step = 10 if top <= 60 else 20
    ax.set_xticks(range(0, int(min(top, 100.0)) + 1, step))  # never a "120%" tick
    ax.xaxis.set_major_formatter("{x:.0f}%")
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _label(
    font: ChartFont, text: Text, lang: Lang, *, both_on_one_line: bool = False, width: int = 26
) -> str:
    if lang is Lang.BOTH and text.zh != text.en:
        if both_on_one_line:
            return font.clean(wrap(f"{text.zh} {text.en}", width))
        return font.clean(f"{wrap(text.zh, width)}\n{wrap(text.en, width)}")
    return font.clean(wrap(text.get(lang), width))


def _title(font: ChartFont, text: Text, lang: Lang, *, width: int) -> str:
    if lang is Lang.BOTH and text.zh != text.en:
        return font.clean(f"{wrap(text.zh, width)}\n{wrap(text.en, width)}")
    return font.clean(wrap(text.get(lang), width))


def _word(key: str, lang: Lang) -> str:
    return _WORDS[key].get(lang)


def _as_list(axes: Any) -> list[Any]:
    return list(axes.flat) if hasattr(axes, "flat") else [axes]


__all__ = [
    "NoChart",
    "question_chart_png",
    "relevant_questions",
    "respondent_chart_png",
]
