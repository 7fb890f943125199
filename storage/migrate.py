"""Schema upgrades through Alembic, without an ini file (`upgrade(url)`, `downgrade`).

The migration scripts live in storage/migrations; `python -m storage.migrate URL`
upgrades a database from the command line. Alembic is imported when a migration runs:
web workers start with the schema already current and never need it (~12 MB each).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

_LOCK_KEY = 0x5355_5256  # "SURV": the advisory lock serializing concurrent upgrades
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at storage/migrations; env.py uses `connection` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (in one transaction where DDL allows)."""
    _migrate(url, revision, down=False)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` (its later migrations undone)."""
    _migrate(url, revision, down=True)


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts in {MIGRATIONS}")
    return head


def _migrate(url: str, revision: str, *, down: bool) -> None:
    from alembic import command

    engine = make_engine(url, request_timeouts=False)
    try:
        with engine.begin() as connection:
            # Several workers may start at once: one migrates, the others then find the
            # schema current (SQLite: BEGIN IMMEDIATE already queues them).
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL lock_timeout = 0"))
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            config = alembic_config(connection)
            if down:
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m storage.migrate DATABASE_URL", file=sys.stderr)
        return 2
    upgrade(argv[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
