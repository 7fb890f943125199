"""Fixtures for the multi-process tests: a fresh PostgreSQL schema, the real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine, normalize_url
from tests.scale.server import ServerProcess

PG_URL = os.environ.get(
    "SURVEYBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

StartServer = Callable[..., ServerProcess]


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the shared PostgreSQL (dropped afterwards)."""
    schema = f"scale_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {error.orig}"
        if os.environ.get("SURVEYBOT_REQUIRE_PG"):
            pytest.fail(reason + " (SURVEYBOT_REQUIRE_PG is set)")
        pytest.skip(reason)
    url = normalize_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        finally:
            admin.dispose()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """start_server(url, workers=N) → a healthy server; all are stopped at the end."""
    started: list[ServerProcess] = []

    def start(
        database_url: str,
        *,
        workers: int,
        command: tuple[str, ...] = ("serve",),
        env: dict[str, str] | None = None,
    ) -> ServerProcess:
        log = tmp_path / f"server-{len(started)}.log"
        server = ServerProcess(
            database_url, workers=workers, log_path=log, command=command, env=env
        )
        started.append(server)
        server.wait_healthy()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def db_engine() -> Iterator[Callable[[str], Engine]]:
    engines: list[Engine] = []

    def make(url: str) -> Engine:
        engines.append(make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
