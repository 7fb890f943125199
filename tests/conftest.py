"""Shared fixtures. `engine` runs a test on SQLite and on PostgreSQL (the storage contract).

PostgreSQL comes from SURVEYBOT_TEST_PG_URL; each test gets a fresh schema, dropped
afterwards. When PostgreSQL is unreachable those tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, normalize_url
from storage.migrate import upgrade

PG_URL = os.environ.get(
    "SURVEYBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url(schema: str) -> str:
    url = normalize_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except OperationalError as error:
        admin.dispose()
        where = make_url(PG_URL).render_as_string(hide_password=True)
        reason = f"PostgreSQL not reachable at {where}: {error.orig}"
        if os.environ.get("SURVEYBOT_REQUIRE_PG"):
            pytest.fail(reason + " (SURVEYBOT_REQUIRE_PG is set: CI must test PostgreSQL)")
        pytest.skip(reason)
    try:
        yield _postgres_schema_url(schema)
    finally:
        try:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        finally:
            admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the latest schema."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
