from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import upgrade


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
