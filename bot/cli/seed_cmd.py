"""`surveybot db seed-fake N`: fill a database with N synthetic respondents (benchmarks)."""

from __future__ import annotations

import time

import typer

from bot.cli.common import settings_or_exit
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine
from storage.migrate import upgrade
from storage.seed_fake import seed_fake


def seed_fake_cmd(
    count: int = typer.Argument(..., min=1, help="How many completed respondents to add."),
    database_url: str = typer.Option(
        None, "--database-url", help="Override SURVEYBOT_DATABASE_URL."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same answers)."),
    batch: int = typer.Option(20_000, "--batch", min=1, help="Respondents per transaction."),
    followers: bool = typer.Option(
        False, "--followers", help="All asked for updates and wrote within the hour (/broadcast)."
    ),
) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    flow = load_flow(settings.flow_path or DEFAULT_FLOW)
    upgrade(settings.database_url)
    # A bulk load may take longer than a request's statement timeout.
    engine = make_engine(settings.database_url, request_timeouts=False)
    started = time.monotonic()

    def progress(done: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        typer.echo(f"  {done:>10,} respondents ({rate:,.0f}/s)")

    try:
        answers = seed_fake(
            engine, flow, count, seed=seed, batch_size=batch, progress=progress, followers=followers
        )
    finally:
        engine.dispose()
    elapsed = time.monotonic() - started
    typer.echo(
        f"added {count:,} fake respondents and {answers:,} answer rows in {elapsed:.1f}s; "
        "counters updated in the same transactions (check: surveybot db verify)"
    )
