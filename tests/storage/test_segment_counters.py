"""Peer-segment counters: kept in the answer's transaction, equal to a recount."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from flows.definition import load_flow
from flows.events import AnswerCleared, AnswerRecorded, DataDeleted, Effect
from flows.peer_segments import segment_id
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.counter_models import SegmentCounter
from storage.segment_counters import recount, segment_counter_stats
from storage.transactions import transaction
from tests.storage.sample import apply, new_respondent

AIAG = load_flow(DEFAULT_FLOW)
(SUPPLIERS,) = AIAG.segments


def seg(commodity: str) -> str:
    return segment_id(SUPPLIERS, commodity)


COMMODITIES = ["interior", "exterior", "body", "chassis"]
METHODS = ["iso14064", "ghg_protocol", "cdm"]


def _supplier(engine: Engine, user: str, *commodities: str) -> int:
    _, session_id = new_respondent(engine, user, flow=AIAG)
    apply(
        engine,
        session_id,
        AnswerRecorded("role", ("supplier",)),
        AnswerRecorded("commodity", commodities),
        AnswerRecorded("methodology", ("iso14064",)),
    )
    return session_id


def _exact(engine: Engine) -> dict[tuple[str, str, str], int]:
    with transaction(engine) as session:
        assert verify(session=session, flow=AIAG) == []
        return recount(session=session, flow_id=AIAG.id, declared=AIAG.segments)


def test_the_summary_reads_a_segment_from_its_counters(engine: Engine) -> None:
    _supplier(engine, "a", "interior", "chassis")
    _supplier(engine, "b", "interior")
    _, oem = new_respondent(engine, "c", flow=AIAG)
    apply(engine, oem, AnswerRecorded("role", ("oem",)), AnswerRecorded("commodity", ("interior",)))
    _exact(engine)
    with transaction(engine) as session:
        interior = segment_counter_stats(session=session, flow=AIAG, segment=seg("interior"))
        chassis = segment_counter_stats(session=session, flow=AIAG, segment=seg("chassis"))
        nobody = segment_counter_stats(session=session, flow=AIAG, segment=seg("body"))
    assert (interior.respondents, chassis.respondents, nobody.respondents) == (2, 1, 0)
    commodity = {o.option_id: o.count for o in interior.questions["commodity"].options}
    assert (commodity["interior"], commodity["chassis"], commodity["body"]) == (2, 1, 0)
    assert interior.questions["commodity"].respondents == 2
    assert str(interior.questions["commodity"].options[0].pct_of_respondents) == "100.00"
    assert nobody.questions["role"].respondents == 0
    assert all(q.is_choice for q in AIAG.questions if q.id in interior.questions)


def test_leaving_and_joining_a_segment_moves_every_answer(engine: Engine) -> None:
    session_id = _supplier(engine, "a", "interior")
    apply(engine, session_id, AnswerRecorded("role", ("oem",)))
    assert {k: n for k, n in _exact(engine).items() if n} == {}
    apply(engine, session_id, AnswerRecorded("role", ("supplier",)))
    apply(engine, session_id, AnswerCleared("commodity"))
    assert _exact(engine) == {}
    apply(engine, session_id, AnswerRecorded("commodity", ("body",)))
    assert _exact(engine)[(seg("body"), "methodology", "iso14064")] == 1


def test_random_edits_and_deletions_keep_the_counters_exact(engine: Engine) -> None:
    rng = random.Random(11)
    sessions = [_supplier(engine, f"u{i}", rng.choice(COMMODITIES)) for i in range(5)]
    for step in range(80):
        session_id = rng.choice(sessions)
        roll = rng.random()
        effect: Effect
        if roll < 0.3:
            effect = AnswerRecorded("commodity", tuple(rng.sample(COMMODITIES, rng.randint(1, 3))))
        elif roll < 0.45:
            effect = AnswerRecorded("role", (rng.choice(["oem", "supplier"]),))
        elif roll < 0.75:
            effect = AnswerRecorded(
                "methodology", tuple(rng.sample(["iso14064", "ghg_protocol", "cdm"], 2))
            )
        elif roll < 0.92:
            effect = AnswerCleared(rng.choice(["commodity", "methodology", "role"]))
        else:
            effect = DataDeleted()
            sessions.remove(session_id)
            sessions.append(_supplier(engine, f"n{step}", rng.choice(COMMODITIES)))
        apply(engine, session_id, effect)
        _exact(engine)  # verify() is empty after every step


def test_verify_names_a_wrong_segment_counter(engine: Engine) -> None:
    _supplier(engine, "a", "interior")
    with transaction(engine) as session:
        session.exec(
            update(SegmentCounter)
            .where(SegmentCounter.segment == seg("interior"), SegmentCounter.question_id == "")  # type: ignore[arg-type]
            .values(count=5)
        )
    with transaction(engine) as session:
        assert verify(session=session, flow=AIAG) == [
            "aiag_carbon segment role=supplier/commodity:interior (size):(respondents): "
            "counter 5, answers 1"
        ]


def test_live_counters_are_written_before_segment_counters(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lock order for every step, answers and deletions alike: two PostgreSQL
    transactions taking the counter rows in opposite orders could deadlock."""
    from storage import answers

    order: list[str] = []
    for name, label in (("bump_counters", "live"), ("bump_segments", "segments")):
        real = getattr(answers, name)

        def spy(*args: object, _real: object = real, _label: str = label, **kw: object) -> None:
            order.append(_label)
            _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(answers, name, spy)
    session_id = _supplier(engine, "a", "interior")
    assert order == ["live", "segments"]
    order.clear()
    apply(engine, session_id, DataDeleted())
    assert order == ["live", "segments"]
    _exact(engine)
