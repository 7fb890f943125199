"""Staff pages and exports may outlast the 4 s statement timeout of a chat reply.

At a million respondents one cross-tab statement takes 2-3 s (docs/benchmarks.md). The
request timeout is cut to 100 ms here and every page's read made 0.3 s slower: the
pages must still answer, through the real app, because they read with `long_read`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import bot.web.exports
import bot.web.page_routes
import storage.db
import storage.transactions
from bot.staff.web_links import ExportFormat
from tests.bot.web.conftest import SeededSite
from tests.bot.web.test_exports import download, export_path

pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


def _slowed(real: Callable[..., Any]) -> Callable[..., Any]:
    def slow(*args: Any, session: Any, **kwargs: Any) -> Any:
        session.exec(text("SELECT pg_sleep(0.3)"))
        return real(*args, session=session, **kwargs)

    return slow


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "PG_STATEMENT_TIMEOUT_MS", 100)
    for module, name in (
        (bot.web.page_routes, "gather_dashboard"),
        (bot.web.page_routes, "gather_crosstab"),
        (bot.web.exports, "export_rows"),
    ):
        monkeypatch.setattr(module, name, _slowed(getattr(module, name)))


async def test_slow_staff_pages_and_exports_still_answer(
    site: SeededSite, slow_reads: None
) -> None:
    async with site.client() as client:
        assert (await client.get(site.login_path())).status_code == 200
        dashboard = await client.get("/dashboard")
        crosstab = await client.get(
            "/dashboard/crosstab", params={"q": "methodology", "by": "role"}
        )
        export = await download(client, export_path(site, ExportFormat.CSV))
    assert dashboard.status_code == 200 and "methodology" in dashboard.text
    assert crosstab.status_code == 200 and "n = 312" in crosstab.text
    assert export.status_code == 200
    assert len(export.text.strip().splitlines()) == 1 + site.seed.started


async def test_a_chat_reply_s_read_keeps_the_short_timeout(
    site: SeededSite, slow_reads: None
) -> None:
    """The yardstick: the same slowed read outside `long_read` is cut off."""
    engine = storage.db.make_engine(site.url)
    try:
        with (
            pytest.raises(OperationalError, match="statement timeout"),
            storage.transactions.transaction(engine, readonly=True) as session,
        ):
            bot.web.page_routes.gather_crosstab(
                session=session, flow=site.flow, question_id="methodology", by_id="role"
            )
    finally:
        engine.dispose()
