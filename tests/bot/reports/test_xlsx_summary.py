"""The workbook's summary sheet reproduces the seed's "Overall Summary" from 316 answers:
per question, in the seed's order and wording, every option with its count and its
percentage (a number shown with two decimals), then the free texts, newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.reports.export import export_rows
from bot.reports.text_report import HEADER, option_label
from bot.reports.xlsx_export import write_analysis_xlsx
from bot.reports.xlsx_summary import COLUMNS, PERCENT_FORMAT, TITLE, read_summary
from flows.definition import load_flow
from flows.model import Flow, Lang
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import option_ids
from storage.transactions import transaction
from tests.bot.reports.seed_population import (
    SEED_COUNTS,
    SEED_PERCENTAGES,
    SEED_TEXTS,
    TEXT_QUESTION,
)
from tests.bot.reports.test_seed_report import _write_population

NOW = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


def test_the_summary_sheet_is_the_seed_s_layout(engine: Engine, flow: Flow, tmp_path: Path) -> None:
    ids = _write_population(engine, flow)
    path = tmp_path / "answers.xlsx"
    with transaction(engine, readonly=True) as session:
        summary = read_summary(session=session, flow=flow, now=NOW)
        _, rows = export_rows(session=session, flow=flow)
        assert write_analysis_xlsx(path, flow, rows, summary=summary) == 316

    workbook = load_workbook(path)
    assert workbook.sheetnames == ["answers", "summary", "codebook"]
    cells = list(workbook["summary"].iter_rows())
    values = [[c.value for c in row] for row in cells]
    firsts = [row[0] if row else None for row in values]
    assert firsts[:4] == [HEADER, flow.title.get(Lang.BOTH), TITLE,
                          "截至 As of 2026-03-02 12:30 (Asia/Shanghai)"]  # fmt: skip
    starts = []
    for question_id, pcts in SEED_PERCENTAGES.items():
        question = flow.question(question_id)
        start = firsts.index(question.text.get(Lang.BOTH))
        assert values[start + 1] == list(COLUMNS)  # the seed's "选项 百分比", with counts
        options = [question.option(o) for o in option_ids(question)]
        for offset, (option, pct) in enumerate(zip(options, pcts, strict=True)):
            assert option is not None
            label, count, share = cells[start + 2 + offset]
            assert label.value == option_label(option.text)  # "主机厂 (OEM)", the seed's words
            assert isinstance(count.value, int) and isinstance(share.value, float)
            assert f"{share.value * 100:.2f}" == pct and share.number_format == PERCENT_FORMAT
            if question_id in SEED_COUNTS:
                assert count.value == SEED_COUNTS[question_id][offset]
        starts.append(start)
    assert starts == sorted(starts)  # the seed's order

    explain = firsts.index(flow.question(TEXT_QUESTION).text.get(Lang.BOTH))
    listed = [row[:2] for row in values[explain + 1 : explain + 1 + len(SEED_TEXTS)]]
    assert listed == [[ids[n], text] for n, text in SEED_TEXTS]
    contact_fields = [q for q in flow.questions if q.type.value == "field"]
    assert contact_fields and not any(q.text.get(Lang.BOTH) in firsts for q in contact_fields)
    workbook.close()
