"""Shared CLI plumbing: settings, a flow file and the runtime, with one-line errors."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.app.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError, load_settings
from flows.definition import load_flow
from flows.errors import FlowFileError
from flows.model import Flow
from storage.surveys import RegistryError


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"surveybot: {exc}", err=True)
        raise typer.Exit(2) from None


def flow_or_exit(path: Path) -> Flow:
    """The flow file named on the command line: exit 1 when it is invalid (as `check`
    does), 2 when it cannot be read."""
    try:
        return load_flow(path)
    except FlowFileError as exc:
        typer.echo(f"surveybot: the flow file is invalid:\n{exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"surveybot: cannot read {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None


def runtime_or_exit(settings: Settings) -> Runtime:
    try:
        return build_runtime(settings)
    except FlowFileError as exc:
        typer.echo(f"surveybot: the flow file is invalid:\n{exc}", err=True)
        raise typer.Exit(2) from None
    except RegistryError as exc:
        typer.echo(f"surveybot: {exc}", err=True)
        raise typer.Exit(2) from None
