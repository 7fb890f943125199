"""Small XLSForm workbooks for tests: rows as dicts, headers taken from their keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

ZH, EN = "label::中文 (zh)", "label::English (en)"

SETTINGS: dict[str, object] = {
    "form_id": "tiny",
    "version": 1,
    "form_title::中文 (zh)": "标题",
    "form_title::English (en)": "Title",
    "preface::中文 (zh)": "引言",
    "preface::English (en)": "Preface",
    "closing::中文 (zh)": "谢谢",
    "closing::English (en)": "Thanks",
}
ROLE = {"type": "select_one role", "name": "role", ZH: "角色", EN: "Role", "required": "yes"}
ROLE_CHOICES = [
    {"list_name": "role", "name": "oem", ZH: "主机厂", EN: "OEM"},
    {"list_name": "role", "name": "supplier", ZH: "供应商", EN: "Supplier"},
]

Rows = Sequence[Mapping[str, object]]


def question(kind: str, name: str, **columns: object) -> dict[str, object]:
    """A survey row with both labels filled in from the name."""
    return {"type": kind, "name": name, ZH: f"{name}？", EN: f"{name}?", **columns}


def write_form(
    path: Path,
    survey: Rows,
    choices: Rows = ROLE_CHOICES,
    settings: Mapping[str, object] | None = SETTINGS,
    **sheets: Rows,
) -> Path:
    """survey row 2 is survey[0], choices row 2 is choices[0] (row 1 is the header)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    _fill(sheet, survey)
    _fill(workbook.create_sheet("choices"), choices)
    if settings is not None:
        _fill(workbook.create_sheet("settings"), [settings])
    for name, rows in sheets.items():
        _fill(workbook.create_sheet(name), rows)
    workbook.save(path)
    return path


def _fill(sheet: object, rows: Rows) -> None:
    headers = list(dict.fromkeys(key for row in rows for key in row))
    sheet.append(headers)  # type: ignore[attr-defined]
    for row in rows:
        sheet.append([row.get(h) for h in headers])  # type: ignore[attr-defined]
