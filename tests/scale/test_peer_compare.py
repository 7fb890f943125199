"""`surveybot bench compare`: this product and the WeRoBot peer, side by side (tiny run).

Not a timed test (the figures live in docs/benchmarks.md): it keeps the comparison
honest. Both servers really start, the same respondents reach both, the peer really
stores what it is sent, and this product's aggregates verify exact afterwards.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.peer_compare import (
    BEFORE,
    OURS,
    PEER,
    REPO,
    Credentials,
    compare_with_peer,
    measure,
    summary,
)
from benchmarks.wechat_load import LoadConfig
from bot.cli.main import app

pytestmark = pytest.mark.slow


def _config(creds: Credentials, respondents: int) -> LoadConfig:
    return LoadConfig(
        url="", token=creds.token, app_id=creds.app_id, aes_key=creds.aes_key,
        respondents=respondents, concurrency=2, language="en",
    )  # fmt: skip


async def test_the_peer_answers_every_push_and_stores_every_text(tmp_path: Path) -> None:
    creds = Credentials.made_up()
    measured = await measure(PEER, _config(creds, 3), creds, tmp_path)

    assert measured.result.requests > 3 * 10 and not measured.result.errors
    assert measured.result.late == 0  # every push got a (safe-mode) reply, not "success"
    with sqlite3.connect(tmp_path / "answers.sqlite3") as db:
        (stored,) = db.execute("SELECT count(*) FROM answers").fetchone()
    # Every text push (all but one subscribe per respondent) is one row, up to the end.
    assert 0 < stored <= measured.result.requests - 3
    assert measured.cpu_s > 0 and measured.rss_mib > 10


async def test_compare_runs_both_in_alternating_order_and_verifies_ours() -> None:
    creds = Credentials.made_up()
    pairs = await compare_with_peer(_config(creds, 2), rounds=2, languages=("en",))

    assert [[m.name for m in pair] for pair in pairs] == [[OURS, PEER], [PEER, OURS]]
    for pair in pairs:
        ours, peer = sorted(pair, key=lambda m: m.name != OURS)
        assert ours.result.requests == peer.result.requests  # the same pushes
        assert not ours.result.errors and not peer.result.errors
        assert ours.verified is True and peer.verified is None
    lines = "\n".join(summary(pairs))
    assert "CPU per push" in lines and "target met in" in lines


async def test_a_before_checkout_is_served_in_the_same_rounds(tmp_path: Path) -> None:
    # An exported copy of this tree stands for the earlier commit; its own code serves.
    before = tmp_path / "before"
    before.mkdir()
    for entry in REPO.iterdir():
        if not entry.name.startswith("."):
            (before / entry.name).symlink_to(entry)
    creds = Credentials.made_up()
    pairs = await compare_with_peer(
        _config(creds, 2), rounds=2, languages=("en",), before=before.resolve()
    )

    assert [[m.name for m in pair] for pair in pairs] == [
        [OURS, BEFORE, PEER],
        [PEER, BEFORE, OURS],
    ]
    for pair in pairs:
        counts = {m.result.requests for m in pair}
        assert len(counts) == 1  # the same pushes reached all three
        assert [m.verified for m in pair if m.name != PEER] == [True, True]
    lines = "\n".join(summary(pairs))
    assert "surveybot/before CPU per push" in lines and "before/werobot" in lines


def test_compare_refuses_an_unknown_language() -> None:
    result = CliRunner().invoke(app, ["bench", "compare", "--language", "fr"])
    assert result.exit_code == 2 and "unknown" in result.output
