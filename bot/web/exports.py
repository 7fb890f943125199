"""Exports for download: written to a temporary file, then streamed from it.

The read-only transaction lasts only while the file is written (never while a slow
client downloads), and memory stays flat however many respondents there are: the rows
stream from the database into the file (`bot.reports.export`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.reports.export import export_rows, write_csv
from bot.reports.number_summary import number_summaries
from bot.reports.sav_export import write_sav
from bot.reports.xlsx_export import write_analysis_xlsx
from bot.reports.xlsx_summary import read_summary
from bot.staff.web_links import ExportFormat
from flows.model import Flow
from storage.filters import NO_FILTER, ReportFilter
from storage.transactions import transaction

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.SAV: "application/x-spss-sav",
}


@dataclass(frozen=True)
class ExportFile:
    path: Path
    rows: int
    media_type: str


def write_export_file(
    engine: Engine,
    flow: Flow,
    fmt: ExportFormat,
    report_filter: ReportFilter = NO_FILTER,
    labels: bool = False,
    *,
    now: datetime,
) -> ExportFile:
    """Blocking (run it in a thread). The caller deletes `path` once it has been sent."""
    handle, name = tempfile.mkstemp(prefix="surveybot-export-", suffix=f".{fmt.value}")
    os.close(handle)
    path = Path(name)
    try:
        with transaction(engine, readonly=True, long_read=True) as session:
            header, rows = export_rows(
                session=session, flow=flow, report_filter=report_filter, labels=labels
            )
            if fmt is ExportFormat.XLSX:
                summary = read_summary(
                    session=session, flow=flow, now=now, report_filter=report_filter
                )
                numbers = number_summaries(session=session, flow=flow, report_filter=report_filter)
                count = write_analysis_xlsx(path, flow, rows, numbers, summary=summary)
            elif fmt is ExportFormat.SAV:
                count = write_sav(path, flow, rows)
            else:
                count = write_csv(path, header, rows)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ExportFile(path, count, MEDIA_TYPES[fmt])
