from __future__ import annotations

import threading
import traceback
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.choice_masks import POSTGRESQL_ONLY
from storage.db import make_engine
from storage.migrate import downgrade, head_revision, main, upgrade

FREE_TEXT_INDEX = "ix_answer_free_text_newest"


def _modelled(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    """Not the PostgreSQL-only tables migration 0018 keeps by trigger (no models)."""
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in POSTGRESQL_ONLY


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to do after `upgrade`: models and migrations agree."""
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": _modelled}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_idempotent_and_records_the_head(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def test_workers_starting_together_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            upgrade(db_url)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [], "".join(traceback.format_exception(errors[0]))
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    engine.dispose()


def test_command_line(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main([db_url]) == 0


def _revision_and_indexes(db_url: str, table: str) -> tuple[str | None, dict[str, Any]]:
    """The database's revision and `table`'s indexes by name."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
            indexes = inspect(conn).get_indexes(table)
    finally:
        engine.dispose()
    return revision, {str(i["name"]): dict(i) for i in indexes}


def _revision_and_free_text_index(db_url: str) -> tuple[str | None, dict[str, Any] | None]:
    revision, indexes = _revision_and_indexes(db_url, "answer")
    return revision, indexes.get(FREE_TEXT_INDEX)


def test_revision_0002_adds_and_removes_the_partial_free_text_index(db_url: str) -> None:
    upgrade(db_url)
    _, index = _revision_and_free_text_index(db_url)
    assert index is not None
    assert index["column_names"] == ["flow_id", "question_id", "created_at", "id"]
    where = index["dialect_options"].get("postgresql_where") or index["dialect_options"].get(
        "sqlite_where"
    )
    assert "text IS NOT NULL" in str(where)
    if "postgresql_where" in index["dialect_options"]:  # SQLite does not reflect the order
        assert index["column_sorting"] == {"created_at": ("desc",), "id": ("desc",)}

    downgrade(db_url, "0001")
    assert _revision_and_free_text_index(db_url) == ("0001", None)

    upgrade(db_url, "0002")
    revision, index = _revision_and_free_text_index(db_url)
    assert revision == "0002" and index is not None


def test_revision_0004_fills_the_segment_counters_from_the_answers(db_url: str) -> None:
    from storage.consistency import verify
    from storage.segment_counters import recount
    from storage.transactions import transaction
    from tests.storage.test_segment_counters import AIAG, _supplier, seg

    upgrade(db_url)
    engine = make_engine(db_url)

    def stored() -> dict[tuple[str, str, str], int]:
        with transaction(engine) as session:
            rows = session.connection().exec_driver_sql(
                "SELECT segment, question_id, option_id, count FROM segment_counter"
            )
            return {(s, q, o): n for s, q, o, n in rows}

    try:
        _supplier(engine, "a", "interior", "chassis")
        _supplier(engine, "b", "interior")
        with transaction(engine) as session:
            kept = recount(session=session, flow_id=AIAG.id, declared=AIAG.segments)
        assert kept[(seg("interior"), "", "")] == 2
        downgrade(db_url, "0003")
        upgrade(db_url)  # 0004 fills them as it named them, 0009 names the declaration
        with transaction(engine) as session:
            assert verify(session=session, flow=AIAG) == []
        assert stored() == kept
        downgrade(db_url, "0005")  # 0004's names again: the commodity alone
        assert stored() == {(s.split(":")[1], q, o): n for (s, q, o), n in kept.items()}
        upgrade(db_url)
        assert stored() == kept
    finally:
        engine.dispose()


def test_revision_0005_adds_and_removes_the_session_version_index(db_url: str) -> None:
    name = "ix_survey_session_flow_version"
    upgrade(db_url)
    _, indexes = _revision_and_indexes(db_url, "survey_session")
    assert indexes[name]["column_names"] == ["flow_id", "flow_version", "completed_at"]
    downgrade(db_url, "0004")
    revision, indexes = _revision_and_indexes(db_url, "survey_session")
    assert revision == "0004" and name not in indexes
    upgrade(db_url)
    assert name in _revision_and_indexes(db_url, "survey_session")[1]


def test_revision_0011_adds_and_removes_the_test_flag(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO respondent (channel, channel_user_id, lang, active,"
                " subscribed_updates, created_at) VALUES ('telegram', 'u', 'zh', true, false,"
                " '2026-12-01 00:00:00')"
            )
        downgrade(db_url, "0005")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("respondent")}
        assert "is_test" not in columns
        upgrade(db_url)
        with engine.connect() as conn:
            flags = conn.exec_driver_sql("SELECT is_test FROM respondent").scalars().all()
        assert flags == [False]
    finally:
        engine.dispose()


def test_revision_0013_fills_the_session_counters_from_the_sessions(db_url: str) -> None:
    from datetime import timedelta

    from storage.session_counters import stored, verify
    from storage.transactions import transaction
    from tests.storage.test_session_counters import FLOW, START, _save

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        _save(engine, "a", START, START + timedelta(hours=26, minutes=50))  # +27 hours
        _save(engine, "b", START - timedelta(minutes=21), None, channel="telegram")  # 14:59
        _save(engine, "c", START + timedelta(minutes=39), START + timedelta(minutes=39))
        with transaction(engine) as session:
            kept = stored(session=session, flow_id=FLOW)
        assert sorted(k.completed_after for k in kept) == [-1, 0, 27]
        downgrade(db_url, "0011")
        _, indexes = _revision_and_indexes(db_url, "survey_session")
        assert "ix_survey_session_unfinished" not in indexes
        upgrade(db_url)  # 0013 counts the sessions in SQL, as the counters would have
        with transaction(engine) as session:
            assert stored(session=session, flow_id=FLOW) == kept
            assert verify(session=session, flow_id=FLOW) == []
    finally:
        engine.dispose()


def test_revision_0014_adds_and_removes_the_organisation_tables(db_url: str) -> None:
    tables = {"organisation", "organisation_link", "organisation_match"}
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert tables <= set(inspect(conn).get_table_names())
        downgrade(db_url, "0011")
        with engine.connect() as conn:
            assert not tables & set(inspect(conn).get_table_names())
        upgrade(db_url)
        with engine.connect() as conn:
            assert tables <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_revision_0019_flags_the_followers_whose_pages_wait(db_url: str) -> None:
    """Followers with an unexpired `pages:` row are flagged; an expired row, another
    follower's row or another key flags nobody."""
    upgrade(db_url)
    downgrade(db_url, "0018")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for user in ("paged", "expired", "other", "none"):
                conn.exec_driver_sql(
                    "INSERT INTO respondent (channel, channel_user_id, lang, active,"
                    f" subscribed_updates, created_at) VALUES ('wechat', '{user}', 'zh', true,"
                    " false, '2026-12-01 00:00:00')"
                )
            conn.exec_driver_sql(
                "INSERT INTO key_value (key, value, expires_at) VALUES"
                " ('pages:wechat:paged', '{}', '2099-01-01 00:00:00'),"
                " ('pages:wechat:expired', '{}', '2000-01-01 00:00:00'),"
                " ('pages:telegram:other', '{}', NULL),"
                " ('test-run:wechat:none', '1', NULL)"
            )
        upgrade(db_url)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT channel_user_id, pages_waiting FROM respondent")
            flags = {str(user): bool(waiting) for user, waiting in rows}
        assert flags == {"paged": True, "expired": False, "other": False, "none": False}
        downgrade(db_url, "0018")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("respondent")}
        assert "pages_waiting" not in columns
    finally:
        engine.dispose()


def test_revision_0020_never_gives_a_contact_reference_twice(db_url: str) -> None:
    """After the newest request is deleted (its respondent erased their data), the next
    one gets a new id and reference, on both databases; rows already there are kept."""
    upgrade(db_url)
    downgrade(db_url, "0019")
    engine = make_engine(db_url)
    insert = (
        "INSERT INTO contact_request (reference, respondent_id, reason, details_json, status,"
        " created_at) VALUES ('{ref}', 1, 'survey', '{{}}', 'open', '2026-12-01 00:00:00')"
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO respondent (channel, channel_user_id, lang, active,"
                " subscribed_updates, created_at) VALUES ('wechat', 'u1', 'zh', true,"
                " false, '2026-12-01 00:00:00')"
            )
            conn.exec_driver_sql(insert.format(ref="C-000001"))
            conn.exec_driver_sql(insert.format(ref="C-000002"))
        upgrade(db_url)
        with engine.begin() as conn:
            kept = [r for (r,) in conn.exec_driver_sql("SELECT reference FROM contact_request")]
            assert sorted(kept) == ["C-000001", "C-000002"]
            conn.exec_driver_sql("DELETE FROM contact_request WHERE reference = 'C-000002'")
            conn.exec_driver_sql(insert.format(ref="next"))
            (new_id,) = conn.exec_driver_sql(
                "SELECT id FROM contact_request WHERE reference = 'next'"
            ).one()
        assert new_id == 3  # not 2 again
        downgrade(db_url, "0019")
        upgrade(db_url)
    finally:
        engine.dispose()
