"""`surveybot db …`: migrations and the aggregate consistency check."""

from __future__ import annotations

import typer

from bot.cli.common import settings_or_exit
from bot.cli.seed_cmd import seed_fake_cmd
from bot.surveys.catalog import SurveyCatalog
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify as verify_counters
from storage.db import make_engine
from storage.migrate import downgrade as run_downgrade
from storage.migrate import upgrade as run_upgrade
from storage.transactions import transaction

db_app = typer.Typer(no_args_is_help=True, add_completion=False)

_URL = typer.Option(None, "--database-url", help="Override SURVEYBOT_DATABASE_URL.")


@db_app.command("upgrade", help="Apply the Alembic migrations up to the newest revision.")
def upgrade(database_url: str = _URL) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    run_upgrade(settings.database_url)
    typer.echo("database is at the newest revision")


@db_app.command("downgrade", help="Undo the migrations after REVISION (e.g. 0001).")
def downgrade(revision: str = typer.Argument(...), database_url: str = _URL) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    run_downgrade(settings.database_url, revision)
    typer.echo(f"database is at revision {revision}")


@db_app.command(
    "verify",
    help="Recount every counter (answers, segments, sessions) from the rows; report differences.",
)
def verify(database_url: str = _URL) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    default = load_flow(settings.flow_path or DEFAULT_FLOW)
    run_upgrade(settings.database_url)
    # A recount reads every answer row: far longer than a request's statement timeout.
    engine = make_engine(settings.database_url, request_timeouts=False)
    try:
        with transaction(engine) as session:
            # Every published survey, its segment counters as its newest version declares
            # them (before anything is published: the configured flow file's).
            catalog = SurveyCatalog(default.id)
            catalog.refresh(session)
            flows = [catalog.newest_flow(session, i) for i in catalog.survey_ids()] or [default]
            differences = [
                line
                for flow in flows
                if flow is not None
                for line in verify_counters(session=session, flow=flow)
            ]
    finally:
        engine.dispose()
    if differences:
        for line in differences:
            typer.echo(line)
        typer.echo(f"{len(differences)} difference(s)")
        raise typer.Exit(1)
    typer.echo("aggregates match the answer rows")


db_app.command(
    "seed-fake", help="Add N synthetic completed respondents (benchmarks; counters kept exact)."
)(seed_fake_cmd)
