from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from flows.events import (
    AnswerCleared,
    AnswerRecorded,
    ContactRequested,
    DataDeleted,
    LanguageChosen,
    SubscriptionChanged,
    SurveyCompleted,
    SurveyStarted,
)
from flows.model import Lang
from flows.state import Answer as StateAnswer
from storage import answers as answers_module
from storage.aggregates import counters
from storage.consistency import verify
from storage.inbound import claim_inbound, save_reply, stored_reply
from storage.models import Answer, AuditLog, ContactRequest, Respondent, SurveySession
from storage.transactions import transaction
from tests.storage.sample import NOW, apply, new_respondent, small_flow


def _counts(engine: Engine) -> dict[tuple[str, str], int]:
    with transaction(engine) as session:
        assert verify(session=session, flow=small_flow()) == []
        return {k: v for k, v in counters(session=session, flow_id="mini").items() if v}


def test_recording_counts_the_respondent_once_and_each_option(engine: Engine) -> None:
    _, s1 = new_respondent(engine, "u1")
    _, s2 = new_respondent(engine, "u2")
    apply(engine, s1, SurveyStarted("mini", 1), AnswerRecorded("tools", ("excel", "sap")))
    apply(engine, s2, AnswerRecorded("tools", ("sap",)), AnswerRecorded("explain", text="ESG"))
    assert _counts(engine) == {
        ("tools", ""): 2,
        ("tools", "excel"): 1,
        ("tools", "sap"): 2,
        ("explain", ""): 1,
    }


def test_changing_an_answer_replaces_rows_and_moves_the_counts(engine: Engine) -> None:
    _, s1 = new_respondent(engine, "u1")
    apply(engine, s1, AnswerRecorded("tools", ("excel", "sap")))
    apply(engine, s1, AnswerRecorded("tools", ("none",)))
    assert _counts(engine) == {("tools", ""): 1, ("tools", "none"): 1}
    # Clear and record again within one step.
    apply(engine, s1, AnswerCleared("tools"), AnswerRecorded("tools", ("sap", "sap")))
    assert _counts(engine) == {("tools", ""): 1, ("tools", "sap"): 1}
    apply(engine, s1, AnswerCleared("tools"), AnswerCleared("tools"))
    assert _counts(engine) == {}


def test_language_subscription_and_completion(engine: Engine) -> None:
    respondent_id, s1 = new_respondent(engine, "u1")
    apply(
        engine,
        s1,
        LanguageChosen(Lang.EN),
        SubscriptionChanged(True),
        SurveyCompleted("mini", 1),
    )
    with transaction(engine) as session:
        respondent = session.get(Respondent, respondent_id)
        assert respondent is not None
        assert (respondent.lang, respondent.subscribed_updates) == ("en", True)


def test_a_contact_request_gets_a_reference(engine: Engine) -> None:
    _, s1 = new_respondent(engine, "u1")
    (reference,) = apply(
        engine, s1, ContactRequested("survey", {"name": "王伟", "phone": "+86 138 0000 0000"})
    )
    assert reference.startswith("C-0")
    with transaction(engine) as session:
        contact = session.exec(select(ContactRequest)).one()
        assert contact.reference == reference and contact.status == "open"
        assert json.loads(contact.details_json)["name"] == "王伟"


def test_deleting_data_removes_answers_sessions_contacts_and_replies(engine: Engine) -> None:
    r1, s1 = new_respondent(engine, "u1")
    _, s2 = new_respondent(engine, "u2")
    apply(engine, s1, AnswerRecorded("tools", ("sap",)), AnswerRecorded("explain", text="秘密"))
    apply(engine, s1, ContactRequested("contact_me", {"name": "A"}))
    apply(engine, s2, AnswerRecorded("tools", ("sap",)))
    with transaction(engine) as session:
        processed = claim_inbound(session=session, channel="telegram", dedupe_key="x", now=NOW)
        assert processed is not None
        save_reply(session=session, processed=processed, messages=["秘密"], respondent_id=r1)

    assert apply(engine, s1, ContactRequested("survey", {"name": "B"}), DataDeleted()) == []

    assert _counts(engine) == {("tools", ""): 1, ("tools", "sap"): 1}
    with transaction(engine) as session:
        assert r1 not in {a.respondent_id for a in session.exec(select(Answer)).all()}
        assert session.get(SurveySession, s1) is None
        assert session.get(SurveySession, s2) is not None
        assert session.exec(select(ContactRequest)).all() == []
        assert stored_reply(session=session, channel="telegram", dedupe_key="x") is None
        (entry,) = session.exec(select(AuditLog)).all()
        assert (entry.actor, entry.action) == (f"respondent:{r1}", "data_deleted")
        # The second request merged into the open one (issue 17: one open request per person).
        assert json.loads(entry.detail) == {"answers": 2, "contact_requests": 1, "outbox_rows": 0}


def test_random_edits_keep_counters_equal_to_a_recount(engine: Engine) -> None:
    rng = random.Random(7)
    sessions = [new_respondent(engine, f"u{i}")[1] for i in range(6)]
    tools = ["excel", "sap", "none"]
    for _ in range(120):
        session_id = rng.choice(sessions)
        roll = rng.random()
        if roll < 0.5:
            effect: object = AnswerRecorded("tools", tuple(rng.sample(tools, rng.randint(1, 3))))
        elif roll < 0.7:
            effect = AnswerRecorded("explain", text=rng.choice(["a", "b"]))
        elif roll < 0.9:
            effect = AnswerCleared(rng.choice(["tools", "explain"]))
        else:
            effect = DataDeleted()
            sessions.remove(session_id)
            sessions.append(new_respondent(engine, f"n{rng.random()}")[1])
        apply(engine, session_id, effect)  # type: ignore[arg-type]
        _counts(engine)  # verify() is empty after every step


def test_the_counters_of_one_question_are_read_alone(engine: Engine) -> None:
    _, s1 = new_respondent(engine, "u1")
    apply(engine, s1, AnswerRecorded("tools", ("excel",)), AnswerRecorded("policy", ("yes",)))
    with transaction(engine) as session:
        tools = counters(session=session, flow_id="mini", question_id="tools")
        everything = counters(session=session, flow_id="mini")
    assert tools == {("tools", ""): 1, ("tools", "excel"): 1}
    assert everything == {**tools, ("policy", ""): 1, ("policy", "yes"): 1}


def _deletes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The questions whose answer rows a step deleted (storage.answers._delete_answer)."""
    deleted: list[str] = []
    real = answers_module._delete_answer

    def spy(conn: Any, session_id: int, question_id: str, deltas: Any) -> None:
        deleted.append(question_id)
        real(conn, session_id, question_id, deltas)

    monkeypatch.setattr(answers_module, "_delete_answer", spy)
    return deleted


def test_a_first_answer_deletes_no_rows_and_a_changed_one_does(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted = _deletes(monkeypatch)
    _, s1 = new_respondent(engine, "u1")
    apply(engine, s1, AnswerRecorded("tools", ("excel",)), stored={})
    assert deleted == []  # the state held no answer: no rows to delete
    excel = StateAnswer(options=("excel",))
    apply(engine, s1, AnswerRecorded("tools", ("sap",)), stored={"tools": excel})
    assert deleted == ["tools"]
    assert _counts(engine) == {("tools", ""): 1, ("tools", "sap"): 1}
    # A skipped (empty) answer wrote no rows; unknown (None): always deleted first.
    apply(engine, s1, AnswerRecorded("explain", text="x"), stored={"explain": StateAnswer()})
    apply(engine, s1, AnswerRecorded("explain", text="y"))
    assert deleted == ["tools", "explain"]
    assert _counts(engine) == {("tools", ""): 1, ("tools", "sap"): 1, ("explain", ""): 1}


def test_within_one_step_a_second_recording_replaces_the_first(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted = _deletes(monkeypatch)
    _, s1 = new_respondent(engine, "u1")
    recorded = AnswerRecorded("tools", ("excel",)), AnswerRecorded("tools", ("sap", "none"))
    apply(engine, s1, *recorded, stored={})
    assert deleted == ["tools"]  # the first recording's rows, not the (absent) stored ones
    assert _counts(engine) == {("tools", ""): 1, ("tools", "sap"): 1, ("tools", "none"): 1}
    # Cleared then recorded (a restart, a new version's mapping): nothing left to delete.
    sap = StateAnswer(options=("sap", "none"))
    cleared = AnswerCleared("tools"), AnswerRecorded("tools", ("excel",))
    apply(engine, s1, *cleared, stored={"tools": sap})
    assert deleted == ["tools", "tools"]
    assert _counts(engine) == {("tools", ""): 1, ("tools", "excel"): 1}


def test_random_steps_with_the_state_s_answers_keep_rows_and_counters_exact(
    engine: Engine,
) -> None:
    """The dispatcher's case: each step passes the answers its state held before (as
    the engine keeps them: a recording sets one, a clearing removes it, deletion all)."""
    rng = random.Random(11)
    states: dict[int, dict[str, StateAnswer]] = {}
    sessions = [new_respondent(engine, f"u{i}")[1] for i in range(5)]
    tools = ["excel", "sap", "none"]
    for step in range(150):
        session_id = rng.choice(sessions)
        state = states.setdefault(session_id, {})
        stored = dict(state)
        effects: list[Any] = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.45:
                options = tuple(rng.sample(tools, rng.randint(0, 2)))  # () skips it
                effects.append(AnswerRecorded("tools", options))
                state["tools"] = StateAnswer(options=options)
            elif roll < 0.65:
                effects.append(AnswerRecorded("explain", text=rng.choice(["a", "b"])))
                state["explain"] = StateAnswer(text="a")
            elif roll < 0.95:
                question = rng.choice(["tools", "explain"])
                effects.append(AnswerCleared(question))
                state.pop(question, None)
            elif not effects:
                effects.append(DataDeleted())
                sessions.remove(session_id)
                sessions.append(new_respondent(engine, f"n{step}")[1])
                break
        apply(engine, session_id, *effects, stored=stored)
        _counts(engine)  # verify() is empty after every step
    with transaction(engine) as session:
        rows = session.exec(select(Answer.session_id, Answer.question_id, Answer.option_id))
        per_question = Counter((s, q) for s, q, _ in rows.all())
    for session_id, state in states.items():
        if session_id not in sessions:
            continue
        for question in ("tools", "explain"):
            answer = state.get(question)
            expected = 0 if answer is None else (len(answer.options) or int(bool(answer.text)))
            assert per_question[(session_id, question)] == expected, (session_id, question)
