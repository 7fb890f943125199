"""`surveybot bench …`: the benchmark server, the WeChat load generator, /stats timing.

The figures and how they were taken are in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import os

import typer

from bot.app.chart_process import drawer_beside_workers
from bot.cli import uvicorn_workers
from bot.cli.common import settings_or_exit
from bot.cli.serve_cmd import WORKER_HEALTHCHECK_S
from bot.observability.logging import configure_logging
from bot.observability.metrics import prepare_multiprocess_dir, remove_multiprocess_dir
from storage.migrate import upgrade

bench_app = typer.Typer(no_args_is_help=True, add_completion=False)


@bench_app.command("serve", help="`surveybot serve` plus the /wechat-bare yardstick route.")
def serve(
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, max=64),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    settings = settings_or_exit()
    if not settings.wechat_token:
        typer.echo("surveybot: set WECHAT_TOKEN and WECHAT_APP_ID for a benchmark", err=True)
        raise typer.Exit(2)
    upgrade(settings.database_url)
    metrics_dir = prepare_multiprocess_dir(workers)
    try:
        with drawer_beside_workers(settings):  # as under `serve`
            uvicorn_workers.run(
                "benchmarks.bare_app:app_from_env",
                factory=True,
                host="127.0.0.1",
                port=port,
                workers=workers,
                log_level=log_level,
                log_config=configure_logging(log_level),
                proxy_headers=True,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            )
    finally:
        remove_multiprocess_dir(metrics_dir)


@bench_app.command("load", help="Act as WeChat: bare peak, survey peak, survey at 80 % of it.")
def load(
    url: str = typer.Option("http://127.0.0.1:8000", "--url"),
    respondents: int = typer.Option(300, "--respondents", min=1),
    concurrency: int = typer.Option(32, "--concurrency", min=1),
    aes: bool = typer.Option(False, "--aes", help="Safe mode (encrypted pushes)."),
    seed: int = typer.Option(1, "--seed"),
    server_pid: int = typer.Option(
        None, "--server-pid", help="The server's pid (same machine): wait for deferred work."
    ),
) -> None:
    from benchmarks.compare import compare, summary
    from benchmarks.wechat_load import LoadConfig

    settings = settings_or_exit()
    if not settings.wechat_token or not settings.wechat_app_id:
        typer.echo("surveybot: set WECHAT_TOKEN and WECHAT_APP_ID (as the server has)", err=True)
        raise typer.Exit(2)
    config = LoadConfig(
        url=url, token=settings.wechat_token, app_id=settings.wechat_app_id,
        aes_key=settings.wechat_encoding_aes_key if aes else None,
        respondents=respondents, concurrency=concurrency, seed=seed,
    )  # fmt: skip
    for line in summary(asyncio.run(compare(config, server_pid=server_pid))):
        typer.echo(line)


@bench_app.command(
    "compare", help="This product and a plain WeRoBot bot, side by side in one run (safe mode)."
)
def compare_peer(
    respondents: int = typer.Option(400, "--respondents", min=1),
    concurrency: int = typer.Option(16, "--concurrency", min=1),
    rounds: int = typer.Option(2, "--rounds", min=1, help="The order alternates each round."),
    language: list[str] = typer.Option(
        ["both", "en"], "--language", help="Reply language the respondents pick: both, en, zh."
    ),
    seed: int = typer.Option(1, "--seed"),
    before: str = typer.Option(
        None, "--before", help="Another checkout of this code (e.g. a git worktree): measured too."
    ),
) -> None:
    from pathlib import Path

    from benchmarks.peer_compare import compare_with_peer, summary
    from benchmarks.respondents import LANGUAGE_CHOICE
    from benchmarks.wechat_load import LoadConfig

    unknown = [lang for lang in language if lang not in LANGUAGE_CHOICE]
    if unknown:
        raise typer.BadParameter(f"unknown {unknown}: use both, en or zh", param_hint="--language")
    config = LoadConfig(
        url="", token="", app_id="", respondents=respondents, concurrency=concurrency, seed=seed
    )
    tree = Path(before).resolve() if before else None
    pairs = asyncio.run(compare_with_peer(config, rounds=rounds, languages=language, before=tree))
    for line in summary(pairs):
        typer.echo(line)


@bench_app.command(
    "databases", help="SQLite against PostgreSQL in one run: CPU per push (server + backends)."
)
def compare_databases(
    postgres_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "--postgres-url",
        help="A PostgreSQL on this host where runs may create and drop their databases.",
    ),
    before: str = typer.Option(
        None, "--before", help="Another checkout of this code (e.g. a git worktree): measured too."
    ),
    respondents: int = typer.Option(100, "--respondents", min=1),
    concurrency: int = typer.Option(16, "--concurrency", min=1),
    rounds: int = typer.Option(2, "--rounds", min=1, help="The order reverses each round."),
    language: str = typer.Option("both", "--language", help="both, en or zh."),
    seed: int = typer.Option(1, "--seed"),
    synchronous_commit: str = typer.Option(
        "on",
        "--synchronous-commit",
        help="PostgreSQL's commits: on (waits for its WAL flush), off (SQLite's durability), "
        "or both.",
    ),
) -> None:
    from pathlib import Path

    from benchmarks.database_compare import SYNCHRONOUS_COMMIT, summary
    from benchmarks.database_compare import compare_databases as run
    from benchmarks.wechat_load import LoadConfig

    config = LoadConfig(
        url="", token="", app_id="", respondents=respondents, concurrency=concurrency,
        seed=seed, language=language,
    )  # fmt: skip
    if synchronous_commit not in SYNCHRONOUS_COMMIT:
        raise typer.BadParameter("use on, off or both", param_hint="--synchronous-commit")
    tree = Path(before).resolve() if before else None
    measured = asyncio.run(
        run(
            config, postgres_url=postgres_url, before=tree, rounds=rounds,
            synchronous_commit=synchronous_commit,
        )
    )  # fmt: skip
    for line in summary(measured):
        typer.echo(line)
    if not all(m.verified for m in measured):
        raise typer.Exit(1)


@bench_app.command(
    "stats", help="Time the whole-survey /stats (or the staff pages) on the configured database."
)
def stats(
    database_url: str = typer.Option(None, "--database-url"),
    repeat: int = typer.Option(30, "--repeat", min=1),
    texts: str = typer.Option("0", "--texts", help="Free texts per question: 0, N or all."),
    command: str = typer.Option(
        None, "--command", help='Time a real staff command instead, e.g. "/stats", "/progress".'
    ),
    pages: bool = typer.Option(
        False,
        "--pages",
        help="Time the dashboard, /progress and a filtered cross-tab instead: from the rows "
        "and from the session counters, side by side (--repeat 5 is plenty).",
    ),
) -> None:
    from benchmarks.stats_timing import main

    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    if pages:
        from benchmarks.page_timing import main as pages_main

        raise typer.Exit(
            pages_main(["--database-url", settings.database_url, "--repeat", str(repeat)])
        )
    argv = ["--database-url", settings.database_url, "--repeat", str(repeat), "--texts", texts]
    raise typer.Exit(main([*argv, *(["--command", command] if command else [])]))


@bench_app.command("rss", help="Resident memory of a running server's workers (Linux).")
def rss(pid: int = typer.Argument(..., help="The server's (uvicorn master's) process id.")) -> None:
    from benchmarks.rss import worker_rss

    if not os.path.exists(f"/proc/{pid}"):
        typer.echo(f"surveybot: no process {pid}", err=True)
        raise typer.Exit(1)
    for worker, mib in worker_rss(pid).items():
        typer.echo(f"worker {worker}: {mib:.1f} MiB")


@bench_app.command(
    "burst",
    help="A /broadcast to every follower through a rate-limited API, then a wave of answers.",
)
def burst(
    database_url: str = typer.Option(
        None,
        "--database-url",
        help="PostgreSQL (a fresh schema is used) or SQLite; default: the configured one.",
    ),
    followers: int = typer.Option(10_000, "--followers", min=1),
    respondents: int = typer.Option(3_000, "--respondents", min=1),
    seconds: float = typer.Option(60.0, "--seconds", min=0.1, help="The answers spread over this."),
    workers: int = typer.Option(2, "--workers", min=1, max=64),
    api_rate: float = typer.Option(
        100.0, "--api-rate", min=0.1, help="Sends/s the fake API's per-minute quota allows."
    ),
    send_rate: float = typer.Option(
        None, "--send-rate", min=0.1, help="Sends/s the server paces at (default: --api-rate)."
    ),
    seed: int = typer.Option(1, "--seed"),
    port: int = typer.Option(
        None, "--port", min=1, max=65534, help="The server's port; the fake API takes the next."
    ),
) -> None:
    from benchmarks.burst import BurstConfig, database_label, fresh_database, run_burst

    url = database_url or settings_or_exit().database_url
    if respondents > followers:
        raise typer.BadParameter("at most --followers", param_hint="--respondents")
    with fresh_database(url) as fresh:
        config = BurstConfig(
            database_url=fresh, followers=followers, respondents=respondents, seconds=seconds,
            workers=workers, api_rate=api_rate, send_rate=send_rate, seed=seed, port=port,
        )  # fmt: skip
        result = asyncio.run(run_burst(config))
    for line in result.lines(database_label(url)):
        typer.echo(line)
    if not all(result.checks().values()):
        raise typer.Exit(1)
