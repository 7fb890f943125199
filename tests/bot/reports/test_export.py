from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows, write_csv, write_xlsx
from flows.events import AnswerRecorded
from storage.transactions import transaction
from tests.storage.sample import apply, new_respondent, small_flow

HEADER = [
    "respondent_id",
    "channel",
    "lang",
    "status",
    "version",
    "started_at",
    "completed_at",
    "role",
    "tools:excel",
    "tools:sap",
    "tools:none",
    "tools:labels",
    "policy",
    "explain",
    "contact:now",
    "contact:no",
    "contact:labels",
    "name",
]


def _survey(engine: Engine) -> tuple[int, int, int]:
    r1, s1 = new_respondent(engine, "u1")
    r2, s2 = new_respondent(engine, "u2")
    r3, _ = new_respondent(engine, "u3")  # started, answered nothing
    apply(
        engine,
        s1,
        AnswerRecorded("role", ("supplier",)),
        AnswerRecorded("tools", ("sap", "excel")),
        AnswerRecorded("policy", ("yes",)),
        AnswerRecorded("explain", text='=HYPERLINK("http://x")'),
        AnswerRecorded("contact", ("now",)),
        AnswerRecorded("name", text="王伟"),
    )
    apply(engine, s2, AnswerRecorded("role", ("oem",)), AnswerRecorded("policy", ("no",)))
    return r1, r2, r3


def test_one_row_per_respondent(engine: Engine) -> None:
    r1, r2, r3 = _survey(engine)
    with transaction(engine) as session:
        header, rows = export_rows(session=session, flow=small_flow(), batch_size=2)
        table = list(rows)
    assert header == HEADER
    assert [row[0] for row in table] == [str(r1), str(r2), str(r3)]
    first = dict(zip(header, table[0], strict=True))
    assert first["channel"] == "telegram" and first["status"] == "active"
    assert first["version"] == "1"  # the survey version this respondent answered
    # 08:00 UTC in China time, with its offset, as chat, XLSX and SPSS show it.
    assert first["started_at"] == "2025-01-27T16:00:00+08:00"
    assert (first["role"], first["tools:excel"], first["tools:sap"], first["tools:none"]) == (
        "supplier",
        "1",
        "1",
        "0",
    )
    assert (first["policy"], first["contact:now"], first["name"]) == ("yes", "1", "王伟")
    second = dict(zip(header, table[1], strict=True))
    assert (second["role"], second["tools:sap"], second["explain"]) == ("oem", "", "")
    assert table[2][7:] == [""] * (len(HEADER) - 7)


def test_csv_has_a_bom_and_no_formulas(engine: Engine, tmp_path: Path) -> None:
    _survey(engine)
    path = tmp_path / "answers.csv"
    with transaction(engine) as session:
        assert write_csv(path, *export_rows(session=session, flow=small_flow())) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == HEADER
    row = dict(zip(HEADER, table[1], strict=True))
    assert row["name"] == "王伟"
    assert row["explain"] == '\'=HYPERLINK("http://x")'  # Excel shows it as text
    stream = io.StringIO()
    with transaction(engine) as session:
        write_csv(stream, *export_rows(session=session, flow=small_flow()))
    assert stream.getvalue().startswith("\ufeffrespondent_id,")


def test_xlsx_reads_back_as_text(engine: Engine, tmp_path: Path) -> None:
    _survey(engine)
    path = tmp_path / "answers.xlsx"
    with transaction(engine) as session:
        header, rows = export_rows(session=session, flow=small_flow())
        assert write_xlsx(path, header, ([*r[:-1], r[-1] + "\x07"] for r in rows)) == 3
    workbook = load_workbook(path, read_only=True)
    cells = [list(row) for row in workbook["answers"].iter_rows()]
    workbook.close()
    table = [[c.value if c.value is not None else "" for c in row] for row in cells]
    assert table[0] == HEADER and len(table) == 4
    row = dict(zip(HEADER, table[1], strict=True))
    assert row["explain"] == '=HYPERLINK("http://x")'
    assert {c.data_type for row in cells for c in row if c.value is not None} == {"s"}  # no formula
    assert row["name"] == "王伟"  # control characters Excel refuses are dropped
