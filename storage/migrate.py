"""Schema upgrades through Alembic, without an ini file (`upgrade(url)`).

The migration scripts live in storage/migrations; `python -m storage.migrate URL`
upgrades a database from the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import make_engine

_LOCK_KEY = 0x5355_5256  # "SURV": the advisory lock serializing concurrent upgrades
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at storage/migrations; env.py uses `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (in one transaction where DDL allows)."""
    engine = make_engine(url, request_timeouts=False)
    try:
        with engine.begin() as connection:
            # Several workers may start at once: one migrates, the others then find the
            # schema current (SQLite: BEGIN IMMEDIATE already queues them).
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL lock_timeout = 0"))
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            command.upgrade(alembic_config(connection), revision)
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
