"""Exports of a survey counted per organisation: every session, a `counted` 0/1 column
(SPSS value labels, XLSX integers and a codebook row), the summary sheet counting units."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyreadstat
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows
from bot.reports.sav_export import COUNTED_LABELS, write_sav
from bot.reports.xlsx_export import write_analysis_xlsx
from bot.reports.xlsx_summary import COUNTING_NOTES, read_summary
from flows.model import CountingUnit
from storage.transactions import transaction
from tests.storage.sample import NOW, small_flow
from tests.storage.test_unit_sessions import colleagues

PER_ORGANISATION = replace(small_flow(), counting=CountingUnit.ORGANISATION)
NOTE = COUNTING_NOTES[CountingUnit.ORGANISATION]


def test_spss_has_the_counted_variable_with_labels(engine: Engine, tmp_path: Path) -> None:
    first, _, _ = colleagues(engine)  # 甲公司 counts through its second colleague
    path = tmp_path / "answers.sav"
    with transaction(engine, readonly=True) as session:
        _, rows = export_rows(session=session, flow=PER_ORGANISATION)
        assert write_sav(path, PER_ORGANISATION, rows) == 3
    frame, meta = pyreadstat.read_sav(str(path))
    assert meta.column_names[7] == "counted"
    assert meta.variable_value_labels["counted"] == COUNTED_LABELS
    assert sorted(frame["counted"].tolist()) == [0.0, 1.0, 1.0]


def test_xlsx_types_the_column_and_notes_the_rule(engine: Engine, tmp_path: Path) -> None:
    colleagues(engine)
    path = tmp_path / "answers.xlsx"
    with transaction(engine, readonly=True) as session:
        _, rows = export_rows(session=session, flow=PER_ORGANISATION)
        summary = read_summary(session=session, flow=PER_ORGANISATION, now=NOW)
        write_analysis_xlsx(path, PER_ORGANISATION, rows, summary=summary)
    book = load_workbook(path, read_only=True)
    answers = list(book["answers"].iter_rows(values_only=True))
    assert answers[0][7] == "计入统计（按单位规则，0/1） Counted (unit rule, 0/1)"
    assert sorted(row[7] for row in answers[1:]) == [0, 1, 1]  # integers: SUM works
    assert any(row[0] == NOTE for row in book["summary"].iter_rows(values_only=True))
    codebook = list(book["codebook"].iter_rows(values_only=True))
    assert codebook[-1][1:3] == ("counted", NOTE)
