from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine

from flows.events import AnswerRecorded
from storage.aggregates import FreeText, free_texts, percent, question_stats
from storage.db import transaction
from tests.storage.sample import apply, at, new_respondent, small_flow


def test_percent_rounds_half_up_on_decimals() -> None:
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 800) == Decimal("0.13")  # 0.125: a float would round to 0.12
    assert percent(4, 316) == Decimal("1.27")
    assert percent(0, 0) == Decimal("0.00")


def test_question_stats_lists_every_option_in_flow_order(engine: Engine) -> None:
    flow = small_flow()
    respondents, sessions = zip(*(new_respondent(engine, f"u{i}") for i in range(4)), strict=True)
    apply(engine, sessions[0], AnswerRecorded("tools", ("sap", "excel")))
    apply(engine, sessions[1], AnswerRecorded("tools", ("sap",)))
    apply(engine, sessions[2], AnswerRecorded("tools", ("none",)))
    apply(engine, sessions[0], AnswerRecorded("policy", ("yes",)))
    apply(engine, sessions[0], AnswerRecorded("explain", text="旧 old"), now=at(1))
    apply(engine, sessions[1], AnswerRecorded("explain", text="新 new"), now=at(2))
    apply(engine, sessions[3], AnswerRecorded("name", text="王伟"))
    with transaction(engine) as session:
        stats = question_stats(session=session, flow=flow, text_limit=None)
        assert question_stats(session=session, flow=flow)["explain"].texts == ()
    tools = stats["tools"]
    assert (tools.respondents, tools.selections) == (3, 4)
    assert [(o.option_id, o.count) for o in tools.options] == [
        ("excel", 1),
        ("sap", 2),
        ("none", 1),
    ]
    assert [o.pct_of_selections for o in tools.options] == [
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("25.00"),
    ]
    assert tools.options[1].pct_of_respondents == Decimal("66.67")
    assert [(o.option_id, o.count) for o in stats["policy"].options] == [("yes", 1), ("no", 0)]
    assert stats["role"].respondents == 0 and stats["role"].options[0].pct_of_selections == 0
    assert stats["explain"].texts == (
        FreeText(respondents[1], "新 new"),
        FreeText(respondents[0], "旧 old"),
    )
    # Form fields (contact details) are personal data: never in the statistics.
    assert stats["name"].respondents == 1 and stats["name"].texts == ()


def test_free_texts_newest_first_with_respondent(engine: Engine) -> None:
    r1, s1 = new_respondent(engine, "u1")
    r2, s2 = new_respondent(engine, "u2")
    apply(engine, s1, AnswerRecorded("explain", text="first"), now=at(1))
    apply(engine, s2, AnswerRecorded("explain", text="second"), now=at(2))
    with transaction(engine) as session:
        assert free_texts(session=session, flow_id="mini", question_id="explain") == [
            (r2, "second"),
            (r1, "first"),
        ]
        assert free_texts(session=session, flow_id="mini", question_id="explain", limit=1) == [
            (r2, "second")
        ]
