"""`surveybot db upgrade` / `db downgrade`, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from bot.cli.main import app
from storage.db import make_engine
from storage.migrate import head_revision

runner = CliRunner()


def _state(db_url: str) -> tuple[str | None, bool]:
    """(current revision, whether the free-text index exists)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
            names = {i["name"] for i in inspect(conn).get_indexes("answer")}
    finally:
        engine.dispose()
    return revision, "ix_answer_free_text_newest" in names


def test_upgrade_then_downgrade_to_0001_and_back(db_url: str) -> None:
    up = runner.invoke(app, ["db", "upgrade", "--database-url", db_url])
    assert up.exit_code == 0, up.output
    assert _state(db_url) == (head_revision(), True)

    down = runner.invoke(app, ["db", "downgrade", "0001", "--database-url", db_url])
    assert down.exit_code == 0, down.output
    assert "revision 0001" in down.output
    assert _state(db_url) == ("0001", False)

    again = runner.invoke(app, ["db", "upgrade", "--database-url", db_url])
    assert again.exit_code == 0, again.output
    assert _state(db_url) == (head_revision(), True)
