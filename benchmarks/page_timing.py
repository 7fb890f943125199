"""How long the staff pages' figures take, counted from the rows and from the session counters.

    surveybot bench stats --pages [--repeat 5]
    python -m benchmarks.page_timing --database-url URL [--repeat 5]

Each figure runs in its own read-only transaction (`long_read`, as the staff pages read),
once from the rows (`from_counters=False`: what every figure did before the session
counters) and once from the counters, alternating, `--repeat` times, in one run:
- the dashboard's data (`gather_dashboard`), whole survey and one channel;
- what `/progress` computes (`survey_progress` since China midnight, and the
  question counts it prints beside it);
- the dashboard's progress chart per China day (`progress_by_day`);
- a cross-tab with a filter on an answer (`gather_crosstab`: the counters hold no
  answers, so it is the same read both times: on PostgreSQL one scan of the sessions'
  choice masks, storage.choice_masks; on SQLite the answer rows);
- the staff command `/progress` itself, as `--command` runs it (audit row rolled back).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from benchmarks.results import percentile
from benchmarks.stats_timing import staff_command
from bot.reports.local_time import local_midnight
from bot.web.dashboard import gather_crosstab, gather_dashboard
from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.db import make_engine
from storage.filters import NO_FILTER, AnswerIs, ReportFilter
from storage.progress import survey_progress
from storage.transactions import transaction
from storage.web_queries import progress_by_day

CHINA = timedelta(hours=8)
# methodology by role among those with a carbon policy: the staff guide's example.
CROSSTAB = ("methodology", "role", ReportFilter(answers=(AnswerIs("carbon_policy", "yes"),)))

Timed = Callable[[bool], object]  # from_counters → the figures


def figures(engine: Engine, flow: Flow, now: datetime) -> dict[str, Timed]:
    def read(work: Callable[..., object]) -> Timed:
        def run(counters: bool) -> object:
            with transaction(engine, readonly=True, long_read=True) as session:
                return work(session, counters)

        return run

    telegram = ReportFilter(channel="telegram")
    row_question, by, answer_filter = CROSSTAB
    return {
        "dashboard data (`gather_dashboard`)": read(
            lambda s, c: gather_dashboard(session=s, flow=flow, now=now, from_counters=c)
        ),
        "dashboard data, channel=telegram": read(
            lambda s, c: gather_dashboard(
                session=s, flow=flow, now=now, report_filter=telegram, from_counters=c
            )
        ),
        "/progress figures (`survey_progress` + question counts)": read(
            lambda s, c: (
                survey_progress(
                    session=s,
                    flow_id=flow.id,
                    since=local_midnight(now),
                    idle_before=now - timedelta(hours=24),
                    from_counters=c,
                ),
                question_stats(session=s, flow=flow, report_filter=NO_FILTER),
            )
        ),
        "progress per China day (`progress_by_day`)": read(
            lambda s, c: progress_by_day(
                session=s, flow_id=flow.id, utc_offset=CHINA, from_counters=c
            )
        ),
        f"cross-tab {row_question} by {by}, where carbon_policy:yes (same read)": read(
            lambda s, _c: gather_crosstab(
                session=s,
                flow=flow,
                question_id=row_question,
                by_id=by,
                report_filter=answer_filter,
            )
        ),
    }


def time_pages(url: str, *, repeat: int) -> list[str]:
    """One line per figure: p50 and max from the rows and from the counters."""
    flow = load_flow(DEFAULT_FLOW)
    engine = make_engine(url, request_timeouts=False)
    now = datetime.now(UTC)
    lines = []
    try:
        for what, run in figures(engine, flow, now).items():
            took: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(repeat):
                results = []
                for counters in (False, True):
                    started = time.perf_counter()
                    results.append(run(counters))
                    took[counters].append(time.perf_counter() - started)
                if results[0] != results[1]:
                    raise SystemExit(f"{what}: the counters and the rows disagree")
            lines.append(f"{what}: rows {_ms(took[False])}; counters {_ms(took[True])}")
        staff = staff_command(engine, url, flow, "/progress")
        took_staff = []
        for _ in range(repeat):
            started = time.perf_counter()
            staff()
            took_staff.append(time.perf_counter() - started)
        lines.append(f"staff command /progress (StaffHandler, rolled back): {_ms(took_staff)}")
    finally:
        engine.dispose()
    return lines


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"p50 {1000 * percentile(ordered, 50):,.1f} ms, max {1000 * ordered[-1]:,.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.page_timing", description=__doc__)
    p.add_argument("--database-url", default=os.environ.get("SURVEYBOT_DATABASE_URL"))
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    if not args.database_url:
        p.error("give --database-url (or SURVEYBOT_DATABASE_URL)")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    for line in time_pages(args.database_url, repeat=args.repeat):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
