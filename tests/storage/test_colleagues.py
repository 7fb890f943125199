"""Whose answers a colleague is told count (storage.colleagues.unit_of) is the session
every report counts (storage.unit_sessions): one rule, read from one place. On SQLite and
PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from flows.model import CountingUnit
from storage.colleagues import Unit, unit_of
from storage.models import SurveySession
from storage.transactions import transaction
from tests.storage.sample import at
from tests.storage.test_unit_sessions import PER_ORGANISATION, answer, roles, take_over


def unit(engine: Engine, session_id: int) -> Unit:
    with transaction(engine) as session:
        row = session.get(SurveySession, session_id)
        assert row is not None
        found = unit_of(
            session=session,
            respondent_id=row.respondent_id,
            flow_id="mini",
            counting=CountingUnit.ORGANISATION,
        )
    assert found is not None
    return found


def counted_session(engine: Engine, session_id: int) -> int:
    chosen = unit(engine, session_id).counted()
    assert chosen is not None
    return chosen.session_id


def test_the_colleague_notice_names_the_session_the_reports_count(engine: Engine) -> None:
    oem = answer(engine, "a", "oem", organisation="甲公司", started=0, completed=30)
    supplier = answer(engine, "b", "supplier", organisation="甲公司", started=5, completed=10)
    # The earliest completed counts: the supplier, in the figures and for both colleagues.
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 0, "supplier": 1}
    assert counted_session(engine, oem) == counted_session(engine, supplier) == supplier
    assert sum(m.counted for m in unit(engine, oem).members) == 1
    take_over(engine, oem, at(60))
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 1, "supplier": 0}
    assert counted_session(engine, oem) == counted_session(engine, supplier) == oem
    assert unit(engine, oem).counts_theirs() and not unit(engine, supplier).counts_theirs()


def test_when_nobody_completed_the_first_started_counts(engine: Engine) -> None:
    late = answer(engine, "a", "oem", organisation="甲公司", started=9)
    early = answer(engine, "b", "supplier", organisation="甲公司", started=2)
    assert counted_session(engine, late) == early
    assert roles(engine, PER_ORGANISATION) == {"n": 1, "oem": 0, "supplier": 1}
