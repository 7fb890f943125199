"""The survey registry (storage.surveys), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from flows.model import Lang
from flows.state import SessionState, Status
from storage import surveys as registry
from storage.respondents import lock_respondent, save_session_row
from storage.session_rows import latest_session_row
from storage.surveys import RegistryError
from storage.transactions import transaction

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _publish(engine: Engine, version: int, source: str, **kw: object) -> bool:
    with transaction(engine) as session:
        return registry.publish(
            session=session, flow_id="pcf", version=version, source=source, now=NOW, **kw
        )


def test_publish_adds_versions_and_lists_them(engine: Engine) -> None:
    assert _publish(engine, 1, "a: 1\n") is True
    assert _publish(engine, 2, "a: 2\n", mapping_json='{"from_version": 1}') is True
    with transaction(engine, readonly=True) as session:
        versions = registry.list_versions(session=session)
        assert registry.load_source(session=session, flow_id="pcf", version=2) == (
            "a: 2\n",
            '{"from_version": 1}',
        )
        assert registry.newest_version(session=session, flow_id="pcf") == 2
        assert registry.newest_version(session=session, flow_id="other") is None
    assert [(v.flow_id, v.version, v.has_mapping) for v in versions] == [
        ("pcf", 1, False),
        ("pcf", 2, True),
    ]
    assert versions[0].checksum == registry.checksum("a: 1\n")
    assert versions[0].published_at == NOW and versions[0].closed_at is None


def test_same_version_same_source_is_a_no_op(engine: Engine) -> None:
    assert _publish(engine, 1, "a: 1\n") is True
    assert _publish(engine, 1, "a: 1\n") is False
    with transaction(engine, readonly=True) as session:
        assert len(registry.list_versions(session=session)) == 1


def test_changed_source_under_a_published_version_is_refused(engine: Engine) -> None:
    _publish(engine, 1, "a: 1\n")
    with pytest.raises(RegistryError, match="higher `version`"):
        _publish(engine, 1, "a: changed\n")
    with transaction(engine, readonly=True) as session:
        assert registry.load_source(session=session, flow_id="pcf", version=1) == ("a: 1\n", None)


def test_older_version_than_the_newest_is_refused(engine: Engine) -> None:
    _publish(engine, 3, "a: 3\n")
    with pytest.raises(RegistryError, match="already at version 3"):
        _publish(engine, 2, "a: 2\n")


def test_close_closes_every_open_version_once(engine: Engine) -> None:
    _publish(engine, 1, "a: 1\n")
    _publish(engine, 2, "a: 2\n")
    later = NOW + timedelta(days=1)
    with transaction(engine) as session:
        assert registry.close(session=session, flow_id="pcf", now=later) == 2
    with transaction(engine) as session:
        assert registry.close(session=session, flow_id="pcf", now=later) == 0
        assert all(v.closed_at == later for v in registry.list_versions(session=session))
    with transaction(engine) as session, pytest.raises(RegistryError, match="no survey"):
        registry.close(session=session, flow_id="nope", now=later)


def _state(flow_id: str, version: int, status: Status) -> SessionState:
    return SessionState(flow_id=flow_id, flow_version=version, status=status, lang=Lang.EN)


def test_current_session_is_the_most_recently_updated(engine: Engine) -> None:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=NOW
        )
        rid = respondent.id
        assert rid is not None
        assert latest_session_row(session=session, respondent_id=rid) is None
        save_session_row(
            session=session, respondent_id=rid, state=_state("a", 1, Status.COMPLETED), now=NOW
        )
        # Same transaction, same clock: the session created last wins the tie.
        save_session_row(
            session=session, respondent_id=rid, state=_state("b", 2, Status.ACTIVE), now=NOW
        )
    with transaction(engine) as session:
        current = latest_session_row(session=session, respondent_id=rid)
        assert current is not None and (current.flow_id, current.flow_version) == ("b", 2)
        save_session_row(
            session=session,
            respondent_id=rid,
            state=_state("a", 1, Status.COMPLETED),
            now=NOW + timedelta(minutes=1),
        )
    with transaction(engine, readonly=True) as session:
        current = latest_session_row(session=session, respondent_id=rid)
        assert current is not None and current.flow_id == "a"
        assert registry.version_counts(session=session, flow_id="a")[1].completed == 1
        assert registry.version_counts(session=session, flow_id="b")[2].started == 1
        assert registry.version_counts(session=session, flow_id="b")[2].completed == 0
        assert registry.answered_versions(session=session, flow_id="b") == [2]


def test_answered_versions_lists_each_version_once_in_order(engine: Engine) -> None:
    """One index probe per version (a loose index scan) finds every version, in order."""
    plan = [("a", 3), ("a", 1), ("a", 3), ("a", 7), ("b", 2), ("a", 1)]
    with transaction(engine) as session:
        for n, (flow_id, version) in enumerate(plan):
            respondent = lock_respondent(
                session=session, channel="wechat", channel_user_id=f"o{n}", now=NOW
            )
            assert respondent.id is not None
            save_session_row(
                session=session,
                respondent_id=respondent.id,
                state=_state(flow_id, version, Status.ACTIVE),
                now=NOW,
            )
    with transaction(engine, readonly=True) as session:
        assert registry.answered_versions(session=session, flow_id="a") == [1, 3, 7]
        assert registry.answered_versions(session=session, flow_id="b") == [2]
        assert registry.answered_versions(session=session, flow_id="none") == []
        counts = registry.version_counts(session=session, flow_id="a")
        assert {v: c.started for v, c in counts.items()} == {1: 2, 3: 2, 7: 1}
