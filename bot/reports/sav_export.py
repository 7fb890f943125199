"""The answers as an SPSS `.sav`: variable labels, value labels, numeric codes.

The same rows as the CSV (`bot.reports.export.export_rows`, in codes), typed for SPSS:
a question is named by the number respondents see (`Q5`, `Q10a`; a multiple-choice
option `Q2_3`, its chosen labels `Q2_labels`; one outside the count by its id) and
labelled with its question in both languages; a single-choice answer is the option's
position (1, 2, …) with the option's words as its value label, a multiple-choice option
0/1 (未选 / 已选); times are SPSS datetimes in China time (the zone in the label).
pyreadstat writes a whole data frame, so the rows are held in memory: fine for a
campaign's thousands; for millions use the CSV, which streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from bot.reports.export import COUNTED, LABELS, export_columns, fixed_columns
from bot.reports.labels import numbered, option_text
from bot.reports.text_report import option_label
from bot.reports.xlsx_export import FIXED_HEADERS, SHANGHAI
from flows import numbering
from flows.model import Flow, Question, QuestionType
from storage.aggregates import option_ids

_FIXED_KINDS = {"respondent_id": "number", "version": "number", "started_at": "time",
                "completed_at": "time", COUNTED: "number"}  # fmt: skip
FLAG_LABELS = {0.0: "未选 Not chosen", 1.0: "已选 Chosen"}
COUNTED_LABELS = {0.0: "不计入（同单位另有计入者） Not counted", 1.0: "计入 Counted"}
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")
NAME_BYTES = 64  # SPSS's limit on a variable name


class Kind(StrEnum):
    NUMBER = "number"  # integers and 0/1 flags
    CODE = "code"  # a single-choice option id, written as its position
    TIME = "time"
    TEXT = "text"


@dataclass(frozen=True)
class Variable:
    column: str  # the CSV's column id
    name: str
    label: str
    kind: Kind
    codes: dict[str, int] = field(default_factory=dict)  # option id → value (Kind.CODE)
    value_labels: dict[float, str] = field(default_factory=dict)


def variables(flow: Flow) -> list[Variable]:
    """One variable per CSV column, in the CSV's order."""
    fixed = fixed_columns(flow)
    out = [
        Variable(
            c,
            c,
            FIXED_HEADERS[c],
            Kind(_FIXED_KINDS.get(c, "text")),
            value_labels=dict(COUNTED_LABELS) if c == COUNTED else {},
        )
        for c in fixed
    ]
    taken = set(fixed)
    for question in flow.questions:
        if not question.is_note:
            out.extend(_question_variables(flow, question, taken))
    assert [v.column for v in out] == export_columns(flow)
    return out


def _question_variables(flow: Flow, question: Question, taken: set[str]) -> list[Variable]:
    n = numbering.label(flow, question.id)
    stem = _name(f"Q{n}" if n else question.id, taken)  # outside the count: its id
    title = numbered(flow, question.id, f"{question.text.zh} / {question.text.en}")
    if question.type is QuestionType.MULTI:
        out = []
        for position, option_id in enumerate(option_ids(question), 1):
            text = option_text(question, option_id)
            out.append(
                Variable(
                    f"{question.id}:{option_id}",
                    _name(f"{stem}_{position}", taken),
                    numbered(flow, question.id, f"{text.zh} / {text.en}"),
                    Kind.NUMBER,
                    value_labels=dict(FLAG_LABELS),
                )
            )
        labels = _name(f"{stem}_labels", taken)
        out.append(Variable(f"{question.id}:{LABELS}", labels, f"{title} (选项 labels)", Kind.TEXT))
        return out
    if question.is_choice:
        ids = option_ids(question)
        codes = {option_id: position for position, option_id in enumerate(ids, 1)}
        value_labels = {
            float(code): option_label(option_text(question, option_id))
            for option_id, code in codes.items()
        }
        return [Variable(question.id, stem, title, Kind.CODE, codes, value_labels)]
    kind = Kind.NUMBER if question.type is QuestionType.INTEGER else Kind.TEXT
    return [Variable(question.id, stem, title, kind)]


def _name(wanted: str, taken: set[str]) -> str:
    base = _NOT_A_NAME.sub("_", wanted)[:NAME_BYTES]
    if not base[0].isalpha():
        base = ("Q" + base)[:NAME_BYTES]
    name, suffix = base, 1
    while name.casefold() in {t.casefold() for t in taken}:
        suffix += 1
        name = f"{base[: NAME_BYTES - 1 - len(str(suffix))]}_{suffix}"
    taken.add(name)
    return name


def _value(raw: str, variable: Variable) -> object:
    if variable.kind is Kind.TEXT:
        return raw
    if raw == "":
        return None
    if variable.kind is Kind.TIME:
        moment = datetime.fromisoformat(raw).astimezone(SHANGHAI)
        return moment.replace(tzinfo=None, microsecond=0)
    if variable.kind is Kind.CODE:
        return float(variable.codes[raw]) if raw in variable.codes else None
    try:
        return float(raw)
    except ValueError:
        return None  # an integer question's stray text: missing, as SPSS would read it


def write_sav(path: str | Path, flow: Flow, rows: Iterable[list[str]]) -> int:
    """Write the rows (in codes) as `path`; returns the rows written."""
    # Imported here, like openpyxl: only a worker that writes a .sav carries pandas.
    import pandas as pd
    import pyreadstat

    spec = variables(flow)
    table = [[_value(raw, v) for raw, v in zip(values, spec, strict=True)] for values in rows]
    columns = {
        v.name: pd.Series(
            [row[i] for row in table],
            dtype=_DTYPES[v.kind],
        )
        for i, v in enumerate(spec)
    }
    frame = pd.DataFrame(columns)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=flow.title.en[:64],
        column_labels={v.name: v.label for v in spec},
        variable_value_labels={v.name: v.value_labels for v in spec if v.value_labels},
        variable_measure={v.name: "nominal" for v in spec if v.kind is Kind.CODE},
    )
    return len(table)


_DTYPES = {
    Kind.NUMBER: "float64",
    Kind.CODE: "float64",
    Kind.TIME: "datetime64[us]",
    Kind.TEXT: "object",
}
