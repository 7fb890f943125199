"""What staff see once signed in: seed tables, charts, cross-tabs, escaped answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.web.dashboard import chart_questions
from flows.events import ContactRequested
from flows.state import SessionState, Status
from storage.answers import apply_effects
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction
from tests.bot.reports.seed_population import SEED_PERCENTAGES, SEED_TEXTS
from tests.bot.web.conftest import SeededSite, empty_site
from tests.bot.web.seed_db import START, add_text_answer

PNG = b"\x89PNG\r\n\x1a\n"
XSS = "<script>alert(1)</script>"


@pytest.fixture
async def staff(sqlite_site: SeededSite) -> AsyncIterator[httpx.AsyncClient]:
    async with sqlite_site.client() as client:
        assert (await client.get(sqlite_site.login_path())).status_code == 200
        yield client


def section(html: str, question_id: str) -> str:
    start = html.index(f'data-question="{question_id}"')
    return html[start : html.index("</section>", start)]


async def test_every_seed_table_shows_the_seed_s_percentages(
    staff: httpx.AsyncClient, sqlite_site: SeededSite
) -> None:
    html = (await staff.get("/dashboard")).text
    for question_id, pcts in SEED_PERCENTAGES.items():
        block = section(html, question_id)
        assert re.findall(r'<td class="num pct">([\d.]+)%</td>', block) == pcts, question_id
        assert f'<img class="chart" src="/dashboard/chart/{question_id}.png"' in block
    role = section(html, "role")
    assert 'n = <span class="n">316</span>' in role
    assert "主机厂 (OEM)" in role and "供应商 (Supplier)" in role
    texts = section(html, "reporting_explain")
    numbers = [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', texts)]
    assert numbers == [sqlite_site.seed.ids[n] for n, _ in SEED_TEXTS]  # newest first
    assert '<div class="value" id="started">320</div>' in html
    assert '<div class="value" id="completed">316</div>' in html
    assert '<div class="value" id="completion-rate">98.75%</div>' in html


async def test_every_chart_is_a_png(staff: httpx.AsyncClient, sqlite_site: SeededSite) -> None:
    for question in chart_questions(sqlite_site.flow):
        response = await staff.get(f"/dashboard/chart/{question.id}.png")
        assert response.status_code == 200, question.id
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(PNG) and len(response.content) < 200_000
    progress = await staff.get("/dashboard/progress.png")
    assert progress.content.startswith(PNG)
    for unknown in ("nope", "contact_name", "reporting_explain"):
        assert (await staff.get(f"/dashboard/chart/{unknown}.png")).status_code == 404


async def test_the_crosstab_breaks_a_question_down(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/dashboard/crosstab", params={"q": "methodology", "by": "role"})
    assert response.status_code == 200
    html = response.text
    assert "n = 4" in html and "n = 312" in html
    # When the figures were read, in China time, as the dashboard says it.
    assert re.search(r"截至 As of \d{4}-\d{2}-\d{2} \d{2}:\d{2}", html)
    oem = re.search(r'<tr data-option="not_determined">.*?</tr>', html, re.S)
    assert oem is not None and '<td class="num" data-column="oem">4 ' in oem.group(0)
    iso = re.search(r'<tr data-option="iso14064">.*?</tr>', html, re.S)
    assert iso is not None and '62 <span class="pct">(19.87%)</span>' in iso.group(0)
    bad = await staff.get("/dashboard/crosstab", params={"q": "contact_name", "by": "role"})
    assert bad.status_code == 400


async def test_a_question_outside_the_count_shows_no_number(staff: httpx.AsyncClient) -> None:
    # The contact form's consent question has no number (flows.numbering): its text
    # alone, never its id where the number goes, in the index, its card and the filter.
    html = (await staff.get("/dashboard")).text
    assert "contact_consent." not in html
    consent = section(html, "contact_consent")
    assert "<h2>您是否同意 AIAG" in consent and 'class="number"' not in consent
    index = re.search(r'<li><a href="#q-contact_consent">(.*?)</a></li>', html)
    assert index is not None and index.group(1).startswith("您是否同意 AIAG")
    assert '<span class="number">1.</span> 您是OEM厂商还是供应商？' in html
    assert ">您是否同意 AIAG" in html.split('name="where"', 1)[1]  # the filter's options


async def test_unfinished_respondents_stop_at_the_survey_s_own_numbers(
    db_url: str, engine: Engine
) -> None:
    # The waiting list once numbered by flow position: "11." for 10a, "16." for consent.
    site = empty_site(db_url, engine)
    with transaction(engine) as session:
        for user, current in (("w1", "reporting_explain"), ("w2", "contact_consent")):
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=user, now=START
            )
            assert respondent.id is not None
            state = SessionState(
                site.flow.id, site.flow.version, status=Status.ACTIVE, current=current
            )
            save_session_row(session=session, respondent_id=respondent.id, state=state, now=START)
    async with site.client() as client:
        await client.get(site.login_path())
        html = (await client.get("/dashboard")).text
    start = html.index('id="waiting"')
    labels = re.findall(r"<tr><td>([^<]*)</td>", html[start : html.index("</table>", start)])
    assert sorted(label.split(" ", 1)[0] for label in labels) == ["10a.", "您是否同意"]


async def test_the_stylesheet_is_served_locally(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/dashboard/static/dashboard.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]


async def test_answers_are_escaped_never_markup(db_url: str, engine: Engine) -> None:
    site = empty_site(db_url, engine)
    add_text_answer(engine, site.flow, "attacker", XSS)
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="attacker-2", now=START
        )
        assert respondent.id is not None
        state = SessionState(site.flow.id, site.flow.version, status=Status.ACTIVE)
        row = save_session_row(session=session, respondent_id=respondent.id, state=state, now=START)
        details = {"contact_name": '<img src=x onerror="alert(2)">', "contact_company": XSS}
        effects = [ContactRequested("contact_me", details)]
        apply_effects(
            session=session, respondent=respondent, survey_session=row, effects=effects, now=START
        )
    async with site.client() as client:
        await client.get(site.login_path())
        html = (await client.get("/dashboard")).text
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
