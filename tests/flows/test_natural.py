"""Natural answers (issue 17 §2): numerals, conjunctions, sentences, near forms, voice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flows.answer_parsing import Invalid, InvalidReason, Parsed, parse_answer
from flows.model import Flow
from tests.flows.script import Script


@pytest.mark.parametrize(
    "typed",
    ["一、三", "一三", "一 三", "一，三。", "1和3", "1 和 3", "1及3", "1与3", "1 and 3", "1 & 3"],
)
def test_interior_and_body_however_it_is_typed(flow: Flow, typed: str) -> None:
    assert parse_answer(flow.question("commodity"), typed) == Parsed(options=("interior", "body"))


@pytest.mark.parametrize(("typed", "option"), [("第一个", "interior"), ("第三项", "body")])
def test_ordinals(flow: Flow, typed: str, option: str) -> None:
    assert parse_answer(flow.question("commodity"), typed) == Parsed(options=(option,))


@pytest.mark.parametrize(
    "typed", ["chassis and interior", "我们主要做内饰和底盘", "Interior & Chassis."]
)
def test_option_texts_inside_a_sentence(flow: Flow, typed: str) -> None:
    assert parse_answer(flow.question("commodity"), typed) == Parsed(
        options=("interior", "chassis")
    )


def test_option_texts_with_spaces_and_a_conjunction(flow: Flow) -> None:
    parsed = parse_answer(flow.question("commodity"), "Climate System and Body")
    assert parsed == Parsed(options=("body", "climate_system"))


@pytest.mark.parametrize(
    ("question", "typed", "found", "given"),
    [
        ("commodity", "内饰和座椅", ("interior",), "座椅"),
        ("info_needs", "carbon training, audit", ("carbon_training",), "audit"),
        ("info_needs", "webinar, carbon audit", ("carbon_audit",), "webinar"),
        ("info_needs", "碳培训和碳审核", ("carbon_audit",), "碳培训"),
    ],
)
def test_a_list_item_that_names_no_option_is_said_not_dropped(
    flow: Flow, question: str, typed: str, found: tuple[str, ...], given: str
) -> None:
    # The items that matched were recorded before and the rest lost in silence.
    refused = parse_answer(flow.question(question), typed)
    assert refused == Invalid(InvalidReason.PARTLY_UNKNOWN, {"found": found, "given": given})


def test_an_option_text_with_a_conjunction_of_its_own_is_one_item(flow: Flow) -> None:
    # "Carbon Footprint / Reporting" and the like: an option's own words split at a
    # conjunction are still that option, not an unknown item.
    question = flow.question("info_needs")
    option = question.options[-1]
    joined = replace(option, text=replace(option.text, en="Footprint and Reporting"))
    renamed = replace(question, options=(*question.options[:-1], joined))
    parsed = parse_answer(renamed, "we need footprint and reporting")
    assert parsed == Parsed(options=(option.id,))


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        ("Yes we have quite a lot actually, the boss wants carbon neutral by 2035", "yes"),
        ("No, we don't", "no"),
        ("No we haven't", "no"),
        ("not yet", "no"),
        ("还没有", "no"),
        ("是的，我们有", "yes"),
        # Chinese runs the words together: no comma, or no yes word at all.
        ("是的我们有", "yes"),
        ("是 我们有", "yes"),
        ("我们有", "yes"),
        ("我司已经有了", "yes"),
        ("是的我们有一个2030年的目标", "yes"),
        ("我们没有", "no"),
        ("我们还没有", "no"),
        ("我们公司暂时没有", "no"),
        ("没有我们还在规划", "no"),
        ("没有。还在规划", "no"),
        ("第二个", "no"),
        ("二", "no"),
        ("第一个", "yes"),
    ],
)
def test_yes_or_no_as_people_say_it(flow: Flow, typed: str, option: str) -> None:
    assert parse_answer(flow.question("reporting_standard"), typed) == Parsed(options=(option,))


@pytest.mark.parametrize(
    "typed",
    ["no idea", "yes and no", "yes, no", "有待确定", "yess"]
    # A yes whose own words say no, or the other way round; whose job it is; a plan.
    + ["是的我们没有", "是，我们没有", "没有，我们有", "有的我们有有的没有", "不是我们负责"]
    + ["我们有待确定", "我们正在制定"],
)
def test_what_is_not_one_yes_or_no_is_asked_again(flow: Flow, typed: str) -> None:
    refused = parse_answer(flow.question("reporting_standard"), typed)
    assert refused == Invalid(InvalidReason.NOT_YES_NO)


@pytest.mark.parametrize("typed", ["不需要", "暂时不需要", "不用了", "no need", "Not now"])
def test_near_forms_declared_in_the_flow_file(flow: Flow, typed: str) -> None:
    assert parse_answer(flow.question("contact"), typed) == Parsed(options=("no_need",))


def test_no_does_not_silently_pick_an_option_starting_with_no(flow: Flow) -> None:
    result = parse_answer(flow.question("contact"), "no")
    assert result == Invalid(InvalidReason.AMBIGUOUS, {"candidates": ("no_need",), "given": "no"})


def test_you_at_the_contact_question_asks_which_one(flow: Flow) -> None:
    result = parse_answer(flow.question("contact"), "有")
    assert isinstance(result, Invalid) and result.reason is InvalidReason.AMBIGUOUS
    assert result.params["candidates"] == ("updated_info", "on_request")


def test_rules_still_hold_for_natural_answers(flow: Flow) -> None:
    result = parse_answer(flow.question("contact"), "1和4")
    assert isinstance(result, Invalid) and result.reason is InvalidReason.EXCLUSIVE_COMBINED
    assert parse_answer(flow.question("role"), "一和二") == Invalid(
        InvalidReason.SINGLE_ONLY, {"count": 2}
    )


def test_a_word_inside_another_word_is_not_an_option(flow: Flow) -> None:
    result = parse_answer(flow.question("function"), "my mother works there")
    assert isinstance(result, Invalid)


def test_an_ambiguous_answer_asks_and_shows_the_question_again(started: Script) -> None:
    for text in ["2", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1"]:
        started.send(text)
    assert started.current == "contact"
    started.send("有")
    assert started.keys == ["invalid_answer", "question"]  # never a dead end
    assert started.reply("invalid_answer")["reason"] == "ambiguous"
    started.send("3")
    assert started.state is not None and started.state.answers["contact"].options == ("on_request",)


def test_an_email_typed_at_the_phone_question_is_taken_as_the_email(started: Script) -> None:
    for text in ["2", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "是"]:
        started.send(text)
    started.answer_all("王伟", "上海汽配有限公司")
    assert started.current == "contact_phone"
    started.send("wang.wei@example.com")
    assert started.current == "contact_time"
    assert started.state is not None
    assert started.state.answers["contact_email"].text == "wang.wei@example.com"
    assert started.reply("recorded")["question"].id == "contact_email"


def test_an_email_at_the_phone_question_of_the_contact_me_form(started: Script) -> None:
    started.send("联系我")
    started.answer_all("是", "王伟", "上海汽配有限公司", "wang.wei@example.com")
    assert started.state is not None and started.state.form["contact_email"] == (
        "wang.wei@example.com"
    )
    assert started.current == "contact_time"
