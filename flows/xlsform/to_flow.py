"""XLSForm workbook → flow data (the YAML structure `flows.definition` reads) → `Flow`.

The conventions (which columns, which extensions) are documented in docs/xlsform.md
and in `flows.xlsform`. Every problem is collected before anything is raised, each
naming its sheet and row; then `parse_flow` validates the result like any flow file,
and its findings are pointed back at the workbook too (`flows.xlsform.places`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.definition import parse_flow
from flows.errors import FlowFileError, Problem
from flows.model import Flow
from flows.xlsform.flow_data import FlowDataConverter
from flows.xlsform.places import sheet_order
from flows.xlsform.reader import Sheet, read_workbook

__all__ = ["XLSFormImport", "import_xlsform", "sheets_to_flow"]


@dataclass(frozen=True)
class XLSFormImport:
    data: dict[str, Any]  # the flow file's structure, ready for YAML
    flow: Flow
    notes: tuple[Problem, ...]  # what was ignored (metadata rows, appearance …)


def import_xlsform(path: Path | str) -> XLSFormImport:
    """Convert a workbook; FlowFileError lists every problem with its sheet and row."""
    path = Path(path)
    return sheets_to_flow(read_workbook(path), source=str(path))


def sheets_to_flow(sheets: dict[str, Sheet], *, source: str = "<workbook>") -> XLSFormImport:
    converter = FlowDataConverter(sheets)
    data = converter.convert()
    problems = list(converter.findings.problems)
    flow: Flow | None = None
    try:
        flow = parse_flow(data, source=source)
    except FlowFileError as error:
        # A shared choice list is checked once per question using it: report it once.
        translated = (converter.places.translate(p) for p in error.problems)
        problems += [p for p in dict.fromkeys(translated) if p not in problems]
    if problems or flow is None:
        raise FlowFileError(sorted(problems, key=sheet_order), source=source)
    return XLSFormImport(data, flow, tuple(converter.findings.notes))
