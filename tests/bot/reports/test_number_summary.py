"""Sums, medians and quartiles of numeric questions, in every report that shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.dispatch.render import Renderer
from bot.reports.export import export_rows
from bot.reports.number_summary import NumberSummary, number_summaries, summarise
from bot.reports.staff_replies import question_reply
from bot.reports.text_report import render_report
from bot.reports.xlsx_export import write_analysis_xlsx
from bot.web.dashboard import gather_dashboard
from flows.definition import load_flow
from flows.events import AnswerRecorded
from flows.model import Flow, Lang
from flows.state import SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.answers import apply_effects
from storage.numeric_answers import numeric_values
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
# (typed, stored): what five suppliers answered to the emissions question.
EMISSIONS = [("1.5万吨", "15000"), ("12,000 t", "12000"), ("20 kt", "20000"),
             ("8000", "8000"), ("两万吨", "20000")]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        (["7"], NumberSummary(1, "7", "7", "7", "7", "7", "7")),
        (["1", "2", "3", "4"], NumberSummary(4, "10", "2.5", "1.75", "3.25", "1", "4")),
        (["15000", "12000", "20000", "8000", "20000"],
         NumberSummary(5, "75000", "15000", "12000", "20000", "8000", "20000")),
        (["0.1", "0.2", "0.3"], NumberSummary(3, "0.6", "0.2", "0.15", "0.25", "0.1", "0.3")),
    ],
)  # fmt: skip
def test_summarise(values: list[str], expected: NumberSummary | None) -> None:
    assert summarise([Decimal(v) for v in values]) == expected


@pytest.fixture
def followup() -> Flow:
    return load_flow(DEFAULT_FLOW.parent / "aiag_pcf_followup.yaml")


def answer_emissions(engine: Engine, flow: Flow) -> None:
    with transaction(engine) as session:
        for n, (typed, stored) in enumerate(EMISSIONS):
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=f"u{n}", now=NOW
            )
            assert respondent.id is not None
            state = SessionState(flow.id, flow.version, status=Status.COMPLETED)
            row = save_session_row(
                session=session, respondent_id=respondent.id, state=state, now=NOW
            )
            effects = [
                AnswerRecorded("scopes", options=("scope_1",)),
                AnswerRecorded("scope12_emissions", text=stored, original=typed),
            ]
            apply_effects(
                session=session, respondent=respondent, survey_session=row, effects=effects, now=NOW
            )


def test_every_report_shows_the_same_figures(
    engine: Engine, followup: Flow, tmp_path: Path
) -> None:
    answer_emissions(engine, followup)
    with Session(engine) as session:
        values = numeric_values(
            session=session, flow_id=followup.id, question_id="scope12_emissions"
        )
        assert sorted(values) == sorted(Decimal(s) for _, s in EMISSIONS)
        numbers = number_summaries(session=session, flow=followup)
        stats = question_stats(session=session, flow=followup, text_limit=5)
        header, rows = export_rows(session=session, flow=followup)
        listed = list(rows)
    figures = numbers["scope12_emissions"]
    assert (figures.n, figures.total, figures.median) == (5, "75000", "15000")
    assert (figures.q1, figures.q3) == ("12000", "20000")
    assert set(numbers) == {"scope12_emissions"}  # nobody gave the other figures
    # The seed-layout report (/stats all, `surveybot report`).
    report = render_report(followup, stats, numbers=numbers)
    assert (
        "n = 5｜合计 sum 75000｜中位数 median 15000｜Q1 12000｜Q3 20000｜最小 min 8000｜"
        "最大 max 20000（tCO2e）"
    ) in report
    # /stats N, in each language.
    question = followup.question("scope12_emissions")
    reply = question_reply(
        followup, question, stats["scope12_emissions"], figures, as_of="now", filter_line=""
    )
    renderer = Renderer()
    en = renderer.render(reply, Lang.EN)
    zh = renderer.render(reply, Lang.ZH)
    assert "Numbers (tCO2e): n = 5 | sum 75000 | median 15000 | quartiles Q1 12000, Q3 20000" in en
    assert "数值（tCO2e）：n = 5｜合计 75000｜中位数 15000｜四分位 Q1 12000，Q3 20000" in zh
    # The CSV keeps the number and the words typed side by side.
    at = header.index("scope12_emissions")
    assert header[at + 1] == "scope12_emissions:original"
    assert sorted((r[at], r[at + 1]) for r in listed) == sorted((s, t) for t, s in EMISSIONS)
    # The workbook: numeric cells, and a numbers sheet with the same figures.
    path = tmp_path / "answers.xlsx"
    write_analysis_xlsx(path, followup, listed, numbers)
    book = load_workbook(path)
    answers = book["answers"]
    heads = [c.value for c in next(answers.iter_rows(max_row=1))]
    column = next(i for i, h in enumerate(heads) if str(h).endswith("(tCO2e)"))
    cells = [row[column].value for row in answers.iter_rows(min_row=2)]
    assert sorted(cells) == [8000, 12000, 15000, 20000, 20000]
    assert heads[column + 1].endswith("原文 As written")
    sheet = [[c.value for c in row] for row in book["numbers"].iter_rows(min_row=2)]
    emissions = next(r for r in sheet if r[1] == "scope12_emissions")
    assert emissions[3:] == ["tCO2e", 5, 75000, 15000, 12000, 20000, 8000, 20000]
    electricity = next(r for r in sheet if r[1] == "electricity_use")
    assert electricity[3:5] == ["MWh", 0]


def test_the_dashboard_section_carries_the_figures(engine: Engine, followup: Flow) -> None:
    answer_emissions(engine, followup)
    with Session(engine) as session:
        board = gather_dashboard(session=session, flow=followup, now=NOW)
    section = next(s for s in board.sections if s.question.id == "scope12_emissions")
    assert section.numbers is not None and section.numbers.median == "15000"
    others = [s.numbers for s in board.sections if s.question.id != "scope12_emissions"]
    assert others == [None] * len(others)
