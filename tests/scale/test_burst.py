"""`surveybot bench burst` at a tiny scale: the scenario end to end, and the small stall.

A /broadcast to 50 followers through the loopback fake of WeChat's API with a quota of
20 sends a second (1,200 a minute, answered with 45011 beyond), while 20 of them answer:
PostgreSQL with two workers, as the full-size scenario; skipped when it is not
reachable. The last attempt at this bench stalled exactly here (its back-off doubled to
a minute while each round still sent part of its batch, 11–28 of 50 copies waiting after
60–90 s): the drain must take about 50 / 20 s, not minutes.
"""

from __future__ import annotations

import pytest

from benchmarks.burst import BurstConfig, run_burst

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_small_burst_drains_at_the_quota_and_sends_each_copy_once(db_url: str) -> None:
    # Given 50 followers and an API that allows 20 sends a second
    config = BurstConfig(
        database_url=db_url, followers=50, respondents=20, seconds=2.0, workers=2, api_rate=20.0
    )

    # When staff broadcast and 20 followers answer within 2 s
    result = await run_burst(config)

    # Then each follower got one copy, every push its passive reply, the data are exact,
    # and the copies went out in about 50 / 20 s (plus slack for a loaded machine)
    lines = "\n".join(result.lines("PostgreSQL"))
    assert "50" in result.staff_replies[1], result.staff_replies
    assert result.sample_reply, "a follower's push got no passive reply"
    assert (result.lost, result.duplicates) == (0, 0), lines
    assert result.invariants_hold(), lines
    assert result.drain_s is not None and result.drain_s < 50 / 20 + 10, lines
