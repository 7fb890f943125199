"""Progress over time as a PNG: completions per hour (a campaign's first days) or per
day (after), in China time and labelled so, with their running total."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.chart_fonts import DPI, ChartFont, chart_font, encode_png, text_props
from flows.model import Lang, Text
from storage.web_queries import DayProgress, HourProgress

_PER_DAY = Text("每日完成", "completed per day")
_PER_HOUR = Text("每小时完成", "completed per hour")
_TOTAL = Text("累计完成", "completed to date")
_TITLE_DAYS = Text(
    "问卷完成进度（北京时间，按日）", "Survey completions per day (China time, UTC+8)"
)
_TITLE_HOURS = Text(
    "问卷完成进度（北京时间，按小时）", "Survey completions per hour (China time, UTC+8)"
)
_NONE = Text("暂无数据", "No responses yet")


def progress_chart_png(
    days: Sequence[DayProgress],
    *,
    hours: Sequence[HourProgress] | None = None,
    lang: Lang = Lang.BOTH,
    font: ChartFont | None = None,
    narrow: bool = False,
) -> bytes:
    """Per day, or per hour when `hours` is given (China wall time, as the tables);
    `narrow`: for a phone's screen (the title on two lines)."""
    font = font or chart_font()
    lang = font.lang(lang)
    size = (4.0, 3.8) if narrow else (8.0, 3.6)
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    ax = figure.add_subplot()
    props = text_props(font)
    if not days and not hours:
        ax.set_axis_off()
        ax.text(0.5, 0.5, font.clean(_NONE.get(lang)), ha="center", **props)
        return encode_png(figure)
    if hours is not None:
        starts: list[datetime] = [h.hour for h in hours]
        completed = [h.completed for h in hours]
        running = [h.completed_to_date for h in hours]
        width, label, title = 0.8 / 24, _PER_HOUR, _TITLE_HOURS
    else:
        starts = [datetime.combine(d.day, time()) for d in days]
        completed = [d.completed for d in days]
        running = [d.completed_to_date for d in days]
        width, label, title = 0.8, _PER_DAY, _TITLE_DAYS
    dates = date2num(starts)
    bars = font.clean(label.get(lang))
    ax.bar(dates, completed, width=width, color="#2f6f9f", label=bars)
    ax.set_ylabel(bars, fontsize=10, **props)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    total = ax.twinx()
    total.plot(dates, running, color="#e07b24", marker="o", markersize=3,
               label=font.clean(_TOTAL.get(lang)))  # fmt: skip
    total.set_ylim(bottom=0)
    total.yaxis.set_major_locator(MaxNLocator(integer=True))
    total.set_ylabel(font.clean(_TOTAL.get(lang)), fontsize=10, **props)
    if hours is not None or len(starts) > 1:
        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:  # one day: one tick under its one bar, not hour ticks
        ax.set_xticks(dates)
        ax.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
        ax.set_xlim(dates[0] - 1, dates[0] + 1)
    for axis in (ax, total):
        axis.tick_params(labelsize=10)
        axis.spines["top"].set_visible(False)
    heading = f"{title.zh}\n{title.en}" if narrow and lang is Lang.BOTH else title.get(lang)
    ax.set_title(font.clean(heading), fontsize=11 if narrow else 12, loc="left", **props)
    handles = ax.get_legend_handles_labels()[0] + total.get_legend_handles_labels()[0]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=2,
        frameon=False,
        prop={"family": list(font.families), "size": 10},
    )
    return encode_png(figure)
