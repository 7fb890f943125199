"""The live report reproduces the seed's published summary, to the hundredth of a percent.

316 synthetic respondents are written through the real write path (`apply_effects`,
which keeps the counters), on SQLite and PostgreSQL; the report is then read from the
counters alone and must print every one of the seed's percentages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.reports.text_report import COLUMNS, HEADER, option_label, render_report
from flows.answer_parsing import Parsed, parse_answer
from flows.definition import load_flow
from flows.events import AnswerRecorded, Effect, SurveyCompleted
from flows.model import Flow, Lang
from flows.navigation import irrelevant_answered
from flows.state import Answer, SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import option_ids, percent, question_stats
from storage.answers import apply_effects
from storage.consistency import verify
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.bot.reports.seed_population import (
    SEED_COUNTS,
    SEED_PERCENTAGES,
    SEED_TEXTS,
    TEXT_QUESTION,
    answer_times,
    build_population,
)

SEED_FILE = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_48eb87727c5bd226.txt"


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


def test_the_transcribed_percentages_are_the_seed_file_s() -> None:
    if not SEED_FILE.exists():
        pytest.skip(f"seed file not found at {SEED_FILE}")
    published = re.findall(r"(\d+\.\d\d)%", SEED_FILE.read_text(encoding="utf-8"))
    assert published == [p for pcts in SEED_PERCENTAGES.values() for p in pcts]


def test_the_derived_counts_give_the_seed_s_percentages() -> None:
    for question_id, counts in SEED_COUNTS.items():
        computed = [str(percent(c, sum(counts))) for c in counts]
        assert computed == SEED_PERCENTAGES[question_id], question_id


def test_the_synthetic_respondents_obey_the_flow(flow: Flow) -> None:
    """Judged by the engine's own rules: conditions (navigation) and what a respondent
    could type (the answer parser: exclusive options alone, selection limits)."""
    population = build_population(flow)
    for answers in population.answers.values():
        state_answers = {
            q: Answer(options=a) if isinstance(a, tuple) else Answer(text=a)
            for q, a in answers.items()
        }
        assert irrelevant_answered(flow, state_answers) == []
        for question_id, given in answers.items():
            question = flow.question(question_id)
            if isinstance(given, tuple):
                ids = option_ids(question)
                typed = ",".join(str(ids.index(o) + 1) for o in given)
                parsed = parse_answer(question, typed)
                assert isinstance(parsed, Parsed), (question_id, given, parsed)
                assert set(parsed.options) == set(given)


def _write_population(engine: Engine, flow: Flow) -> dict[int, int]:
    """Write every synthetic respondent; returns respondent number → database id."""
    population = build_population(flow)
    ids: dict[int, int] = {}
    with transaction(engine) as session:
        for number, now in answer_times():
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=f"seed-{number}", now=now
            )
            assert respondent.id is not None
            ids[number] = respondent.id
            state = SessionState(flow.id, flow.version, status=Status.COMPLETED)
            row = save_session_row(
                session=session, respondent_id=respondent.id, state=state, now=now
            )
            effects: list[Effect] = [
                AnswerRecorded(q, options=a) if isinstance(a, tuple) else AnswerRecorded(q, text=a)
                for q, a in population.answers[number].items()
            ]
            effects.append(SurveyCompleted(flow.id, flow.version))
            apply_effects(
                session=session,
                respondent=respondent,
                survey_session=row,
                effects=effects,
                now=now,
                segments={flow.id: flow.segments},
            )
    return ids


def test_report_prints_every_seed_percentage(engine: Engine, flow: Flow) -> None:
    ids = _write_population(engine, flow)
    with transaction(engine) as session:
        assert verify(session=session, flow=flow) == []
        stats = question_stats(session=session, flow=flow, text_limit=None)
    report = render_report(flow, stats)
    lines = report.splitlines()

    assert lines[0] == HEADER
    starts = []
    for question_id, pcts in SEED_PERCENTAGES.items():
        question = flow.question(question_id)
        start = lines.index(question.text.get(Lang.BOTH))
        assert lines[start + 1] == COLUMNS
        options = [question.option(o) for o in option_ids(question)]
        expected = [f"{option_label(o.text)} {p}%" for o, p in zip(options, pcts, strict=True) if o]
        assert lines[start + 2 : start + 2 + len(pcts)] == expected
        starts.append(start)
    assert starts == sorted(starts)  # the seed's order
    for needle in ("1.27%", "98.73%", "36.75%", "59.38%", "39.94%", "4.86%", "55.06%"):
        assert needle in report

    # Free texts with the respondent's number, newest first, as in the seed.
    explain = lines.index(flow.question(TEXT_QUESTION).text.get(Lang.BOTH))
    assert lines[explain + 1 : explain + 1 + len(SEED_TEXTS)] == [
        f"{ids[n]} {text}" for n, text in SEED_TEXTS
    ]
