"""The dashboard's figures from the seed population, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.staff.names import StaffNames
from bot.web.dashboard import Dashboard, chart_questions, gather_crosstab, gather_dashboard
from bot.web.pages import make_environment
from bot.web.survey_choice import Survey
from storage.aggregates import question_stats
from storage.transactions import transaction
from tests.bot.reports.seed_population import RESPONDENTS, SEED_PERCENTAGES, SEED_TEXTS
from tests.bot.web.conftest import SeededSite
from tests.bot.web.seed_db import STAFF, UNFINISHED, channel_of

NOW = datetime(2022, 7, 1, tzinfo=UTC)


def test_the_dashboard_adds_up(site: SeededSite) -> None:
    flow = site.flow
    with transaction(site.engine, readonly=True) as session:
        dashboard = gather_dashboard(session=session, flow=flow, now=NOW)
        stats = question_stats(session=session, flow=flow)
        views = {
            (q, by): gather_crosstab(session=session, flow=flow, question_id=q, by_id=by)
            for q, by in [("methodology", "role"), ("role", "info_needs"), ("function", "contact")]
        }

    # Overview and channels
    telegram = sum(channel_of(n) == "telegram" for n in range(1, RESPONDENTS + 1))
    assert (dashboard.started, dashboard.completed) == (RESPONDENTS + UNFINISHED, RESPONDENTS)
    assert str(dashboard.completion_rate) == "98.75"
    by_channel = {c.channel: (c.started, c.completed) for c in dashboard.channels}
    assert by_channel == {
        "telegram": (telegram, telegram),
        "wechat": (RESPONDENTS - telegram + UNFINISHED, RESPONDENTS - telegram),
    }

    # The seed's tables, in the seed's order; personal details never appear
    sections = {s.question.id: s for s in dashboard.sections}
    for question_id, pcts in SEED_PERCENTAGES.items():
        assert [str(r.pct_of_selections) for r in sections[question_id].rows] == pcts
    assert not any(q.startswith("contact_") and q != "contact_consent" for q in sections)
    assert [(t.respondent_id, t.text) for t in sections["reporting_explain"].texts] == [
        (site.seed.ids[n], text) for n, text in SEED_TEXTS
    ]

    # Progress over three weeks of calendar days (China time)
    assert 20 <= len(dashboard.days) <= 23
    assert sum(d.started for d in dashboard.days) == RESPONDENTS + UNFINISHED
    assert dashboard.days[-1].completed_to_date == RESPONDENTS
    assert [(w.question_id, w.sessions, w.idle) for w in dashboard.waiting] == [
        (None, UNFINISHED, UNFINISHED)
    ]
    assert dashboard.started_recently == dashboard.completed_recently == 0

    # Contact requests, oldest first, with their details
    assert [(c.reference, c.status, c.claimed_by) for c in dashboard.contacts] == [
        ("C-000001", "claimed", STAFF),
        ("C-000002", "open", None),
    ]
    assert dashboard.contacts[0].details["contact_name"] == "王伟"

    # Cross-tabs agree with the question counters
    for (q, by), view in views.items():
        for row in view.rows:
            total = sum(view.count(row, c) for c in view.columns)
            option = next(o for o in stats[q].options if o.option_id == row)
            if by == "role":  # single choice, answered by everyone: a partition
                assert total == option.count
            else:  # multiple choice: a respondent may sit in several columns
                assert total >= option.count
        for column in view.columns:
            assert view.bases.get(column, 0) <= next(
                o.count for o in stats[by].options if o.option_id == column
            )
    methodology = views[("methodology", "role")]
    assert methodology.bases == {"oem": 4, "supplier": 312}
    assert str(methodology.pct("not_determined", "oem")) == "100.00"


def test_only_the_newest_texts_are_listed_with_their_total(site: SeededSite) -> None:
    with transaction(site.engine, readonly=True) as session:
        newest = gather_dashboard(session=session, flow=site.flow, now=NOW, text_limit=5)
        every = gather_dashboard(session=session, flow=site.flow, now=NOW)
    explain = {s.question.id: s for s in newest.sections}["reporting_explain"]
    assert [(t.respondent_id, t.text) for t in explain.texts] == [
        (site.seed.ids[n], text) for n, text in SEED_TEXTS[:5]
    ]
    assert explain.stats.text_total == len(SEED_TEXTS) == 20
    assert '共 20 条 <span class="shown">5 newest of 20</span>' in _html(site, newest)
    assert "newest of" not in _html(site, every)  # all 20 shown: nothing to say


def _html(site: SeededSite, dashboard: Dashboard) -> str:
    template = make_environment().get_template("dashboard.html")
    survey = Survey(site.flow, (site.flow.id,), (1,), explicit=False)
    return template.render(
        d=dashboard,
        member="staff",
        base="",
        choices=chart_questions(site.flow),
        survey=survey,
        filter_options=[],
        names=StaffNames((), {}),
        csrf="token",
    )
