from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy.engine import Engine

from flows.events import AnswerCleared, AnswerRecorded
from storage.aggregates import FreeText, free_texts, free_texts_query, percent, question_stats
from storage.transactions import transaction
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
    assert stats["name"].text_total == 0 and stats["tools"].text_total == 0


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


def test_the_newest_texts_in_order_with_the_exact_total(engine: Engine) -> None:
    """12 texts, two written at the same moment, one replaced later, one cleared; a text
    of another survey is newer than all of them. The 5 newest of this survey come back
    newest first (same moment: the later row first) with the total of current texts."""
    flow = small_flow()
    people = [new_respondent(engine, f"u{i}") for i in range(12)]
    for i, (_, session_id) in enumerate(people[:10]):
        apply(engine, session_id, AnswerRecorded("explain", text=f"t{i}"), now=at(i))
    for i in (10, 11):
        apply(engine, people[i][1], AnswerRecorded("explain", text=f"t{i}"), now=at(20))
    apply(engine, people[0][1], AnswerRecorded("explain", text="t0 again"), now=at(30))
    apply(engine, people[5][1], AnswerCleared("explain"), now=at(31))
    apply(engine, people[3][1], AnswerRecorded("policy", ("yes",)), now=at(32))
    _, elsewhere = new_respondent(engine, "x", flow=replace(flow, id="other"))
    apply(engine, elsewhere, AnswerRecorded("explain", text="other survey"), now=at(40))

    with transaction(engine) as session:
        newest = question_stats(session=session, flow=flow, text_limit=5)["explain"]
        figures_only = question_stats(session=session, flow=flow)["explain"]
        every = free_texts(session=session, flow_id=flow.id, question_id="explain")

    ids = [respondent for respondent, _ in people]
    assert newest.texts == (
        FreeText(ids[0], "t0 again"),
        FreeText(ids[11], "t11"),
        FreeText(ids[10], "t10"),
        FreeText(ids[9], "t9"),
        FreeText(ids[8], "t8"),
    )
    assert newest.text_total == 11 == len(every)
    assert figures_only.texts == () and figures_only.text_total == 11
    assert {"t0", "t5", "other survey"}.isdisjoint(text for _, text in every)


def test_the_newest_texts_are_read_from_the_partial_index(engine: Engine) -> None:
    """The query is one the index answers in its own order: no sort of all the texts."""
    query = free_texts_query("mini", "explain", 20)
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The tables are empty: make any other plan cost more than the index's.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "ix_answer_free_text_newest" in plan and "Sort" not in plan, plan
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in rows)
            assert "USING INDEX ix_answer_free_text_newest" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
