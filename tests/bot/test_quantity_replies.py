"""What a respondent reads around a number with a unit, in each language."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.dispatch.render import Renderer
from flows.check import check_flow
from flows.completion_replies import SnapshotRequest
from flows.definition import load_flow
from flows.errors import Problem
from flows.model import Flow, Lang, QuestionType
from flows.surveys import DEFAULT_FLOW
from tests.flows.script import Script

FOLLOWUP = DEFAULT_FLOW.parent / "aiag_pcf_followup.yaml"


@pytest.fixture(scope="module")
def followup() -> Flow:
    return load_flow(FOLLOWUP)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def at_electricity(flow: Flow, lang: str) -> Script:
    script = Script(flow)
    script.answer_all("hi", lang, "4", "5")  # no footprint, no scopes yet
    assert script.current == "electricity_use"
    return script


def texts(script: Script, renderer: Renderer, lang: Lang) -> str:
    assert script.last is not None
    # Live figures are filled in by the dispatcher (bot.dispatch.snapshots), not by the engine.
    shown = [r for r in script.last.replies if not isinstance(r, SnapshotRequest)]
    return "\n".join(renderer.render(r, lang) for r in shown)


def test_the_prompt_names_the_unit_and_a_converted_example(
    followup: Flow, renderer: Renderer
) -> None:
    script = at_electricity(followup, "中文")
    assert "单位 MWh" in texts(script, renderer, Lang.ZH)
    assert "3万千瓦时" in texts(script, renderer, Lang.ZH)


@pytest.mark.parametrize(
    ("choice", "lang", "said"),
    [
        ("中文", Lang.ZH, "“吨”不是此题可用的单位，请以 MWh 回答"),
        ("English", Lang.EN, '"吨" is not a unit for this question: please answer in MWh'),
        ("双语", Lang.BOTH, "请以 MWh 回答"),
    ],
)
def test_a_wrong_unit_is_explained_in_the_respondents_language_and_changes_nothing(
    followup: Flow, renderer: Renderer, choice: str, lang: Lang, said: str
) -> None:
    script = at_electricity(followup, choice)
    before = script.state.answers
    script.send("20 吨")
    assert script.effects == [] and script.state.answers == before
    shown = texts(script, renderer, lang)
    assert said in shown
    assert script.current == "electricity_use"


def test_a_number_out_of_range_shows_it_converted(followup: Flow, renderer: Renderer) -> None:
    script = at_electricity(followup, "English")
    script.send("skip")
    script.send("百分之一百二")
    assert script.effects == []
    shown = texts(script, renderer, Lang.EN)
    assert "You gave 120%. Please enter a number from 0 to 100 (%)." in shown


def test_recorded_shows_the_number_in_the_unit_and_the_words_typed(
    followup: Flow, renderer: Renderer
) -> None:
    script = at_electricity(followup, "中文")
    script.send("3万千瓦时")
    assert "30 MWh（3万千瓦时）" in texts(script, renderer, Lang.ZH)


def test_the_checker_knows_the_units(followup: Flow) -> None:
    figure = followup.question("electricity_use")
    text = followup.question("pcf_standard_other")
    bad = replace(
        followup,
        questions=tuple(
            replace(q, unit="GJ") if q is figure else replace(q, unit="t") if q is text else q
            for q in followup.questions
        ),
    )
    problems = check_flow(bad)
    place = {q.id: i for i, q in enumerate(followup.questions)}
    assert (
        Problem(
            f"questions[{place['electricity_use']}] (electricity_use).unit",
            "unknown unit 'GJ'; one of tCO2e, t, kWh, MWh, %",
        )
        in problems
    )
    assert (
        Problem(
            f"questions[{place['pcf_standard_other']}] (pcf_standard_other).unit",
            "only integer and decimal questions take unit",
        )
        in problems
    )
    assert figure.type is QuestionType.DECIMAL


def test_the_words_typed_are_not_repeated_when_they_say_the_same(
    followup: Flow, renderer: Renderer
) -> None:
    script = at_electricity(followup, "中文")
    script.answer_all("skip", "35 %")
    shown = texts(script, renderer, Lang.ZH)
    assert "已记录：35%" in shown and "（35 %）" not in shown
