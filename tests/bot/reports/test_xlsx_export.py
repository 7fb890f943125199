"""The analysis workbook: typed cells, China-time datetimes, numbered bilingual headers,
a codebook, frozen header and autofilter; the CSV's phone numbers open as written."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows, write_csv
from bot.reports.xlsx_export import write_analysis_xlsx
from flows.events import AnswerRecorded
from storage.transactions import transaction
from tests.bot.reports.test_export import _survey
from tests.storage.sample import apply, new_respondent, small_flow


def test_cells_are_typed_and_times_are_china_time(engine: Engine, tmp_path: Path) -> None:
    r1, _, _ = _survey(engine)
    path = tmp_path / "answers.xlsx"
    flow = small_flow()
    with transaction(engine) as session:
        _, rows = export_rows(session=session, flow=flow)
        assert write_analysis_xlsx(path, flow, rows) == 3
    workbook = load_workbook(path)
    sheet = workbook["answers"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "编号 Respondent ID"
    assert header[5] == "开始时间 Started (Asia/Shanghai)"
    assert header[7] == "1. 角色 / Role"
    assert header[8] == "2. 表格 / Excel (0/1)"
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["编号 Respondent ID"].value == r1 and first["编号 Respondent ID"].data_type == "n"
    assert first["问卷版本 Version"].value == 1
    started = first["开始时间 Started (Asia/Shanghai)"]
    assert started.value == datetime(2025, 1, 27, 16, 0)  # 08:00 UTC
    assert started.is_date
    flags = [first[h].value for h in header[8:11]]
    assert flags == [1, 1, 0] and sum(flags) == 2  # numbers: SUM works
    formula = first["4. 请说明 / Please explain"]
    assert formula.value == '=HYPERLINK("http://x")' and formula.data_type == "s"
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}4"
    codebook = [[c.value for c in row] for row in workbook["codebook"].iter_rows()]
    assert codebook[0][:2] == ["题号 No.", "列 Column"]
    assert ["1", "role", "角色", "Role", "oem", "主机厂", "OEM"] in codebook
    assert ["2", "tools:sap", "工具", "Tools", "sap", "SAP", "SAP"] in codebook
    workbook.close()


def test_csv_phone_numbers_open_as_written_and_formulas_stay_text(
    engine: Engine, tmp_path: Path
) -> None:
    _, survey_session = new_respondent(engine, "p1")
    apply(engine, survey_session, AnswerRecorded("role", ("oem",)),
          AnswerRecorded("explain", text="+8613800138000"),
          AnswerRecorded("name", text="021-6123 4567"))  # fmt: skip
    path = tmp_path / "answers.csv"
    with transaction(engine) as session:
        write_csv(path, *export_rows(session=session, flow=small_flow()))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    values = dict(zip(header, row, strict=True))
    assert values["explain"] == '="+8613800138000"'
    assert values["name"] == '="021-6123 4567"'
    assert values["respondent_id"].isdigit()  # ids stay plain numbers


def test_single_choice_as_codes_or_labels_and_a_labels_column_for_multiple_choice(
    engine: Engine,
) -> None:
    _survey(engine)
    with transaction(engine) as session:
        header, rows = export_rows(session=session, flow=small_flow())
        codes = dict(zip(header, next(rows), strict=True))
        header, rows = export_rows(session=session, flow=small_flow(), labels=True)
        words = dict(zip(header, next(rows), strict=True))
    assert (codes["role"], words["role"]) == ("supplier", "供应商 (Supplier)")
    assert codes["tools:labels"] == words["tools:labels"] == "SAP; 表格 (Excel)"
    assert (codes["tools:sap"], words["tools:sap"]) == ("1", "1")
