"""Start-up's first contact with the database: one clear line when it cannot be reached.

Without this, an unreachable PostgreSQL stopped `surveybot serve` with a 140-line
traceback. Now: which database (password hidden), what failed, exit status 1; or, with
SURVEYBOT_DB_WAIT_S, a bounded wait (PostgreSQL still starting beside us) that logs one
line per retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from storage.migrate import upgrade

log = logging.getLogger(__name__)

UNREACHABLE_EXIT = 1
MAX_RETRY_DELAY_S = 5.0


def where(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def _reason(error: OperationalError) -> str:
    # The driver's first line says it ("Connection refused", "password authentication
    # failed", "unable to open database file"); the rest is SQLAlchemy's boilerplate.
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def migrate_or_exit(
    url: str,
    *,
    wait_s: float = 0.0,
    migrate: Callable[[str], None] = upgrade,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Bring the schema up to date; exit with one line if the database stays unreachable."""
    deadline: float | None = None  # counted from the first failure, not from the imports
    attempt = 0
    while True:
        try:
            migrate(url)
            return
        except OperationalError as error:
            reason = _reason(error)
            if deadline is None:
                deadline = time.monotonic() + wait_s
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                typer.echo(f"surveybot: cannot reach the database {where(url)}: {reason}", err=True)
                raise typer.Exit(UNREACHABLE_EXIT) from None
            attempt += 1
            delay = min(MAX_RETRY_DELAY_S, 0.5 * 2**attempt, remaining)
            log.warning(
                "database %s unreachable (%s); retry %d in %.1f s (%.0f s left)",
                where(url), reason, attempt, delay, remaining,
            )  # fmt: skip
            sleep(delay)
        except (ArgumentError, ValueError) as error:
            typer.echo(f"surveybot: bad setting SURVEYBOT_DATABASE_URL: {error}", err=True)
            raise typer.Exit(2) from None
