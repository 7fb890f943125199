"""The SPSS export, read back with pyreadstat: variables named by the survey's numbers,
labelled in both languages, choices as numeric codes with value labels, times in China
time, and a handled contact request's details left out."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pyreadstat
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows
from bot.reports.sav_export import FLAG_LABELS, write_sav
from storage.transactions import transaction
from tests.bot.reports.test_export import _survey
from tests.storage.sample import small_flow


def _read(engine: Engine, path: Path) -> tuple[list[dict[str, object]], object]:
    flow = small_flow()
    with transaction(engine, readonly=True) as session:
        _, rows = export_rows(session=session, flow=flow, batch_size=2)
        assert write_sav(path, flow, rows) == 3
    frame, meta = pyreadstat.read_sav(str(path))
    return frame.to_dict("records"), meta


def test_variables_and_value_labels(engine: Engine, tmp_path: Path) -> None:
    _survey(engine)
    _, meta = _read(engine, tmp_path / "answers.sav")

    assert meta.column_names == [  # type: ignore[attr-defined]
        "respondent_id", "channel", "lang", "status", "version", "started_at", "completed_at",
        "Q1", "Q2_1", "Q2_2", "Q2_3", "Q2_labels", "Q3", "Q4", "Q5_1", "Q5_2", "Q5_labels",
        "name",
    ]  # fmt: skip
    labels = meta.column_names_to_labels  # type: ignore[attr-defined]
    assert labels["Q1"] == "1. 角色 / Role"
    assert labels["Q2_2"] == "2. SAP / SAP"
    assert labels["started_at"] == "开始时间 Started (Asia/Shanghai)"
    values = meta.variable_value_labels  # type: ignore[attr-defined]
    assert values["Q1"] == {1.0: "主机厂 (OEM)", 2.0: "供应商 (Supplier)"}
    assert values["Q3"] == {1.0: "是 (Yes)", 2.0: "否 (No)"}
    assert values["Q2_1"] == FLAG_LABELS
    assert "Q4" not in values  # free text: no codes


def test_values_are_codes_flags_and_china_time(engine: Engine, tmp_path: Path) -> None:
    r1, r2, r3 = _survey(engine)
    records, _ = _read(engine, tmp_path / "answers.sav")

    first, second, third = records
    assert [first["respondent_id"], second["respondent_id"]] == [r1, r2]
    assert (first["Q1"], second["Q1"]) == (2.0, 1.0)  # supplier, OEM
    assert (first["Q2_1"], first["Q2_2"], first["Q2_3"]) == (1.0, 1.0, 0.0)
    assert first["Q2_labels"] == "SAP; 表格 (Excel)"  # as chosen
    assert math.isnan(float(str(second["Q2_1"])))  # not asked: missing, not 0
    assert (first["Q3"], second["Q3"]) == (1.0, 2.0)
    assert first["Q4"] == '=HYPERLINK("http://x")'  # text stays text
    assert first["started_at"] == datetime(2025, 1, 27, 16, 0)  # 08:00 UTC
    assert first["name"] == "王伟"  # an open contact request: the details serve it
    assert math.isnan(float(str(third["Q1"])))
