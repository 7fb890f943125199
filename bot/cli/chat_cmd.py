"""`surveybot chat`: the console channel."""

from __future__ import annotations

import getpass

import anyio
import typer

from bot.channels.console import run_console
from bot.cli.common import runtime_or_exit, settings_or_exit


def chat(
    as_: str = typer.Option(
        None, "--as", help="Respondent name (your chat identity); defaults to your login."
    ),
    database_url: str = typer.Option(
        None, "--database-url", help="Override SURVEYBOT_DATABASE_URL."
    ),
) -> None:
    overrides = {"database_url": database_url} if database_url else {}
    runtime = runtime_or_exit(settings_or_exit(**overrides))
    user = (as_ or getpass.getuser() or "console").strip()
    if not user or len(user) > 64:
        raise typer.BadParameter("--as must be 1-64 characters")
    typer.echo(f"(chatting as {user!r}; type /quit to leave)\n")

    def read() -> str:
        return input("> ")

    anyio.run(run_console, runtime.service, user, read, typer.echo)
