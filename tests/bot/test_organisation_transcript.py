"""Golden transcript: the AIAG survey's optional organisation step, in Chinese.

A supplier reaches 最后一步（可选）after question 14, types a wrong 统一社会信用代码 (told
why, nothing stored), then a right one and a city; the survey completes with the
organisation given. The rendered replies are compared with a kept transcript.
"""

from __future__ import annotations

from pathlib import Path

from flows.definition import load_flow
from flows.events import OrganisationGiven, SurveyCompleted
from flows.model import Lang
from flows.surveys import DEFAULT_FLOW
from tests.bot.engine_transcripts import rendered
from tests.flows.script import Script

GOLDEN = Path(__file__).parent / "fixtures" / "organisation_step_zh.txt"
TO_14 = ["你好", "中文", "2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1"]
STEP = ["是", "上海某某汽车零部件有限公司", "91350100M000100Y44", "91350100m000100y43", "上海市"]


def transcript() -> tuple[str, Script]:
    script = Script(load_flow(DEFAULT_FLOW))
    # 14 and the organisation step are what this file keeps.
    return rendered(script, [*TO_14, "4", *STEP], Lang.ZH, kept=("4", *STEP)), script


def test_the_organisation_step_transcript_is_unchanged() -> None:
    text, _ = transcript()
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_step_ends_in_the_organisation_given_and_completion() -> None:
    _, script = transcript()
    assert OrganisationGiven("上海某某汽车零部件有限公司", "91350100M000100Y43", "上海市") in (
        script.effects
    )
    assert any(isinstance(e, SurveyCompleted) for e in script.effects)


def test_a_wrong_code_changes_nothing() -> None:
    script = Script(load_flow(DEFAULT_FLOW))
    for text in [*TO_14, "4", *STEP[:2]]:
        script.send(text)
    before = script.state
    script.send(STEP[2])
    assert script.keys == ["invalid_answer", "question"]
    assert script.effects == []
    assert script.state is not None and before is not None
    assert script.state.answers == before.answers and script.current == "org_code"


def test_one_tap_skips_the_step() -> None:
    script = Script(load_flow(DEFAULT_FLOW))
    for text in [*TO_14, "4"]:
        script.send(text)
    assert script.current == "org_share"
    script.send("跳过")
    assert any(isinstance(e, SurveyCompleted) for e in script.effects)
    assert not any(isinstance(e, OrganisationGiven) for e in script.effects)
