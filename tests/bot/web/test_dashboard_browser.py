"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against the
real app under uvicorn (`--factory bot.app.asgi:app_from_env`) on the seed population.

The page's figures are checked against the database, every chart image must have
loaded, and screenshots are saved (their directory is printed: run with -s to see it).
Skipped when /usr/bin/chromium is missing (CI installs it: .ci/run).
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import col, select

from bot.staff.signing import Signer
from bot.web.dashboard import chart_questions
from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import QuestionStats, question_stats
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import AuditLog
from storage.transactions import transaction
from tests.bot.reports.seed_population import SEED_TEXTS
from tests.bot.web.conftest import SECRET
from tests.bot.web.seed_db import STAFF, SeedDatabase, write_seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (Debian package chromium)"
)


@dataclass
class Server:
    base_url: str
    database_url: str
    flow: Flow
    seed: SeedDatabase

    def login_link(self, token: str | None = None) -> str:
        token = token or Signer(SECRET).sign("dashboard", STAFF)
        return f"{self.base_url}/dashboard/login?token={token}"

    def stats(self) -> dict[str, QuestionStats]:
        engine = make_engine(self.database_url)
        try:
            with transaction(engine, readonly=True) as session:
                return question_stats(session=session, flow=self.flow)
        finally:
            engine.dispose()

    def audit_actions(self) -> list[str]:
        engine = make_engine(self.database_url)
        try:
            with transaction(engine, readonly=True) as session:
                return list(session.exec(select(AuditLog.action).order_by(col(AuditLog.id))))
        finally:
            engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{work / 'seed.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    flow = load_flow(DEFAULT_FLOW)
    try:
        seed = write_seed(engine, flow)
    finally:
        engine.dispose()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEYBOT_", "WECHAT_"))}
    env.update(
        SURVEYBOT_DATABASE_URL=database_url,
        SURVEYBOT_STAFF=STAFF,
        SURVEYBOT_SECRET_KEY=SECRET,
        SURVEYBOT_PUBLIC_URL=base_url,
        PYTHONPATH=str(REPO),
    )
    env.pop("TELEGRAM_BOT_TOKEN", None)
    log = (work / "uvicorn.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "--factory", "bot.app.asgi:app_from_env"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=work,  # no stray .env file
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(base_url, process, work / "uvicorn.log")
        yield Server(base_url, database_url, flow, seed)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"uvicorn did not answer within 60 s:\n{log.read_text()}")


def test_the_dashboard_in_a_real_browser(server: Server, artifacts_dir: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _browse(browser, server, artifacts_dir)
        finally:
            browser.close()
    print(f"\nscreenshots: {artifacts_dir}")


def _browse(browser: Browser, server: Server, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []  # console errors (CSP violations among them), HTTP errors
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    # A forged link shows the 403 page and no figures.
    page.goto(server.login_link("forged"))
    assert "403" in page.title() and "98.73%" not in page.content()
    problems.clear()

    # The login link clicked on another site (as in a web chat): the SameSite=Strict
    # cookie must still reach /dashboard.
    page.set_content(f'<a id="login" href="{server.login_link()}">dashboard</a>')
    page.click("#login")
    page.wait_for_url(f"{server.base_url}/dashboard")
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifacts / "dashboard-top.png"))

    # The OEM/Supplier table as in the seed, and every table against the database.
    role = page.locator("#q-role")
    assert role.locator('tr[data-option="oem"] td.pct').inner_text() == "1.27%"
    assert role.locator('tr[data-option="supplier"] td.pct').inner_text() == "98.73%"
    assert role.locator(".n").inner_text() == "316"
    for question_id, stats in server.stats().items():
        section = page.locator(f'section[data-question="{question_id}"]')
        if not section.count() or not stats.options:
            continue
        assert section.locator(".n").inner_text() == str(stats.respondents)
        for option in stats.options:
            row = section.locator(f'tr[data-option="{option.option_id}"]')
            assert row.locator("td.count").inner_text() == str(option.count)
            assert row.locator("td.pct").inner_text() == f"{option.pct_of_selections}%"
            assert row.locator("td.pct-respondents").inner_text() == (
                f"{option.pct_of_respondents}%"
            )
    assert page.locator("#started").inner_text() == str(server.seed.started)
    assert page.locator("#completed").inner_text() == "316"
    first_text = page.locator("#q-reporting_explain td.text").first.inner_text()
    assert first_text == SEED_TEXTS[0][1]

    # Every chart image loaded (drawn server-side, served by the app).
    images = page.eval_on_selector_all(
        "img.chart", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    answered = [q for q in chart_questions(server.flow) if server.stats()[q.id].respondents]
    assert len(images) == len(answered) + 1  # + progress over time; no empty charts
    for src, complete, width in images:
        assert complete and width > 0, src
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.locator("#q-methodology").screenshot(path=str(artifacts / "question-methodology.png"))

    # Cross-tab from the dashboard's form.
    form = page.locator("#crosstab form")
    form.locator('select[name="q"]').select_option("methodology")
    form.locator('select[name="by"]').select_option("role")
    form.locator("button").click()
    page.wait_for_url("**/dashboard/crosstab?q=methodology&by=role")
    cell = page.locator('tr[data-option="iso14064"] td[data-column="supplier"]')
    assert cell.inner_text() == "62 (19.87%)"
    page.screenshot(path=str(artifacts / "crosstab.png"), full_page=True)

    # CSV download with the session cookie.
    with page.expect_download() as download:
        page.click('header nav a[href="/export/csv"]')
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + server.seed.started

    assert problems == []
    page.click("text=退出 Sign out")
    page.goto(f"{server.base_url}/dashboard")
    assert "403" in page.title()
    context.close()
    actions = server.audit_actions()
    assert actions.count("dashboard_login") == 1 and actions.count("export") == 1


# The elements wider than the window (what to fix when a page scrolls sideways).
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.closest('.scroll'))
  .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
    + Math.round(e.getBoundingClientRect().right))"""
PAGES = {
    "dashboard": "/dashboard",
    "dashboard-oem": "/dashboard?where=role%3Aoem",
    "crosstab": "/dashboard/crosstab?q=methodology&by=commodity",
}


def test_every_page_fits_a_phone_and_a_desktop(server: Server, artifacts_dir: Path) -> None:
    """No horizontal page scroll at 390 px (tables scroll inside their card) nor at
    1,400 px; screenshots of every page at both widths; the filter form and the contact
    buttons work in the browser."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (390, 1400):
                context = browser.new_context(viewport={"width": width, "height": 844})
                page = context.new_page()
                page.goto(server.login_link())
                page.wait_for_url(f"{server.base_url}/dashboard")
                for name, path in PAGES.items():
                    page.goto(server.base_url + path)
                    page.wait_for_load_state("load")
                    page.screenshot(path=str(artifacts_dir / f"{name}-{width}.png"), full_page=True)
                    overflow = page.evaluate(
                        "() => document.documentElement.scrollWidth - window.innerWidth"
                    )
                    assert overflow <= 0, (name, width, overflow, page.evaluate(WIDE))
                if width == 390:
                    _filter_and_claim(page, server, artifacts_dir)
                context.close()
        finally:
            browser.close()
    print(f"\nscreenshots: {artifacts_dir}")


def _denied(server: Server) -> list[str]:
    engine = make_engine(server.database_url)
    try:
        with transaction(engine, readonly=True) as session:
            rows = session.exec(select(AuditLog).where(AuditLog.action == "staff_web_denied"))
            return [r.detail for r in rows]
    finally:
        engine.dispose()


def _filter_and_claim(page: Page, server: Server, artifacts: Path) -> None:
    page.goto(f"{server.base_url}/dashboard")
    everyone = int(page.locator("#started").inner_text())
    form = page.locator("form.filter-form")
    form.locator('select[name="where"]').select_option("role:oem")
    form.locator("button").click()
    page.wait_for_url("**/dashboard?where=role%3Aoem*")
    assert 0 < int(page.locator("#started").inner_text()) < everyone
    assert "当前筛选 Filtered" in page.locator("#active-filter").inner_text()
    reference = server.seed.references[1]
    row = page.locator(f'tr[data-reference="{reference}"]')
    row.locator('button[value="claim"]').click()
    page.wait_for_load_state("load")
    assert "403" not in page.title(), _denied(server)
    row = page.locator(f'tr[data-reference="{reference}"]')
    assert "已认领 claimed" in row.locator("td.status").inner_text()
    assert row.locator('button[value="unclaim"]').count() == 1
    assert "where=role%3Aoem" in page.url  # the filter survives the button
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "contacts-claimed-390.png"))
