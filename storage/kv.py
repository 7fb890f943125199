"""Small shared state with an expiry, e.g. the WeChat access token shared by workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select
from sqlmodel import Session, col

from storage import precompiled
from storage.db import connection_of, upsert
from storage.models import KeyValue

_KV: Table = KeyValue.__table__  # type: ignore[attr-defined]
# Read on every survey step (a respondent's pending pages): built and compiled once, a
# plain row back, not an ORM object (the ORM query was ~10 % of a push's CPU).
_GET = select(_KV.c.value, _KV.c.expires_at).where(_KV.c.key == bindparam("match_key"))
_GET_FOR_UPDATE = _GET.with_for_update()


def kv_get(*, session: Session, key: str, now: datetime, for_update: bool = False) -> str | None:
    """The value, or None when absent or expired.

    `for_update=True` locks the row on PostgreSQL, so one worker refreshes a token while
    the others wait for it (SQLite serializes writers anyway).
    """
    statement = _GET_FOR_UPDATE if for_update else _GET
    row = precompiled.first(connection_of(session), statement, {"match_key": key})
    if row is None:
        return None
    value, expires_at = row
    if expires_at is not None and expires_at <= now:
        return None
    return str(value)


def kv_set(*, session: Session, key: str, value: str, expires_at: datetime | None) -> None:
    insert = upsert(session, KeyValue).values(key=key, value=value, expires_at=expires_at)
    session.exec(
        insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": insert.excluded["value"], "expires_at": insert.excluded["expires_at"]},
        )
    )


def kv_delete(*, session: Session, key: str) -> None:
    session.exec(delete(KeyValue).where(col(KeyValue.key) == key))


def kv_add(*, session: Session, key: str, value: str, expires_at: datetime | None) -> bool:
    """Insert `key` unless it exists: True for the first caller only (every worker and host
    agrees, as for the processed-message rows)."""
    inserted = session.exec(
        upsert(session, KeyValue)
        .values(key=key, value=value, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(KeyValue.key))
    ).first()
    return inserted is not None
