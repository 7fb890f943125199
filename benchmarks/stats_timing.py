"""How long the whole-survey statistics take on a (large) database.

    python -m benchmarks.stats_timing --database-url URL [--repeat 30] [--texts 0|N|all]

Times what staff `/stats` does for the whole survey, in one read-only transaction:
`question_stats` (the exact counters, plus free texts when asked) and the seed-layout
report rendered from them. `--texts 0` is the figures alone; `all` is every free-text
answer, as the staff command currently prints them.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Sequence

from benchmarks.results import percentile
from bot.reports.text_report import render_report
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.db import make_engine, transaction


def time_stats(url: str, *, repeat: int, texts: int | None) -> tuple[list[float], int, int]:
    """(seconds per run, respondents counted, report characters)."""
    flow = load_flow(DEFAULT_FLOW)
    engine = make_engine(url, request_timeouts=False)
    timings: list[float] = []
    respondents = chars = 0
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            with transaction(engine, readonly=True) as session:
                stats = question_stats(session=session, flow=flow, text_limit=texts)
            report = render_report(flow, stats, include_texts=texts != 0)
            timings.append(time.perf_counter() - started)
            respondents = max(s.respondents for s in stats.values())
            chars = len(report)
    finally:
        engine.dispose()
    return timings, respondents, chars


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.stats_timing", description=__doc__)
    p.add_argument("--database-url", default=os.environ.get("SURVEYBOT_DATABASE_URL"))
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--texts", default="0", help="free texts per question: 0, N or all")
    args = p.parse_args(argv)
    if not args.database_url:
        p.error("give --database-url (or SURVEYBOT_DATABASE_URL)")
    texts = None if args.texts == "all" else int(args.texts)
    timings, respondents, chars = time_stats(args.database_url, repeat=args.repeat, texts=texts)
    ordered = sorted(timings)
    ms = {q: 1000 * percentile(ordered, q) for q in (50, 95, 100)}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"/stats whole survey (texts={args.texts}) over {respondents:,} respondents, "
        f"{args.repeat} runs: p50 {ms[50]:.1f} ms, p95 {ms[95]:.1f} ms, max {ms[100]:.1f} ms; "
        f"report {chars:,} characters; peak RSS of this process {peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
