"""Read an XLSForm workbook into plain rows, keeping sheet names and row numbers.

Everything after this module works on `Sheet` values, so the converter never touches
openpyxl and every problem can say "survey sheet, row 7" the way Excel numbers rows.
"""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from flows.errors import FlowFileError, Problem

__all__ = ["Row", "Sheet", "read_workbook", "sheet_place"]


@dataclass(frozen=True)
class Row:
    number: int  # as Excel shows it (1-based)
    values: tuple[str, ...]  # one per header column, "" for an empty cell

    def value(self, index: int) -> str:
        return self.values[index] if index < len(self.values) else ""


@dataclass(frozen=True)
class Sheet:
    name: str  # lower-cased: "survey", "choices", "settings"
    headers: tuple[str, ...]
    header_row: int
    rows: tuple[Row, ...]  # data rows below the header, blank rows left out


def sheet_place(sheet: str, row: int) -> str:
    """How problems name a spot: `survey sheet, row 7`."""
    return f"{sheet} sheet, row {row}"


def read_workbook(path: Path | str) -> dict[str, Sheet]:
    """Every sheet by lower-cased name. OSError propagates; a non-workbook is FlowFileError."""
    path = Path(path)
    try:
        # Workbooks saved by Excel or KoboToolbox carry extensions openpyxl does not
        # read (data validation, conditional formats); its warnings about them say
        # nothing about the form, and the test suite turns warnings into errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        problem = Problem(path.name, f"not an Excel .xlsx workbook ({error})")
        raise FlowFileError([problem], source=str(path)) from None
    try:
        return {ws.title.strip().lower(): _sheet(ws) for ws in workbook.worksheets}
    finally:
        workbook.close()


def _sheet(worksheet: Any) -> Sheet:
    name = worksheet.title.strip().lower()
    headers: tuple[str, ...] | None = None
    header_row = 1
    rows: list[Row] = []
    for number, raw in enumerate(worksheet.iter_rows(values_only=True), start=1):
        values = tuple(cell_text(v) for v in raw)
        if not any(values):
            continue
        if headers is None:
            headers, header_row = values, number
            continue
        rows.append(Row(number, values[: len(headers)]))
    return Sheet(name, headers or (), header_row, tuple(rows))


def cell_text(value: object) -> str:
    """A cell as the text an author typed: TRUE → "true", 2.0 → "2", blanks → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    # Excel keeps the line breaks an author typed with Alt+Enter as \n (sometimes \r\n).
    return str(value).replace("\r\n", "\n").strip()
