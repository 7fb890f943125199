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
