"""The per-worker survey cache and the start-up registration of the shipped surveys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app.runtime import register_shipped, shipped_paths
from bot.surveys.catalog import SurveyCatalog, UnknownSurvey
from flows.surveys import DEFAULT_FLOW
from storage import surveys as registry
from storage.surveys import RegistryError
from storage.transactions import transaction
from tests.flows.versions import NEXT, V1, V2

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _publish(engine: Engine, source: str, version: int) -> None:
    with transaction(engine) as session:
        registry.publish(session=session, flow_id="mini", version=version, source=source, now=NOW)


def test_a_publish_is_seen_after_the_refresh_interval(engine: Engine) -> None:
    clock = [100.0]
    catalog = SurveyCatalog("mini", ttl_s=2.0, clock=lambda: clock[0])
    _publish(engine, V1, 1)
    with transaction(engine, readonly=True) as session:
        flow = catalog.newest_flow(session, "mini")
        assert flow is not None and flow.version == 1
    _publish(engine, V2, 2)
    with transaction(engine, readonly=True) as session:
        stale = catalog.newest_flow(session, "mini")
        assert stale is not None and stale.version == 1  # within the interval: no query
        clock[0] += 2.5
        fresh = catalog.newest_flow(session, "mini")
        assert fresh is not None and fresh.version == 2
        # older versions stay loadable for respondents still on them
        assert catalog.flow(session, "mini", 1).version == 1
        with pytest.raises(UnknownSurvey):
            catalog.flow(session, "mini", 9)
    assert catalog.is_open("mini") and not catalog.is_open("ghost")
    assert catalog.survey_ids() == ["mini"]


def test_closing_is_seen_and_a_new_version_reopens(engine: Engine) -> None:
    catalog = SurveyCatalog("mini", ttl_s=0)
    _publish(engine, V1, 1)
    with transaction(engine) as session:
        registry.close(session=session, flow_id="mini", now=NOW)
    with transaction(engine, readonly=True) as session:
        catalog.refresh(session)
    assert not catalog.is_open("mini")
    _publish(engine, V2, 2)
    with transaction(engine, readonly=True) as session:
        catalog.refresh(session)
    assert catalog.is_open("mini")


def test_shipped_paths_follow_next() -> None:
    assert [p.name for p in shipped_paths(DEFAULT_FLOW)] == [
        "aiag_carbon.yaml",
        "aiag_pcf_followup.yaml",
    ]


def test_startup_registration_is_idempotent_and_refuses_silent_edits(
    engine: Engine, tmp_path: Path
) -> None:
    first, following = tmp_path / "mini.yaml", tmp_path / "mini_next.yaml"
    first.write_text(V1, encoding="utf-8")
    following.write_text(NEXT, encoding="utf-8")
    paths = shipped_paths(first)
    assert paths == [first, following]
    register_shipped(engine, paths)
    register_shipped(engine, paths)  # a second worker starting: nothing new
    with transaction(engine, readonly=True) as session:
        assert [(v.flow_id, v.version) for v in registry.list_versions(session=session)] == [
            ("mini", 1),
            ("mini_next", 1),
        ]
    first.write_text(V1.replace("Thanks", "Thank you"), encoding="utf-8")
    with pytest.raises(RegistryError, match="mini.yaml: mini version 1 is already published"):
        register_shipped(engine, paths)
    first.write_text(V2, encoding="utf-8")  # a new version in the file: published
    register_shipped(engine, paths)
    _publish(engine, V2.replace("version: 2", "version: 3"), 3)
    register_shipped(engine, paths)  # staff published a newer one: the file is left alone
    with transaction(engine, readonly=True) as session:
        assert registry.newest_version(session=session, flow_id="mini") == 3
