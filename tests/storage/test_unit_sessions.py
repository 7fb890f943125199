"""The counting rule (storage.unit_sessions), on SQLite and PostgreSQL: a survey counting
per organisation or plant counts each unit once, through one counted session, in every
report: per-question figures, cross-tab, progress, per-channel counts, exports, and the
figures a respondent is shown."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.reports.export import COUNTED, export_rows
from bot.reports.xlsx_summary import COUNTING_NOTES, read_summary
from flows.definition import load_flow
from flows.events import AnswerRecorded, OrganisationGiven
from flows.model import CountingUnit, Flow
from flows.surveys import DEFAULT_FLOW
from storage.aggregates import question_stats
from storage.crosstab import crosstab
from storage.filters import AnswerIs, ReportFilter
from storage.live_counts import live_counts, live_segment_stats
from storage.models import Respondent, SurveySession
from storage.organisation_models import OrganisationLink
from storage.organisation_queries import unit_count
from storage.organisations import merge
from storage.progress import survey_progress
from storage.transactions import transaction
from storage.web_queries import progress_by_channel
from tests.storage.sample import NOW, apply, at, new_respondent, small_flow

PER_RESPONDENT = small_flow()
PER_ORGANISATION = replace(PER_RESPONDENT, counting=CountingUnit.ORGANISATION)
PER_PLANT = replace(PER_RESPONDENT, counting=CountingUnit.PLANT)


def answer(
    engine: Engine,
    user: str,
    role: str,
    *,
    organisation: str | None = None,
    plant: str | None = "上海",
    started: float = 0,
    completed: float | None = None,
    channel: str = "telegram",
) -> int:
    """A respondent who answered role and policy (yes for OEMs, no for suppliers), for
    `organisation` (None: skipped the step), started and completed `at` these minutes."""
    _, session_id = new_respondent(engine, user, channel=channel)
    effects: list[object] = [
        AnswerRecorded("role", (role,)),
        AnswerRecorded("policy", ("yes" if role == "oem" else "no",)),
    ]
    if organisation is not None:
        effects.insert(0, OrganisationGiven(organisation, None, plant))
    apply(engine, session_id, *effects)  # type: ignore[arg-type]
    with transaction(engine) as session:
        row = session.get(SurveySession, session_id)
        assert row is not None
        row.started_at = at(started)
        row.completed_at = at(completed) if completed is not None else None
        session.add(row)
    return session_id


def roles(engine: Engine, flow: Flow, report_filter: ReportFilter | None = None) -> dict[str, int]:
    with transaction(engine) as session:
        kept = report_filter or ReportFilter()
        stats = question_stats(session=session, flow=flow, report_filter=kept)
    role = stats["role"]
    return {"n": role.respondents, **{o.option_id: o.count for o in role.options}}


def take_over(engine: Engine, session_id: int, when: datetime) -> None:
    with transaction(engine) as session:
        row = session.get(SurveySession, session_id)
        assert row is not None
        session.exec(
            update(OrganisationLink)  # type: ignore[arg-type]
            .where(OrganisationLink.respondent_id == row.respondent_id)  # type: ignore[arg-type]
            .values(took_over_at=when)
        )


def colleagues(engine: Engine) -> tuple[int, int, int]:
    """甲公司's first (OEM, completed second) and second (supplier, completed first: the
    earliest completed), and one respondent without an organisation (supplier)."""
    first = answer(engine, "a", "oem", organisation="甲公司", started=0, completed=30)
    second = answer(engine, "b", "supplier", organisation="甲公司", started=5, completed=10)
    alone = answer(engine, "c", "supplier", started=1, completed=20)
    return first, second, alone


def test_two_colleagues_count_once_through_the_earliest_completed(engine: Engine) -> None:
    colleagues(engine)
    assert roles(engine, PER_ORGANISATION) == {"n": 2, "oem": 0, "supplier": 2}
    # Per respondent (AIAG as shipped): unchanged, every session counts (the counters).
    assert roles(engine, PER_RESPONDENT) == {"n": 3, "oem": 1, "supplier": 2}


def test_an_unfinished_colleague_does_not_replace_a_completed_one(engine: Engine) -> None:
    answer(engine, "a", "oem", organisation="甲公司", started=10, completed=40)
    answer(engine, "b", "supplier", organisation="甲公司", started=0)  # earliest, unfinished
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 1, "supplier": 0}
    with transaction(engine) as session:
        units = unit_count(session=session, flow_id="mini", unit=CountingUnit.ORGANISATION)
    assert (units.started, units.completed) == (1, 1)


def test_figures_follow_a_colleague_who_took_over(engine: Engine) -> None:
    first, second, _ = colleagues(engine)
    take_over(engine, first, at(60))
    assert roles(engine, PER_ORGANISATION) == {"n": 2, "oem": 1, "supplier": 1}
    take_over(engine, second, at(90))  # the latest take-over wins
    assert roles(engine, PER_ORGANISATION) == {"n": 2, "oem": 0, "supplier": 2}


def test_merged_organisations_count_as_one(engine: Engine) -> None:
    answer(engine, "a", "oem", organisation="甲公司", completed=10)
    answer(engine, "b", "supplier", organisation="乙公司", completed=20)
    assert roles(engine, PER_ORGANISATION) == {"n": 2, "oem": 1, "supplier": 1}
    with transaction(engine) as session:
        links = session.exec(select(OrganisationLink).order_by(OrganisationLink.id)).all()  # type: ignore[arg-type]
        keep, other = links[0].organisation_id, links[1].organisation_id
        merge(session=session, keep_id=keep, other_id=other, now=NOW)
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 1, "supplier": 0}


def test_per_plant_counts_each_plant_of_an_organisation_once(engine: Engine) -> None:
    answer(engine, "a", "oem", organisation="甲公司", plant="上海", completed=10)
    answer(engine, "b", "supplier", organisation="甲公司", plant="上海市", completed=20)
    answer(engine, "c", "supplier", organisation="甲公司", plant="苏州", completed=30)
    answer(engine, "d", "supplier", completed=40)  # no organisation: counts on its own
    assert roles(engine, PER_PLANT) == {"n": 3, "oem": 1, "supplier": 2}
    assert roles(engine, PER_ORGANISATION) == {"n": 2, "oem": 1, "supplier": 1}


def test_test_respondents_are_neither_counted_nor_chosen(engine: Engine) -> None:
    tester = answer(engine, "t", "supplier", organisation="甲公司", completed=5)
    answer(engine, "a", "oem", organisation="甲公司", completed=10)
    with transaction(engine) as session:
        row = session.get(SurveySession, tester)
        assert row is not None
        session.exec(
            update(Respondent).where(Respondent.id == row.respondent_id).values(is_test=True)  # type: ignore[arg-type]
        )
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 1, "supplier": 0}


def test_a_filter_keeps_some_of_the_counted_sessions(engine: Engine) -> None:
    colleagues(engine)  # 甲公司 counts through its supplier; its OEM is not counted
    oem = ReportFilter(answers=(AnswerIs("role", "oem"),))
    assert roles(engine, PER_ORGANISATION, oem) == {"n": 0, "oem": 0, "supplier": 0}
    telegram = ReportFilter(channel="telegram")
    assert roles(engine, PER_ORGANISATION, telegram) == {"n": 2, "oem": 0, "supplier": 2}


def test_crosstab_progress_channels_and_export_agree_with_the_figures(engine: Engine) -> None:
    first, second, alone = colleagues(engine)
    answer(engine, "d", "oem", organisation="乙公司", started=2, channel="wechat")  # unfinished
    unit = ReportFilter(counting=CountingUnit.ORGANISATION)
    with transaction(engine) as session:
        table = crosstab(
            session=session,
            flow_id="mini",
            row_question="policy",
            col_question="role",
            report_filter=unit,
        )
        progress = survey_progress(
            session=session, flow_id="mini", since=NOW, idle_before=NOW, report_filter=unit
        )
        channels = progress_by_channel(session=session, flow_id="mini", report_filter=unit)
        header, rows = export_rows(session=session, flow=PER_ORGANISATION)
        exported = [dict(zip(header, row, strict=True)) for row in rows]
        summary = read_summary(session=session, flow=PER_ORGANISATION, now=NOW)
    assert roles(engine, PER_ORGANISATION) == {"n": 3, "oem": 1, "supplier": 2}
    assert table.cells == {("no", "supplier"): 2, ("yes", "oem"): 1}
    assert table.respondents == 3
    assert (progress.started, progress.completed) == (3, 2)
    assert {(c.channel, c.started, c.completed) for c in channels} == {
        ("telegram", 2, 2),
        ("wechat", 1, 0),
    }
    # Every session is exported; `counted` marks those the figures count.
    assert len(exported) == 4
    counted = [r for r in exported if r[COUNTED] == "1"]
    assert sorted(r["role"] for r in counted) == ["oem", "supplier", "supplier"]
    with transaction(engine) as session:
        ids = {s.id: str(s.respondent_id) for s in session.exec(select(SurveySession)).all()}
    not_counted = {r["respondent_id"] for r in exported if r[COUNTED] == "0"}
    assert not_counted == {ids[first]}
    assert {ids[second], ids[alone]} <= {r["respondent_id"] for r in counted}
    assert [COUNTING_NOTES[CountingUnit.ORGANISATION]] in summary
    role_rows = summary[summary.index(["角色 Role"]) + 2 :][:2]
    assert [(label, count) for label, count, _ in role_rows] == [
        ("主机厂 (OEM)", 1),
        ("供应商 (Supplier)", 2),
    ]


def test_a_per_respondent_export_has_no_counted_column(engine: Engine) -> None:
    colleagues(engine)
    with transaction(engine) as session:
        header, rows = export_rows(session=session, flow=PER_RESPONDENT)
        assert len(list(rows)) == 3
    assert COUNTED not in header


def test_a_respondent_sees_their_own_answer_count_for_their_unit(engine: Engine) -> None:
    first, second, _ = colleagues(engine)  # 甲公司 counts through `second` (supplier)
    with transaction(engine) as session:
        staff = live_counts(session=session, flow=PER_ORGANISATION, viewer=None)
        seen_by_first = live_counts(
            session=session, flow=PER_ORGANISATION, viewer=first, question_id="role"
        )
        seen_by_second = live_counts(session=session, flow=PER_ORGANISATION, viewer=second)
    assert (staff.get(("role", "oem"), 0), staff[("role", "supplier")]) == (0, 2)
    assert seen_by_second == staff
    assert seen_by_first == {("role", ""): 2, ("role", "oem"): 1, ("role", "supplier"): 1}


def test_peer_segment_figures_count_each_unit_once_too(engine: Engine) -> None:
    """AIAG's segment (suppliers by commodity) per organisation: the segment counters less
    the colleagues set aside, equal to counting the counted sessions' rows."""
    aiag = load_flow(DEFAULT_FLOW)
    unit = replace(aiag, counting=CountingUnit.ORGANISATION, _index={})
    people = [("a", "甲公司", ("interior",)), ("b", "甲公司", ("interior", "chassis")),
              ("c", None, ("interior",)), ("d", "乙公司", ("chassis",))]  # fmt: skip
    ids = []
    for user, organisation, commodity in people:
        _, session_id = new_respondent(engine, user, flow=aiag)
        effects: list[object] = [
            AnswerRecorded("role", ("supplier",)),
            AnswerRecorded("commodity", commodity),
        ]
        if organisation is not None:
            effects.append(OrganisationGiven(organisation, None, "上海"))
        apply(engine, session_id, *effects)  # type: ignore[arg-type]
        ids.append(session_id)
    declared = aiag.segments[0]
    with transaction(engine) as session:
        staff = live_segment_stats(
            session=session, flow=unit, declared=declared, option_id="interior", viewer=None
        )
        as_b = live_segment_stats(
            session=session, flow=unit, declared=declared, option_id="interior", viewer=ids[1]
        )
        rows = question_stats(
            session=session,
            flow=unit,
            report_filter=ReportFilter(
                answers=(AnswerIs("role", "supplier"), AnswerIs("commodity", "interior"))
            ),
        )
    # 甲公司 counts through a (started first); c on its own: 2 interior suppliers.
    assert staff.respondents == 2 == rows["commodity"].respondents
    commodity = {o.option_id: o.count for o in staff.questions["commodity"].options}
    assert commodity == {o.option_id: o.count for o in rows["commodity"].options}
    assert (commodity["interior"], commodity["chassis"]) == (2, 0)
    seen = {o.option_id: o.count for o in as_b.questions["commodity"].options}
    assert (as_b.respondents, seen["interior"], seen["chassis"]) == (2, 2, 1)
