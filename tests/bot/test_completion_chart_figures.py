"""The completion chart shows what the text may show (bot.reports.disclosure): nothing below
the threshold, small counts as words, and it draws with them."""

from __future__ import annotations

from bot.workers.completion_charts import chart_figures, completion_chart
from flows.definition import load_flow
from flows.model import Lang
from flows.state import Answer, SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import tally

FLOW = load_flow(DEFAULT_FLOW)
PNG = b"\x89PNG\r\n\x1a\n"


def _state(**answers: tuple[str, ...]) -> SessionState:
    return SessionState(
        FLOW.id,
        FLOW.version,
        status=Status.COMPLETED,
        lang=Lang.EN,
        answers={q: Answer(options=o) for q, o in answers.items()},
    )


def test_small_counts_are_words_and_small_groups_are_left_out() -> None:
    role = FLOW.question("role")
    policy = FLOW.question("carbon_policy")
    stats = {
        "role": tally(role, 9, {"supplier": 8, "oem": 1}),  # the viewer is the one OEM
        "carbon_policy": tally(policy, 4, {"yes": 4}),  # fewer than 5: left out
    }
    state = _state(role=("oem",), carbon_policy=("yes",))
    shown, coarse = chart_figures(FLOW, stats, state, min_respondents=5, min_cell=3)
    assert set(shown) == {"role"}
    # 8 of the 8 others are suppliers: "most"; "only you" of two options would tell
    # that all the others are suppliers, so "a few".
    assert coarse == {("role", "supplier"): "most", ("role", "oem"): "few"}
    png = completion_chart(FLOW, stats, state, min_respondents=5, min_cell=3)
    assert png is not None and png.startswith(PNG)
    assert completion_chart(FLOW, stats, state, min_respondents=10, min_cell=3) is None
