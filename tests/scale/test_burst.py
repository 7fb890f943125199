"""`surveybot bench burst` at a tiny scale: the scenario's code path and its invariants.

Not a timed test (the figures are in docs/benchmarks.md): a /broadcast through a
rate-limited fake WeChat API reaches every follower exactly once although the API
refuses part of the sends, every push gets its passive reply, `db verify` is exact.
PostgreSQL with two workers, as the full-size scenario; skipped when it is not reachable.
"""

from __future__ import annotations

import pytest

from benchmarks.burst import BurstConfig, run_burst


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_tiny_burst_loses_nothing_and_sends_each_broadcast_once(db_url: str) -> None:
    # Given 50 followers and an API that accepts 20 sends a second (2 at once)
    config = BurstConfig(
        database_url=db_url, followers=50, respondents=20, seconds=2.0, workers=2, api_rate=20.0
    )

    # When staff broadcast and 20 followers answer within 2 s
    result = await run_burst(config)

    # Then nothing is lost, the quota was hit and backed off from, the data are exact
    assert "50" in result.staff_replies[1], result.staff_replies
    assert result.sample_reply, "a follower's push got no passive reply"
    assert result.refused > 0, "the API's quota was never reached: the back-off is untested"
    assert result.exactly_once, result.delivered
    assert result.invariants_hold(), result.lines("PostgreSQL")
