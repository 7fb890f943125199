"""Moving respondents in progress to a newer survey version (flows.mapping)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.engine import step
from flows.events import AnswerCleared, AnswerRecorded, Inbound, SurveyCompleted
from flows.mapping import MappingError, SurveyMapping, check_mapping, migrate
from flows.reply_registry import template_name
from flows.state import Answer, SessionState, Status
from tests.flows.versions import MAPPING, v1, v2, v3

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _answered(*texts: str) -> SessionState:
    """A respondent on version 1 who chose English and sent `texts`."""
    flow = v1()
    state = step(flow, None, Inbound(NOW, "hi")).state
    state = step(flow, state, Inbound(NOW, "2")).state
    for text in texts:
        state = step(flow, state, Inbound(NOW, text)).state
    return state


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a mapping is a mapping"),
        ({"from_version": 0}, "positive whole number"),
        ({"from_version": True}, "positive whole number"),
        ({"from_version": 1, "extra": 1}, "unknown key"),
        ({"from_version": 1, "questions": ["a"]}, "questions must map"),
        ({"from_version": 1, "questions": {"a": 3}}, "non-empty strings"),
        ({"from_version": 1, "options": {"q": ["x"]}}, "options.q must map"),
    ],
)
def test_malformed_mappings_are_refused_with_the_key(data: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        SurveyMapping.from_data(data)


def test_round_trips_through_json() -> None:
    mapping = SurveyMapping.from_data(MAPPING)
    assert SurveyMapping.from_json(mapping.to_json()) == mapping


def test_a_complete_mapping_has_no_problems() -> None:
    assert check_mapping(v1(), v2(), SurveyMapping.from_data(MAPPING)) == []


def test_every_gap_in_a_mapping_is_named() -> None:
    problems = check_mapping(v1(), v2(), SurveyMapping.from_data({"from_version": 1}))
    assert any("question 'tools' of version 1 is not in version 2" in p for p in problems)
    assert any("question 'remarks'" in p for p in problems)
    partial = {"from_version": 1, "questions": {"tools": "software", "remarks": None}}
    problems = check_mapping(v1(), v2(), SurveyMapping.from_data(partial))
    assert problems == [
        "option 'excel' of question 'tools' is not an option of 'software' in the new "
        "version: map it or drop it (null)",
        "option 'lca' of question 'tools' is not an option of 'software' in the new "
        "version: map it or drop it (null)",
    ]


def test_incompatible_types_and_unknown_ids_are_refused() -> None:
    wrong = {"from_version": 1, "questions": {"tools": "size", "ghost": "role", "remarks": None}}
    problems = check_mapping(v1(), v2(), SurveyMapping.from_data(wrong))
    assert "question 'ghost' is not in version 1" in problems
    assert any("cannot become 'size' (integer)" in p for p in problems)
    assert check_mapping(v1(), v2(), SurveyMapping.from_data({**MAPPING, "from_version": 2}))


def test_migrate_rekeys_answers_and_moves_their_rows() -> None:
    state = _answered("2", "1 2")  # supplier; spreadsheets + LCA software
    assert state.current == "remarks"
    result = migrate(v1(), v2(), SurveyMapping.from_data(MAPPING), state, NOW)
    moved = result.state
    assert moved.flow_version == 2
    assert moved.answers == {
        "role": Answer(options=("supplier",)),
        "software": Answer(options=("sheets",)),  # lca dropped, excel renamed
    }
    assert moved.current == "region" and moved.status is Status.ACTIVE
    assert moved.history == ("role", "software")
    assert result.effects == (
        AnswerCleared("role"),
        AnswerCleared("tools"),
        AnswerRecorded("role", ("supplier",)),
        AnswerRecorded("software", ("sheets",)),
    )
    assert [template_name(r) for r in result.replies] == ["survey_updated", "question"]


def test_an_answer_that_no_longer_fits_is_asked_again() -> None:
    state = _answered("2", "2")  # only LCA software: dropped, so nothing is left
    result = migrate(v1(), v2(), SurveyMapping.from_data(MAPPING), state, NOW)
    assert "software" not in result.state.answers
    assert result.state.current == "software"


def test_nothing_left_to_ask_finishes_the_survey() -> None:
    state = _answered("2", "1", "skip")
    assert state.current == "size"
    answers = {**state.answers, "size": Answer(text="12")}
    full = state.evolve(answers=answers)  # e.g. answered in a race with the publish
    target = v3()
    assert not target.has_question("region")
    result = migrate(v1(), target, SurveyMapping.from_data(MAPPING), full, NOW)
    assert result.state.status is Status.COMPLETED
    assert result.state.answers["size"] == Answer(text="12")
    assert any(isinstance(e, SurveyCompleted) for e in result.effects)
    assert [template_name(r) for r in result.replies][:2] == ["survey_updated", "completed"]


def test_language_choice_moves_without_answers() -> None:
    state = step(v1(), None, Inbound(NOW, "hi")).state
    assert state.status is Status.LANGUAGE
    result = migrate(v1(), v2(), SurveyMapping.from_data(MAPPING), state, NOW)
    assert result.state.flow_version == 2 and result.state.status is Status.LANGUAGE
    assert result.effects == ()
    assert [template_name(r) for r in result.replies] == ["survey_updated", "choose_language"]
