"""Organisations across chat accounts: by code, by name key + plant, likenesses for staff.

Run on SQLite and PostgreSQL through the effects the dispatcher applies.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from flows.events import DataDeleted, OrganisationGiven
from flows.model import CountingUnit
from storage.models import SurveySession
from storage.organisation_models import MatchStatus, Organisation, OrganisationLink
from storage.organisation_queries import organisations, pending_matches, unit_count
from storage.organisations import OrganisationError, decide_match, merge, split
from storage.transactions import transaction
from tests.storage.sample import NOW, apply, new_respondent

CODE = "91350100M000100Y43"
LONG = "上海某某汽车零部件有限公司"


def org_of(engine: Engine, respondent_id: int) -> int | None:
    with transaction(engine) as session:
        link = session.exec(
            select(OrganisationLink).where(OrganisationLink.respondent_id == respondent_id)
        ).first()
        return link.organisation_id if link else None


def complete(engine: Engine, survey_session_id: int) -> None:
    with transaction(engine) as session:
        row = session.get(SurveySession, survey_session_id)
        assert row is not None
        row.completed_at = NOW
        session.add(row)


def given(engine: Engine, user: str, name: str, code: str | None = None, plant: str = "上海",
          channel: str = "telegram") -> int:  # fmt: skip
    respondent, survey_session = new_respondent(engine, user, channel=channel)
    apply(engine, survey_session, OrganisationGiven(name, code, plant))
    return respondent


def test_the_same_code_is_one_organisation_whatever_the_name(engine: Engine) -> None:
    first = given(engine, "wx1", LONG, CODE, channel="wechat")
    second = given(engine, "tg1", "某某汽配（上海）", CODE)
    assert org_of(engine, first) == org_of(engine, second) is not None


def test_the_same_name_key_is_one_organisation_and_adopts_a_later_code(engine: Engine) -> None:
    first = given(engine, "wx1", LONG, channel="wechat")
    second = given(engine, "tg1", "上海某某汽车零部件股份有限公司", CODE)
    assert org_of(engine, first) == org_of(engine, second)
    with transaction(engine) as session:
        assert [o.code for o in session.exec(select(Organisation)).all()] == [CODE]


def test_another_code_under_the_same_name_is_another_organisation(engine: Engine) -> None:
    first = given(engine, "u1", LONG, CODE)
    second = given(engine, "u2", LONG, "91110000600037341L")
    assert org_of(engine, first) != org_of(engine, second)


def test_a_likeness_is_not_merged_until_staff_confirm(engine: Engine) -> None:
    first = given(engine, "u1", LONG)
    second = given(engine, "u2", "上海某某汽配")
    assert org_of(engine, first) != org_of(engine, second)
    with transaction(engine) as session:
        [match] = pending_matches(session=session)
        assert (match.organisation, match.candidate) == ("上海某某汽配", LONG)
        decide_match(session=session, match_id=match.id, same=True, now=NOW)
    assert org_of(engine, first) == org_of(engine, second)
    with transaction(engine) as session:
        assert pending_matches(session=session) == []


def test_a_rejected_likeness_stays_two_organisations(engine: Engine) -> None:
    first = given(engine, "u1", LONG)
    second = given(engine, "u2", "上海某某汽配")
    with transaction(engine) as session:
        [match] = pending_matches(session=session)
        assert decide_match(session=session, match_id=match.id, same=False, now=NOW).status == (
            MatchStatus.REJECTED
        )
        with pytest.raises(OrganisationError):  # decided once
            decide_match(session=session, match_id=match.id, same=True, now=NOW)
    assert org_of(engine, first) != org_of(engine, second)


def test_merge_and_split_move_links(engine: Engine) -> None:
    first = given(engine, "u1", "甲公司")
    second = given(engine, "u2", "乙公司")
    keep, other = org_of(engine, first), org_of(engine, second)
    assert keep is not None and other is not None
    with transaction(engine) as session:
        assert merge(session=session, keep_id=keep, other_id=other, now=NOW) == 1
        with pytest.raises(OrganisationError, match="merged_already"):
            merge(session=session, keep_id=keep, other_id=other, now=NOW)
    assert org_of(engine, second) == keep
    with transaction(engine) as session:
        [row] = organisations(session=session, flow_id="mini")
        link = next(link for link in row.links if link.respondent_id == second)
        old, new = split(session=session, link_id=link.link_id, now=NOW)
    assert (old, org_of(engine, second)) == (keep, new)


def test_counting_units(engine: Engine) -> None:
    for user, name, plant in [("a", "甲公司", "上海"), ("b", "甲有限公司", "上海市"),
                              ("c", "甲公司", "苏州"), ("d", "乙公司", "上海")]:  # fmt: skip
        _, survey_session = new_respondent(engine, user)
        apply(engine, survey_session, OrganisationGiven(name, None, plant))
        complete(engine, survey_session)
    _, alone = new_respondent(engine, "e")  # skipped the optional step: counts on its own
    complete(engine, alone)
    new_respondent(engine, "f")  # started, not completed
    with transaction(engine) as session:
        counts = {u: unit_count(session=session, flow_id="mini", unit=u) for u in CountingUnit}
    assert counts[CountingUnit.RESPONDENT].started == 6
    assert counts[CountingUnit.RESPONDENT].completed == 5
    assert counts[CountingUnit.PLANT].completed == 4  # 甲 上海 (twice), 甲 苏州, 乙, e
    assert counts[CountingUnit.ORGANISATION].completed == 3  # 甲, 乙, e


def test_delete_my_data_removes_the_link_and_keeps_the_organisation(engine: Engine) -> None:
    respondent, survey_session = new_respondent(engine, "u1")
    apply(engine, survey_session, OrganisationGiven(LONG, CODE, "上海"))
    colleague = given(engine, "u2", LONG)
    apply(engine, survey_session, DataDeleted())
    assert org_of(engine, respondent) is None
    assert org_of(engine, colleague) is not None
    with transaction(engine) as session:
        assert [o.name for o in session.exec(select(Organisation)).all()] == [LONG]


def test_withdrawing_the_step_drops_the_link(engine: Engine) -> None:
    respondent, survey_session = new_respondent(engine, "u1")
    apply(engine, survey_session, OrganisationGiven(LONG, None, None))
    apply(engine, survey_session, OrganisationGiven(None))
    assert org_of(engine, respondent) is None
