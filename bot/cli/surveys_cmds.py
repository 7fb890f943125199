"""`surveybot surveys list | publish FILE | close ID | rebuild-segments ID`: the registry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import Engine

from bot.cli.common import settings_or_exit
from bot.surveys.catalog import SurveyCatalog
from bot.surveys.publish import (
    MappingError,
    RegistryError,
    publish_survey,
    read_mapping_file,
    read_survey_file,
)
from flows.errors import FlowFileError
from storage import segment_counters
from storage import surveys as registry
from storage.db import make_engine
from storage.migrate import upgrade
from storage.transactions import transaction

surveys_app = typer.Typer(no_args_is_help=True)

_DATABASE = typer.Option(None, "--database-url", help="Override SURVEYBOT_DATABASE_URL.")


@contextlib.contextmanager
def _engine(database_url: str | None) -> Iterator[Engine]:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    upgrade(settings.database_url)
    # Not a chat reply: a publish that rebuilds segment counters reads every answer row.
    engine = make_engine(settings.database_url, request_timeouts=False)
    try:
        yield engine
    finally:
        engine.dispose()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"surveybot: {message}", err=True)
    return typer.Exit(code)


@surveys_app.command("list", help="Every published survey version, open or closed, with counts.")
def list_surveys(database_url: str = _DATABASE) -> None:
    with _engine(database_url) as engine, transaction(engine, readonly=True) as session:
        versions = registry.list_versions(session=session)
        counts = {
            flow_id: registry.version_counts(session=session, flow_id=flow_id)
            for flow_id in {v.flow_id for v in versions}
        }
    if not versions:
        typer.echo("no survey is published yet (`surveybot serve` publishes the shipped ones)")
        return
    typer.echo(f"{'survey':<24} {'ver':>3}  {'status':<7} {'published':<16} started  done  mapped")
    newest = {v.flow_id: v.version for v in versions}
    for v in versions:
        status = "open" if newest[v.flow_id] == v.version else "older"
        status = "closed" if v.closed_at else status
        count = counts[v.flow_id].get(v.version)
        started, done = (count.started, count.completed) if count else (0, 0)
        typer.echo(
            f"{v.flow_id:<24} {v.version:>3}  {status:<7} {v.published_at:%Y-%m-%d %H:%M} "
            f"{started:>7} {done:>5}  {'yes' if v.has_mapping else '-'}"
        )


@surveys_app.command("publish", help="Publish a survey file (YAML flow or XLSForm .xlsx).")
def publish(
    file: Path = typer.Argument(..., help="The survey: a flow file (.yaml) or XLSForm (.xlsx)."),
    mapping_file: Path = typer.Option(
        None,
        "--map",
        help="Move respondents in progress on an older version to this one (YAML mapping, "
        "see docs/surveys.md). Without it they finish on their version.",
    ),
    database_url: str = _DATABASE,
) -> None:
    try:
        survey = read_survey_file(file)
        mapping = read_mapping_file(mapping_file) if mapping_file is not None else None
    except FlowFileError as error:
        typer.echo(f"{error.source}: {len(error.problems)} problem(s)", err=True)
        for problem in error.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    except MappingError as error:
        raise _fail(f"{mapping_file}: {error}") from None
    except OSError as error:
        raise _fail(f"cannot read {error.filename}: {error.strerror or error}", 2) from None
    try:
        with _engine(database_url) as engine, transaction(engine) as session:
            result = publish_survey(
                session=session, survey=survey, now=datetime.now(UTC), mapping=mapping
            )
    except (RegistryError, MappingError) as error:
        raise _fail(str(error)) from None
    flow = result.flow
    if not result.added:
        typer.echo(f"{flow.id} version {flow.version} is already published (unchanged)")
        return
    how = (
        f"respondents in progress on version {mapping.from_version} move to it"
        if mapping is not None
        else "respondents in progress finish on their version"
    )
    size = f"{len(flow.questions)} questions"
    typer.echo(f"published {flow.id} version {flow.version} ({size}); {how}")
    if result.segments_rebuilt is not None:
        typer.echo(f"peer segments changed: {result.segments_rebuilt} segment counters rebuilt")


@surveys_app.command(
    "rebuild-segments",
    help="Recount a survey's peer-segment counters from its answers, as its newest version "
    "declares them (`segments:`).",
)
def rebuild_segments(
    survey_id: str = typer.Argument(..., help="The survey id, e.g. aiag_carbon."),
    database_url: str = _DATABASE,
) -> None:
    with _engine(database_url) as engine, transaction(engine) as session:
        flow = SurveyCatalog(survey_id).newest_flow(session, survey_id)
        if flow is None:
            raise _fail(f"{survey_id} is not published")
        kept = segment_counters.rebuild(session=session, flow_id=flow.id, declared=flow.segments)
    declared = ", ".join(s.key for s in flow.segments) or "none declared"
    typer.echo(f"{survey_id} version {flow.version} segments ({declared}): {kept} counters")


@surveys_app.command("close", help="Close a survey: no new answers; given answers are kept.")
def close(
    survey_id: str = typer.Argument(..., help="The survey id, e.g. aiag_carbon."),
    database_url: str = _DATABASE,
) -> None:
    try:
        with _engine(database_url) as engine, transaction(engine) as session:
            closed = registry.close(session=session, flow_id=survey_id, now=datetime.now(UTC))
    except RegistryError as error:
        raise _fail(str(error)) from None
    if closed:
        typer.echo(f"closed {survey_id}: respondents are told it has closed; answers are kept")
    else:
        typer.echo(f"{survey_id} was already closed")
