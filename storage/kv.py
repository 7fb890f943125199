"""Small shared state with an expiry, e.g. the WeChat access token shared by workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.db import upsert
from storage.models import KeyValue


def kv_get(*, session: Session, key: str, now: datetime, for_update: bool = False) -> str | None:
    """The value, or None when absent or expired.

    `for_update=True` locks the row on PostgreSQL, so one worker refreshes a token while
    the others wait for it (SQLite serializes writers anyway).
    """
    query = select(KeyValue).where(KeyValue.key == key)
    if for_update:
        query = query.with_for_update()
    row = session.exec(query.execution_options(populate_existing=True)).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row.value


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
