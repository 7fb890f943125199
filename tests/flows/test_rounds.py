"""Rounds (flows.rounds, flows.prefill): last round's answer shown, kept with a tap, or
answered anew; what was kept and what changed is in the effects the dispatcher stores."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from flows.answer_moves import new_state
from flows.definition import load_flow, parse_flow
from flows.errors import FlowFileError, Problem
from flows.events import AnswerRecorded
from flows.flow_yaml import read_yaml_file
from flows.model import Flow, Lang, PreviousRound
from flows.offers import Offer, Source
from flows.replies import AskQuestion
from flows.rounds import Decision, carry_over, decide
from flows.state import Answer, SessionState, Status
from flows.surveys import DEFAULT_FLOW
from tests.flows.script import Script

FOLLOWUP = DEFAULT_FLOW.parent / "aiag_pcf_followup.yaml"
RULES = PreviousRound(
    "aiag_pcf_2025",
    questions=(("pcf_status", "pcf_status"), ("standards", "pcf_standard"),
               ("tools", "tools"), ("electricity", "electricity_use")),
    options=(("standards", "iso14067", "iso_14067"),),
)  # fmt: skip
# What this respondent answered in the earlier survey (its own ids).
EARLIER = {
    "pcf_status": Answer(("some_products",)),
    "standards": Answer(("iso14067", "pas_2050")),
    "tools": Answer(("spreadsheets", "gone_option")),  # no longer fits: asked plainly
    "electricity": Answer(text="30", original="3万千瓦时"),
}


@pytest.fixture(scope="module")
def this_round() -> Flow:
    return replace(load_flow(FOLLOWUP), id="aiag_pcf_2026", previous_round=RULES)


def started(flow: Flow, lang: str = "中文") -> Script:
    script = Script(flow)
    script.state = new_state(flow, carry_over(flow, EARLIER))
    script.send("hi")
    script.send(lang)
    return script


def recorded(script: Script) -> list[AnswerRecorded]:
    return [e for e in script.effects if isinstance(e, AnswerRecorded)]


def test_carry_over_maps_ids_and_drops_what_no_longer_fits(this_round: Flow) -> None:
    assert carry_over(this_round, EARLIER) == {
        "pcf_status": Answer(("some_products",)),
        "pcf_standard": Answer(("iso_14067", "pas_2050")),
        "electricity_use": Answer(text="30", original="3万千瓦时"),
    }
    assert carry_over(replace(this_round, previous_round=None), EARLIER) == {}


def test_keep_records_the_earlier_answer_marked_kept(this_round: Flow) -> None:
    script = started(this_round)
    question = script.reply("question")
    assert question["offer"] == Offer(Answer(("some_products",)), Source.EARLIER_ROUND)
    script.send("是")
    assert recorded(script) == [
        AnswerRecorded("pcf_status", ("some_products",), None, None, "kept")
    ]
    assert script.current == "pcf_standard"
    assert script.reply("question")["offer"] == Offer(
        Answer(("iso_14067", "pas_2050")), Source.EARLIER_ROUND
    )


def test_change_asks_plainly_then_the_new_answer_is_marked_changed(this_round: Flow) -> None:
    script = started(this_round)
    script.send("修改")
    assert script.effects == [] and script.current == "pcf_status"
    assert script.reply("question")["offer"] is None  # asked plainly now
    script.send("1")
    assert recorded(script) == [
        AnswerRecorded("pcf_status", ("all_main_products",), None, None, "changed")
    ]


def test_an_answer_instead_of_keep_is_compared_with_the_earlier_one(this_round: Flow) -> None:
    script = started(this_round)
    script.send("2")  # the same as last round, typed again
    assert recorded(script)[0].carried == "kept"
    script.send("1")  # ISO 14067 alone: changed
    assert recorded(script)[0] == AnswerRecorded(
        "pcf_standard", ("iso_14067",), None, None, "changed"
    )


def test_questions_without_an_earlier_answer_are_asked_as_usual(this_round: Flow) -> None:
    script = started(this_round, "English")
    script.answer_all("yes", "yes", "1,2")  # keep status and standards; scopes 1 and 2
    assert script.current == "scope12_emissions"
    assert script.reply("question")["offer"] is None
    script.send("skip")
    assert script.current == "electricity_use"
    assert script.reply("question")["offer"] == Offer(
        Answer(text="30", original="3万千瓦时"), Source.EARLIER_ROUND
    )
    script.send("keep")
    assert recorded(script) == [AnswerRecorded("electricity_use", (), "30", "3万千瓦时", "kept")]
    script.send("skip")
    assert script.current == "emission_factors"
    script.send("1")
    assert script.current == "tools"
    assert script.reply("question")["offer"] is None  # its earlier answer did not fit
    assert recorded(script)[0].carried is None


def test_the_earlier_answers_survive_the_state_snapshot(this_round: Flow) -> None:
    script = started(this_round)
    script.send("修改")
    assert script.state is not None
    again = SessionState.from_json(script.state.to_json())
    assert again == script.state and again.revising == "pcf_status"
    assert again.previous["electricity_use"].original == "3万千瓦时"
    assert again.status is Status.ACTIVE


@pytest.mark.parametrize(
    ("typed", "decision"),
    [("是", Decision.KEEP), ("保持不变", Decision.KEEP), ("Yes.", Decision.KEEP),
     ("keep", Decision.KEEP), ("修改", Decision.CHANGE), ("Change", Decision.CHANGE),
     ("2", None), ("ISO 14067", None)],
)  # fmt: skip
def test_keep_and_change_words(typed: str, decision: Decision | None) -> None:
    assert decide(typed) == decision


def test_the_flow_file_key_is_read_and_checked(tmp_path: object) -> None:
    data = read_yaml_file(FOLLOWUP)
    data["id"] = "aiag_pcf_2026"
    data["previous_round"] = {
        "survey": "aiag_pcf_followup",
        "questions": {"pcf_status": "pcf_status", "standards": "pcf_standard"},
        "options": {"standards": {"iso14067": "iso_14067"}},
    }
    flow = parse_flow(data)
    assert flow.previous_round == PreviousRound(
        "aiag_pcf_followup",
        (("pcf_status", "pcf_status"), ("standards", "pcf_standard")),
        (("standards", "iso14067", "iso_14067"),),
    )
    data["previous_round"] = {
        "survey": "aiag_pcf_2026",
        "questions": {"x": "nowhere", "y": "contact_name"},
        "options": {"z": {"a": "b"}},
    }
    with pytest.raises(FlowFileError) as error:
        parse_flow(data)
    assert error.value.problems[-4:] == [
        Problem("previous_round.survey", "a survey cannot be its own previous round"),
        Problem("previous_round.questions", "no question 'nowhere' in this survey"),
        Problem("previous_round.questions", "'contact_name' cannot be carried over"),
        Problem("previous_round.options.z", "its question is not mapped"),
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (Lang.ZH, "上一轮调查中您选择了：是，已覆盖部分产品。仍然如此吗？ [是] / [修改]"),
        (Lang.EN, "In the last round you chose: Yes, for some products. Is that still so? "
                  "[Yes] / [Change]"),
        (Lang.BOTH, "仍然如此吗？ Still so? [是 Yes] / [修改 Change]"),
    ],
)  # fmt: skip
def test_the_question_shows_last_rounds_answer_with_tap_links(
    this_round: Flow, lang: Lang, said: str
) -> None:
    from bot.dispatch.render import Renderer  # the wording lives in the templates

    script = started(this_round)
    assert script.last is not None
    question = next(r for r in script.last.replies if isinstance(r, AskQuestion))
    shown = Renderer().render(question, lang, links=True)
    shown = re.sub(r"<a [^>]*>([^<]*)</a>", r"[\1]", shown)
    assert said in shown, shown
