"""How long the whole-survey statistics take on a (large) database.

    python -m benchmarks.stats_timing --database-url URL [--repeat 30] [--texts 0|N|all]
    python -m benchmarks.stats_timing --database-url URL --command ["/progress"]

Times what staff `/stats` does for the whole survey, in one read-only transaction:
`question_stats` (the exact counters, plus the newest free texts of each text question)
and the seed-layout report cut into chat messages (`bot.reports.staff_replies.report_messages`).
`--texts 20` (TEXT_ANSWERS_SHOWN) is what the staff command shows; `0` the figures
alone; `all` every free-text answer (what /stats printed before it was limited).

`--command` runs a real staff command instead ("/stats" unless another is given, e.g.
"/progress", "/survey", "/stats 1"): `StaffHandler` with that text from a staff member,
its read transaction, then its audit row in a transaction rolled back after each run
(the benchmark database is left as it was). It ignores `--texts`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from benchmarks.results import percentile
from bot.dispatch.envelope import Channel, Envelope
from bot.reports.staff_replies import TEXT_ANSWERS_SHOWN, report_messages
from bot.settings import load_settings
from bot.staff.handler import build_staff_handler
from flows.definition import load_flow
from flows.events import Inbound
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.db import make_engine
from storage.transactions import transaction

BENCH_STAFF = "o_bench_staff"  # never a real openid (those start with "o" + 27 chars)


def time_stats(
    url: str, *, repeat: int, texts: int | None, command: str | None = None
) -> tuple[list[float], int, list[str]]:
    """(seconds per run, respondents counted, the messages of the last run).

    `command`: a staff command's text to time instead of the report alone."""
    flow = load_flow(DEFAULT_FLOW)
    engine = make_engine(url, request_timeouts=False)
    run = staff_command(engine, url, flow, command) if command else _report(engine, flow, texts)
    timings: list[float] = []
    messages: list[str] = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            messages = run()
            timings.append(time.perf_counter() - started)
        with transaction(engine, readonly=True) as session:
            stats = question_stats(session=session, flow=flow)
        respondents = max(s.respondents for s in stats.values())
    finally:
        engine.dispose()
    return timings, respondents, messages


def _report(engine: Engine, flow: Flow, texts: int | None) -> Callable[[], list[str]]:
    def run() -> list[str]:
        with transaction(engine, readonly=True) as session:
            stats = question_stats(session=session, flow=flow, text_limit=texts)
        return report_messages(flow, stats)

    return run


def staff_command(engine: Engine, url: str, flow: Flow, text: str) -> Callable[[], list[str]]:
    settings = load_settings(
        database_url=url, staff_raw=f"wechat:{BENCH_STAFF}", secret_key="bench-stats-timing"
    )
    handler = build_staff_handler(settings, engine, flow)
    assert handler is not None  # a staff member is configured just above
    runs = iter(range(1, 1 << 62))

    def run() -> list[str]:
        inbound = Inbound(now=datetime.now(UTC), text=text)
        envelope = Envelope(Channel.WECHAT, BENCH_STAFF, f"bench-stats-{next(runs)}", inbound)
        # As the dispatcher does (bot.dispatch.staff_dispatch): the reads, then the audit row.
        with transaction(engine, readonly=True, long_read=True) as session:
            work = handler.prepare(session, envelope)
        if work is None:
            raise SystemExit(f"the staff handler did not take {text!r}")
        with Session(engine) as session:
            outcome = work(session)
            session.rollback()
        return [m.text for m in outcome.messages]

    return run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.stats_timing", description=__doc__)
    p.add_argument("--database-url", default=os.environ.get("SURVEYBOT_DATABASE_URL"))
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument(
        "--texts",
        default=str(TEXT_ANSWERS_SHOWN),
        help=f"newest free texts per question: 0, N or all (staff /stats: {TEXT_ANSWERS_SHOWN})",
    )
    p.add_argument(
        "--command",
        nargs="?",
        const="/stats",
        help='time a real staff command (default "/stats"; e.g. "/progress")',
    )
    args = p.parse_args(argv)
    if not args.database_url:
        p.error("give --database-url (or SURVEYBOT_DATABASE_URL)")
    if args.command is not None and not args.command.startswith("/"):
        p.error(f"--command takes a staff command such as /stats, not {args.command!r}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    texts = None if args.texts == "all" else int(args.texts)
    timings, respondents, messages = time_stats(
        args.database_url, repeat=args.repeat, texts=texts, command=args.command
    )
    ordered = sorted(timings)
    ms = {q: 1000 * percentile(ordered, q) for q in (50, 95, 100)}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = f"/stats whole survey (texts={args.texts})"
    if args.command:
        what = f"staff command {args.command}"
    size = sum(len(m.encode("utf-8")) for m in messages)
    print(
        f"{what} over {respondents:,} respondents, {args.repeat} runs: "
        f"p50 {ms[50]:.1f} ms, p95 {ms[95]:.1f} ms, max {ms[100]:.1f} ms; "
        f"{len(messages):,} messages, {size:,} bytes; peak RSS of this process {peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
