"""storage.schema_conventions: timestamps go in aware and come back aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from storage.transactions import transaction


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    from storage.audit import audit, recent_audit

    beijing = datetime.fromisoformat("2025-01-27T16:00:00+08:00")
    with transaction(engine) as session:
        audit(session=session, actor="a", action="x", detail="", now=beijing)
    with transaction(engine) as session:
        (entry,) = recent_audit(session=session)
    assert entry.created_at == beijing
    assert entry.created_at.tzinfo == UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    from storage.audit import audit

    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        audit(session=session, actor="a", action="x", detail="", now=datetime(2025, 1, 1))


# SQLite timestamps through the precompiled statements: one call where SQLAlchemy makes
# two (the decorator, then the dialect's DATETIME); the text stored and the datetime read
# back must be SQLAlchemy's own, or rows written by the ORM and by the precompiled
# statements would compare and sort differently.
_MOMENTS = [
    datetime(2026, 12, 5, 2, 39, 9, 123456, tzinfo=UTC),
    datetime(2026, 12, 5, 2, 39, 9, tzinfo=UTC),  # no microseconds: still six digits
    datetime.fromisoformat("2025-01-27T16:00:00.5+08:00"),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", _MOMENTS, ids=str)
def test_sqlite_timestamps_are_bound_and_read_as_sqlalchemy_does(moment: datetime) -> None:
    from sqlalchemy.dialects import sqlite

    from storage.compiled_statements import _bind_processor, _result_processor
    from storage.schema_conventions import UTCDateTime

    dialect = sqlite.dialect()
    general = UTCDateTime().dialect_impl(dialect)
    bind = _bind_processor(UTCDateTime(), dialect)
    read = _result_processor(UTCDateTime(), dialect)
    assert bind is not None and read is not None
    stored = general.bind_processor(dialect)(moment)
    assert bind(moment) == stored
    assert read(stored) == general.result_processor(dialect, None)(stored) == moment
    assert read(stored).tzinfo == UTC
    # Texts written by something else (SQLite's CURRENT_TIMESTAMP, fewer digits) too.
    for text in ("2026-12-05 02:39:09", "2026-12-05 02:39:09.5", "2026-12-05"):
        assert read(text) == general.result_processor(dialect, None)(text)


def test_sqlite_binding_refuses_naive_datetimes() -> None:
    from storage.schema_conventions import sqlite_utc_text

    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_utc_text(datetime(2025, 1, 1))
    assert sqlite_utc_text(None) is None
