"""`surveybot check | report | export`: the survey file and its results."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import Session

from bot.cli.common import flow_or_exit, settings_or_exit
from bot.reports.export import export_rows, write_csv
from bot.reports.number_summary import number_summaries
from bot.reports.sav_export import write_sav
from bot.reports.text_report import COUNTING_NOTES, render_report
from bot.reports.xlsx_export import write_analysis_xlsx
from bot.reports.xlsx_summary import read_summary
from flows.check import check_file
from flows.definition import load_flow_text
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW, shipped_flow_paths
from storage import surveys
from storage.aggregates import question_stats
from storage.db import make_engine
from storage.migrate import upgrade
from storage.transactions import transaction


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    SAV = "sav"


def check(
    files: list[Path] = typer.Argument(
        None, help="Flow files (YAML) to validate; default: every shipped flow."
    ),
) -> None:
    paths = files or shipped_flow_paths()
    failed = False
    for path in paths:
        problems = check_file(path)
        if problems:
            failed = True
            typer.echo(f"{path}: {len(problems)} problem(s)")
            for problem in problems:
                typer.echo(f"  {problem}")
        else:
            typer.echo(f"{path}: OK")
    if failed:
        raise typer.Exit(1)


def _survey_flow(
    session: Session, survey: str | None, flow_file: Path | None, default_path: Path | None
) -> Flow:
    """--flow FILE, else the newest published version of --survey (default: the default)."""
    if flow_file is not None:
        return flow_or_exit(flow_file)
    default = flow_or_exit(default_path or DEFAULT_FLOW) if survey is None else None
    survey_id = survey or default.id  # type: ignore[union-attr]
    newest = surveys.newest_version(session=session, flow_id=survey_id)
    if newest is not None:
        found = surveys.load_source(session=session, flow_id=survey_id, version=newest)
        assert found is not None
        return load_flow_text(found[0], source=f"{survey_id} v{newest} (registry)")
    if default is not None:
        return default  # nothing published yet (the service never ran on this database)
    known = ", ".join(v.flow_id for v in surveys.list_versions(session=session)) or "none"
    typer.echo(f"surveybot: no survey {survey_id!r} is published (published: {known})", err=True)
    raise typer.Exit(2)


_SURVEY = typer.Option(
    None, "--survey", help="Survey id in the registry (default: the default survey)."
)


def report(
    survey: str = _SURVEY,
    flow_file: Path = typer.Option(None, "--flow", help="Flow file instead of the registry."),
    database_url: str = typer.Option(
        None, "--database-url", help="Override SURVEYBOT_DATABASE_URL."
    ),
    texts: bool = typer.Option(True, "--texts/--no-texts", help="Include free-text answers."),
) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(engine, readonly=True) as session:
            flow = _survey_flow(session, survey, flow_file, settings.flow_path)
            stats = question_stats(session=session, flow=flow, text_limit=None if texts else 0)
            versions = surveys.answered_versions(session=session, flow_id=flow.id)
            numbers = number_summaries(session=session, flow=flow)
            typer.echo(
                render_report(
                    flow,
                    stats,
                    include_texts=texts,
                    versions=versions,
                    numbers=numbers,
                    stamp=COUNTING_NOTES.get(flow.counting),  # a rule other than per respondent
                )
            )
    finally:
        engine.dispose()


def export(
    format: ExportFormat = typer.Option(
        ExportFormat.CSV, "--format", help="csv, xlsx or sav (SPSS)."
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (default: stdout for CSV)."
    ),
    survey: str = _SURVEY,
    flow_file: Path = typer.Option(None, "--flow", help="Flow file instead of the registry."),
    database_url: str = typer.Option(
        None, "--database-url", help="Override SURVEYBOT_DATABASE_URL."
    ),
) -> None:
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    if format is not ExportFormat.CSV and output is None:
        raise typer.BadParameter(f"{format.value} needs --output FILE", param_hint="--output")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(engine, readonly=True) as session:
            flow = _survey_flow(session, survey, flow_file, settings.flow_path)
            header, rows = export_rows(session=session, flow=flow)
            if format is ExportFormat.XLSX:
                summary = read_summary(session=session, flow=flow, now=datetime.now(UTC))
                numbers = number_summaries(session=session, flow=flow)
                count = write_analysis_xlsx(output, flow, rows, numbers, summary=summary)
            elif format is ExportFormat.SAV:
                count = write_sav(output, flow, rows)
            else:
                count = write_csv(output if output is not None else sys.stdout, header, rows)
    finally:
        engine.dispose()
    if output is not None:
        typer.echo(f"wrote {count} respondents to {output}", err=True)
