"""Fixtures for the staff web pages: the seed population behind the real app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.settings import Settings, StaffMember, load_settings
from bot.staff.signing import Signer
from bot.staff.web_links import dashboard_login_url
from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import AuditLog
from storage.transactions import transaction
from tests.bot.web.seed_db import STAFF, SeedDatabase, write_seed

SECRET = "test-secret-key-for-the-dashboard"
PUBLIC_URL = "http://testserver"


def staff_settings(database_url: str, *, staff: str = STAFF, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "staff_raw": staff,
        "secret_key": SECRET,
        "public_url": PUBLIC_URL,
    }
    return load_settings(**{**values, **extra})


@dataclass
class SeededSite:
    url: str
    engine: Engine
    flow: Flow
    seed: SeedDatabase
    signer: Signer
    member: StaffMember

    def login_path(self, member: StaffMember | None = None) -> str:
        """The path (and token) of a fresh login link, as the bot would send it."""
        url = dashboard_login_url(staff_settings(self.url), self.signer, member or self.member)
        return url.removeprefix(PUBLIC_URL)

    def audit_rows(self) -> list[AuditLog]:
        with transaction(self.engine) as session:
            return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))).all())

    @contextlib.asynccontextmanager
    async def client(self, *, staff: str = STAFF) -> AsyncIterator[httpx.AsyncClient]:
        """The real app (`create_app`) over ASGI, as a browser without JavaScript."""
        settings = staff_settings(self.url, staff=staff)
        runtime = build_runtime(settings, migrate=False)
        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                yield client
        finally:
            runtime.engine.dispose()


def empty_site(url: str, engine: Engine) -> SeededSite:
    """The site on a database without respondents (add your own)."""
    member = staff_settings(url).staff[0]
    return SeededSite(url, engine, load_flow(DEFAULT_FLOW), SeedDatabase(), Signer(SECRET), member)


def _site(url: str, engine: Engine) -> SeededSite:
    site = empty_site(url, engine)
    site.seed = write_seed(engine, site.flow)
    return site


@pytest.fixture(scope="session")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededSite]:
    """One seeded SQLite file shared by the read-mostly tests (they add only audit rows)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'seed.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield _site(url, engine)
    engine.dispose()


@pytest.fixture
def site(db_url: str, engine: Engine) -> SeededSite:
    """A freshly seeded database per test, on SQLite and on PostgreSQL."""
    return _site(db_url, engine)


@pytest.fixture
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots: tests/artifacts/ (it ignores itself in git), else a temp dir."""
    target = Path(__file__).resolve().parents[2] / "artifacts"
    try:
        target.mkdir(exist_ok=True)
        (target / ".gitignore").write_text("# screenshots from the browser tests\n*\n")
        return target
    except OSError:
        return tmp_path_factory.mktemp("artifacts")
