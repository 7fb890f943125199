"""Charts: valid, small PNGs in every language; Chinese only when a font can draw it.

pytest runs with filterwarnings=error, so a "Glyph … missing from font(s)" warning from
matplotlib fails these tests: that is how the graceful fallback is checked.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from bot.reports.chart_fonts import CJK_FAMILIES, chart_font, latin_font, wrap
from bot.reports.charts import (
    NoChart,
    question_chart_png,
    relevant_questions,
    respondent_chart_png,
)
from bot.reports.progress_chart import progress_chart_png
from flows.definition import load_flow
from flows.model import Flow, Lang, Option, Question, QuestionType, Text
from flows.state import Answer
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import OptionStat, QuestionStats, percent, question_stats
from storage.transactions import transaction
from storage.web_queries import progress_by_day
from tests.bot.web.seed_db import write_seed

PNG = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 200_000


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


def stats_for(question: Question, counts: list[int], respondents: int) -> QuestionStats:
    ids = [o.id for o in question.options]
    selections = sum(counts)
    return QuestionStats(
        question.id,
        respondents,
        selections,
        tuple(
            OptionStat(o, c, percent(c, selections), percent(c, respondents))
            for o, c in zip(ids, counts, strict=True)
        ),
    )


def assert_png(data: bytes, *, width: int = 800) -> None:
    assert data.startswith(PNG)
    assert len(data) < MAX_BYTES
    with Image.open(io.BytesIO(data)) as image:
        assert image.width == width and image.height >= 150


def test_every_question_of_the_seed_has_a_chart(engine: Engine, flow: Flow) -> None:
    write_seed(engine, flow)
    with transaction(engine, readonly=True) as session:
        stats = question_stats(session=session, flow=flow)
        days = progress_by_day(session=session, flow_id=flow.id)
    for question in flow.questions:
        if not question.is_choice:
            with pytest.raises(NoChart):
                question_chart_png(question, stats[question.id], lang=Lang.BOTH)
            continue
        # Every language for two questions; the dashboard's bilingual chart for all.
        langs = list(Lang) if question.id in ("role", "info_needs") else [Lang.BOTH]
        for lang in langs:
            assert_png(question_chart_png(question, stats[question.id], lang=lang))
    answers = {
        "role": Answer(("supplier",)),
        "commodity": Answer(("chassis", "body")),
        "function": Answer(("others",)),
        "carbon_policy": Answer(("yes",)),
        "methodology": Answer(("iso14064",)),
        "contact": Answer(("right_now",)),
    }
    assert_png(respondent_chart_png(flow, stats, answers, lang=Lang.BOTH))
    assert_png(progress_chart_png(days, lang=Lang.BOTH))


def test_a_cjk_font_is_used_when_installed() -> None:
    font = chart_font()
    if not font.cjk:
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei); charts use English")
    assert font.families[0] in CJK_FAMILIES
    assert font.families[-1] == "DejaVu Sans"  # Latin glyphs and symbols fall back to it
    assert font.lang(Lang.BOTH) is Lang.BOTH
    assert font.clean("您是OEM厂商还是供应商？") == "您是OEM厂商还是供应商？"


def test_without_a_cjk_font_labels_are_english_and_drawable(flow: Flow) -> None:
    font = latin_font()
    assert not font.cjk
    assert font.lang(Lang.BOTH) is Lang.EN and font.lang(Lang.ZH) is Lang.EN
    # A full-width question mark (the seed's "function？") becomes a drawable one.
    assert font.clean("What is your current function？") == "What is your current function?"
    assert font.clean("供应商") == "???"
    question = flow.question("function")
    stats = stats_for(question, [19, 1, 3, 22, 8, 79, 193], 316)
    for lang in Lang:  # no "Glyph missing" warning (it would be an error here)
        assert_png(question_chart_png(question, stats, lang=lang, font=font))
    assert_png(respondent_chart_png(flow, {"function": stats}, {}, lang=Lang.ZH, font=font))


def test_survey_text_is_never_mathtext() -> None:
    question = Question(
        "budget",
        QuestionType.SINGLE,
        Text("预算 $a^", "Budget $a^ $"),
        (Option("low", Text("低于 $10", "under $10")), Option("high", Text("$$", "$$"))),
    )
    for font in (chart_font(), latin_font()):
        assert_png(question_chart_png(question, stats_for(question, [3, 0], 3), lang=Lang.BOTH))
        assert_png(
            question_chart_png(question, stats_for(question, [0, 0], 0), lang=Lang.EN, font=font)
        )


def test_the_respondent_chart_shows_their_answered_questions(flow: Flow) -> None:
    choices = [q for q in flow.questions if q.options]
    stats = {q.id: stats_for(q, [1] * len(q.options), len(q.options)) for q in choices}
    answers = {
        "contact": Answer(("right_now",)),  # follow-up, not an opinion: left out
        "contact_consent": Answer(("yes",)),
        "marketing": Answer(("no",)),
        "role": Answer(("oem",)),
        "ghg_target": Answer(("yes",)),
        "function": Answer(()),  # skipped: nothing to compare
        "info_needs": Answer(("carbon_audit",)),
        "lead_function": Answer(("operations",)),
        "reporting_explain": Answer(text="GRI"),
    }
    picked = [q.id for q in relevant_questions(flow, stats, answers)]
    assert picked == ["role", "ghg_target", "lead_function", "marketing"]
    assert_png(respondent_chart_png(flow, stats, {}, lang=Lang.BOTH))  # "nothing yet" image


def test_charts_draw_from_several_threads_at_once(flow: Flow) -> None:
    questions = [q for q in flow.questions if q.is_choice and q.options][:8]
    jobs = [(q, stats_for(q, list(range(1, len(q.options) + 1)), 50)) for q in questions]
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(lambda job: question_chart_png(*job, lang=Lang.BOTH), jobs))
    for image in images:
        assert_png(image)


def test_wrap_counts_chinese_as_double_width() -> None:
    assert wrap("碳中和是全球新发展阶段", 8) == "碳中和是\n全球新发\n展阶段"
    wrapped = wrap("What Carbon Inventory Quantification", 16)
    assert wrapped == "What Carbon\nInventory\nQuantification"
    assert wrap("ISO 14064 温室气体", 10) == "ISO 14064\n温室气体"
