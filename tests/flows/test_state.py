"""flows.state: a state's copies (`evolve`) and its JSON text parsed once (`parse_state`)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import fields, replace

import pytest

from flows import state as state_module
from flows.model import Lang
from flows.state import Answer, Pending, SessionState, Status, parse_state, remember


def _state(**changes: object) -> SessionState:
    base = SessionState(
        flow_id="aiag_carbon",
        flow_version=3,
        status=Status.ACTIVE,
        lang=Lang.ZH,
        current="q2",
        history=("q1",),
        answers={"q1": Answer(("supplier",))},
        started_at="2026-12-05T02:00:00+00:00",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_evolve_makes_what_dataclasses_replace_makes() -> None:
    before = _state()
    changes = {
        "current": "q3",
        "history": ("q1", "q2"),
        "answers": {**before.answers, "q2": Answer(text="12")},
        "retries": 2,
        "pending": Pending.RESTART,
    }
    evolved = before.evolve(**changes)
    assert evolved == replace(before, **changes)  # type: ignore[arg-type]
    assert type(evolved) is SessionState
    assert before.current == "q2" and before.retries == 0  # the original is unchanged
    assert {f.name: getattr(evolved, f.name) for f in fields(SessionState)} == {
        f.name: getattr(replace(before, **changes), f.name)  # type: ignore[arg-type]
        for f in fields(SessionState)
    }
    with pytest.raises(AttributeError):
        evolved.current = "q9"  # type: ignore[misc]  # still frozen


def test_evolve_refuses_a_field_that_does_not_exist() -> None:
    with pytest.raises(TypeError, match="currnt"):
        _state().evolve(currnt="q3")


def test_a_saved_text_is_not_parsed_again() -> None:
    saved = _state(current="q7")
    text = saved.to_json()
    remember(text, saved)
    assert parse_state(text) is saved
    # A text never saved here is parsed, and kept for the next time.
    other = _state(current="q8").to_json()
    parsed = parse_state(other)
    assert parsed == SessionState.from_json(other)
    assert parse_state(other) is parsed


def test_the_parsed_texts_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "PARSED_KEPT", 3)
    monkeypatch.setattr(state_module, "_parsed", OrderedDict())
    texts = [_state(retries=n).to_json() for n in range(5)]
    first = parse_state(texts[0])
    for text in texts[1:]:
        parse_state(text)
    assert len(state_module._parsed) == 3
    again = parse_state(texts[0])  # the oldest was dropped: parsed anew, equal
    assert again == first and again is not first


def test_an_unknown_version_is_still_refused() -> None:
    text = _state().to_json().replace('"v":1', '"v":99')
    with pytest.raises(ValueError, match="unsupported session state version"):
        parse_state(text)
