"""Peer-segment statistics (respondents whose answers include given options)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from storage.db import transaction
from storage.segments import segment_size, segment_stats
from tests.storage.sample import small_flow
from tests.storage.test_crosstab import answer_all


def test_suppliers_using_excel(engine: Engine) -> None:
    answer_all(engine)
    flow = small_flow()
    with transaction(engine) as session:
        peers = segment_stats(
            session=session, flow=flow, where=[("role", "supplier"), ("tools", "excel")]
        )
    assert peers.respondents == 2  # a and b
    policy = peers.questions["policy"]
    assert policy.respondents == 2
    assert [(o.option_id, o.count) for o in policy.options] == [("yes", 1), ("no", 1)]
    tools = {o.option_id: o for o in peers.questions["tools"].options}
    assert (tools["excel"].count, tools["sap"].count, tools["none"].count) == (2, 1, 0)
    assert tools["excel"].pct_of_respondents == Decimal("100.00")
    assert tools["sap"].pct_of_selections == Decimal("33.33")
    assert "explain" not in peers.questions and "name" not in peers.questions  # no free text


def test_sizes_and_empty_segments(engine: Engine) -> None:
    answer_all(engine)
    flow = small_flow()
    with transaction(engine) as session:
        assert segment_size(session=session, flow_id=flow.id, where=[("role", "oem")]) == 2
        assert segment_size(session=session, flow_id=flow.id, where=[("role", "supplier")]) == 4
        nobody = segment_stats(
            session=session, flow=flow, where=[("role", "oem"), ("tools", "sap")]
        )
        assert nobody.respondents == 0
        assert nobody.questions["policy"].respondents == 0
        with pytest.raises(ValueError):
            segment_stats(session=session, flow=flow, where=[])


def test_a_segment_too_slow_for_the_budget_is_skipped(engine) -> None:  # type: ignore[no-untyped-def]
    """A segment query that cannot finish in its budget gives None, fast, and leaves the
    message's transaction usable with its own timeout (PostgreSQL; SQLite has no budget)."""
    import time

    from sqlalchemy import text

    from flows.definition import load_flow
    from flows.surveys import DEFAULT_FLOW
    from storage.db import transaction
    from storage.segments import segment_stats_within_budget

    flow = load_flow(DEFAULT_FLOW)
    where = [("role", "supplier"), ("commodity", "chassis")]
    if engine.dialect.name != "postgresql":
        with transaction(engine) as session:
            stats = segment_stats_within_budget(session=session, flow=flow, where=where)
            assert stats is not None and stats.respondents == 0
        return  # statement budgets are a PostgreSQL feature; SQLite answered in full
    with engine.connect() as blocker:
        blocker_tx = blocker.begin()
        blocker.execute(text("LOCK TABLE answer IN ACCESS EXCLUSIVE MODE"))  # makes it slow
        with transaction(engine) as session:
            before = session.execute(text("SHOW statement_timeout")).scalar_one()
            started = time.monotonic()
            stats = segment_stats_within_budget(
                session=session, flow=flow, where=where, budget_ms=200
            )
            assert stats is None and time.monotonic() - started < 2
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == before
            assert session.execute(text("SELECT 1")).scalar_one() == 1
        blocker_tx.rollback()
