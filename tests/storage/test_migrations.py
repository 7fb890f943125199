from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import main, upgrade


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to do after `upgrade`: models and migrations agree."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_idempotent_and_records_the_head(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def test_workers_starting_together_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            upgrade(db_url)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
    engine.dispose()


def test_command_line(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main([db_url]) == 0
