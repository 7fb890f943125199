"""n, sum, median and quartiles of a numeric question, for every report that shows one.

`/stats N`, `/stats all`, `surveybot report`, the dashboard and the xlsx export all
show the same figures, computed here from `storage.numeric_answers`. Quartiles use the
inclusive method (as Excel's QUARTILE.INC), so a spreadsheet check gives the same numbers.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from flows.model import Flow
from flows.quantities import canonical
from storage.filters import NO_FILTER, ReportFilter
from storage.numeric_answers import numeric_values

__all__ = ["NumberSummary", "number_summaries", "summarise"]


@dataclass(frozen=True)
class NumberSummary:
    """Figures as canonical number texts ("15000", "12.5"), ready to show."""

    n: int
    total: str
    median: str
    q1: str
    q3: str
    low: str
    high: str


def summarise(values: Sequence[Decimal]) -> NumberSummary | None:
    """None when nobody gave a number."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = q3 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return NumberSummary(
        n=len(ordered),
        total=_show(sum(ordered, Decimal(0))),
        median=_show(statistics.median(ordered)),
        q1=_show(q1),
        q3=_show(q3),
        low=_show(ordered[0]),
        high=_show(ordered[-1]),
    )


def number_summaries(
    *, session: Session, flow: Flow, report_filter: ReportFilter = NO_FILTER
) -> dict[str, NumberSummary]:
    """Question id → its summary, for the flow's numeric questions that have answers."""
    out: dict[str, NumberSummary] = {}
    report_filter = report_filter.for_flow(flow.counting)  # storage.unit_sessions
    for question in flow.questions:
        if not question.is_numeric:
            continue
        values = numeric_values(
            session=session, flow_id=flow.id, question_id=question.id, report_filter=report_filter
        )
        summary = summarise(values)
        if summary is not None:
            out[question.id] = summary
    return out


def _show(value: Decimal) -> str:
    # Means of two middle values can have many digits (1/3 is not one of them, but
    # 0.1 + 0.2 halves are): round to 4 places before the canonical text.
    return canonical(value.quantize(Decimal("0.0001"))) or str(value)
