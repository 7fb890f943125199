"""Small shared state with an expiry, e.g. the WeChat access token shared by workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col

from storage import precompiled
from storage.db import PerDialect, dialect_insert, upsert
from storage.models import KeyValue
from storage.schema_conventions import UTCDateTime
from storage.transactions import connection_of

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


@PerDialect
def _set(dialect: str) -> Insert:
    # Bind names differ from column names, as an INSERT with `.values()` needs.
    insert = dialect_insert(dialect, _KV).values(
        key=bindparam("new_key"),
        value=bindparam("new_value"),
        expires_at=bindparam("new_expires_at", type_=UTCDateTime),
    )
    return insert.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": insert.excluded["value"], "expires_at": insert.excluded["expires_at"]},
    )


def kv_set(*, session: Session, key: str, value: str, expires_at: datetime | None) -> None:
    """Insert or replace. Built once per dialect: a reply that overflows into pages
    stores them on every step."""
    conn = connection_of(session)
    params = {"new_key": key, "new_value": value, "new_expires_at": expires_at}
    precompiled.later(conn, _set(conn), params)


_DELETE = delete(_KV).where(_KV.c.key == bindparam("match_key"))


def kv_delete(*, session: Session, key: str) -> None:
    precompiled.later(connection_of(session), _DELETE, {"match_key": key})


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
