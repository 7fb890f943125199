"""What every table shares: constraint names and the UTC timestamp column type.

The naming convention is set on `SQLModel.metadata` when this module is imported, so the
table modules (`storage.models`, `storage.organisation_models`) import it before they
define a table. All timestamps are timezone-aware UTC: `UTCDateTime` stores them as
TIMESTAMPTZ on PostgreSQL and as naive UTC text on SQLite, and always hands back aware
UTC datetimes; `timestamp_field` declares such a column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# Named constraints: Alembic's batch mode on SQLite and later migrations need the names.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive datetimes are a bug."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: keep UTC wall time (the result side re-attaches UTC).
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What `UTCDateTime` then SQLAlchemy's SQLite DATETIME bind (UTC wall time, six
    digits of microseconds always) make of `value`, in one step: `storage.precompiled`
    binds every timestamp of a message through this."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def utc_from_sqlite_text(value: str) -> datetime:
    """The aware UTC datetime `UTCDateTime` reads back from SQLite's text, in one step;
    ValueError for a text `datetime.fromisoformat` does not read."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A table's timestamp column, stored as `UTCDateTime`."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)
