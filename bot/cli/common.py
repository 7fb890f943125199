"""Shared CLI plumbing: settings with one-line errors, the runtime."""

from __future__ import annotations

import typer

from bot.app.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError, load_settings
from flows.errors import FlowFileError
from storage.surveys import RegistryError


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"surveybot: {exc}", err=True)
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
