"""Progress over time as a PNG: completions per UTC day (bars) and their running total."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from bot.reports.chart_fonts import DPI, ChartFont, chart_font, encode_png, text_props
from flows.model import Lang, Text
from storage.web_queries import DayProgress

_PER_DAY = Text("每日完成", "completed per day")
_TOTAL = Text("累计完成", "completed to date")
_TITLE = Text("问卷完成进度（UTC 日期）", "Survey completions (UTC days)")
_NONE = Text("暂无数据", "No responses yet")


def progress_chart_png(
    days: Sequence[DayProgress], *, lang: Lang = Lang.BOTH, font: ChartFont | None = None
) -> bytes:
    font = font or chart_font()
    lang = font.lang(lang)
    figure = Figure(figsize=(8.0, 3.4), dpi=DPI, layout="constrained")
    ax = figure.add_subplot()
    props = text_props(font)
    if not days:
        ax.set_axis_off()
        ax.text(0.5, 0.5, font.clean(_NONE.get(lang)), ha="center", **props)
        return encode_png(figure)
    dates = date2num([d.day for d in days])
    per_day = font.clean(_PER_DAY.get(lang))
    ax.bar(dates, [d.completed for d in days], color="#2f6f9f", label=per_day)
    ax.set_ylabel(per_day, fontsize=8, **props)
    total = ax.twinx()
    total.plot(
        dates,
        [d.completed_to_date for d in days],
        color="#e07b24",
        marker="o",
        markersize=3,
        label=font.clean(_TOTAL.get(lang)),
    )
    total.set_ylim(bottom=0)
    total.set_ylabel(font.clean(_TOTAL.get(lang)), fontsize=8, **props)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    for axis in (ax, total):
        axis.tick_params(labelsize=8)
        axis.spines["top"].set_visible(False)
    ax.set_title(font.clean(_TITLE.get(lang)), fontsize=10, loc="left", **props)
    handles = ax.get_legend_handles_labels()[0] + total.get_legend_handles_labels()[0]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=2,
        frameon=False,
        prop={"family": list(font.families), "size": 8},
    )
    return encode_png(figure)
