"""Statements compiled once per dialect for `storage.precompiled`, and values bound to them.

SQLAlchemy compiles a Core statement here once per dialect (and per column list, or per
row count for a multi-row INSERT) and the result is cached with the statement; the
compiled form keeps SQLAlchemy's type processing (`UTCDateTime`, booleans on SQLite) for
the bound values and the result columns, so that `storage.precompiled` can run it on the
DBAPI cursor with what SQLAlchemy would have sent and turn the rows back as it would have.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeEngine

from storage.schema_conventions import UTCDateTime, sqlite_utc_text, utc_from_sqlite_text

Processor = Callable[[Any], Any]


class _Param(NamedTuple):  # a tuple: `bind_values` unpacks it, once per value bound
    key: str  # the name callers pass
    name: str  # the name in the compiled SQL
    default: Any  # a value bound in the statement itself (None: the caller gives it)
    required: bool
    process: Processor | None


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL for one dialect, its parameters and its result processing."""

    sql: str
    positional: bool
    params: tuple[_Param, ...]  # in placeholder order when positional
    results: tuple[Processor | None, ...]
    has_results: bool


_CACHE: dict[tuple[int, str, tuple[str, ...]], tuple[ClauseElement, Compiled]] = {}


def _compile(statement: ClauseElement, dialect: Dialect, columns: tuple[str, ...]) -> Compiled:
    kwargs: dict[str, Any] = {"column_keys": list(columns)} if columns else {}
    compiled = statement.compile(dialect=dialect, **kwargs)
    assert isinstance(compiled, SQLCompiler)
    if "POSTCOMPILE" in compiled.string:
        raise NotImplementedError("parameters rendered at execution time are not supported")
    by_name: dict[str, _Param] = {}
    for bind, name in compiled.bind_names.items():
        if bind.expanding:
            raise NotImplementedError(f"expanding IN parameter {bind.key!r} is not supported")
        process = _bind_processor(bind.type, dialect)
        value = bind.effective_value if not bind.required else None
        by_name[name] = _Param(bind.key, name, value, bind.required, process)
    positional = bool(compiled.positional)
    order = compiled.positiontup if positional else list(by_name)
    exported = getattr(statement, "exported_columns", ())
    results = tuple(_result_processor(column.type, dialect) for column in exported)
    return Compiled(
        sql=compiled.string,
        positional=positional,
        params=tuple(by_name[name] for name in order or ()),
        results=results,
        has_results=bool(exported),
    )


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return sqlite_utc_text  # the decorator's and the dialect's processing as one call
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    general = type_.dialect_impl(dialect).result_processor(dialect, None)
    if dialect.name != "sqlite" or not isinstance(type_, UTCDateTime) or general is None:
        return general

    def process(value: Any) -> Any:
        try:
            return utc_from_sqlite_text(value)
        except (TypeError, ValueError):  # not the text this layer writes: SQLAlchemy's way
            return general(value)

    return process


def compile_once(conn: Connection, statement: ClauseElement, columns: tuple[str, ...]) -> Compiled:
    """`statement` compiled for `conn`'s dialect (writing `columns`, for an INSERT
    without `.values()`), once: later calls find it in the cache."""
    key = (id(statement), conn.dialect.name, columns)
    cached = _CACHE.get(key)
    if cached is None:
        # The statement is kept with its compiled form: its id stays its own.
        cached = _CACHE[key] = (statement, _compile(statement, conn.dialect, columns))
    return cached[1]


def compile_multi_row(
    conn: Connection, statement: ClauseElement, columns: tuple[str, ...], count: int
) -> Compiled:
    """`statement` (an INSERT, perhaps … ON CONFLICT) writing `count` rows of `columns`
    in one VALUES list, compiled once per row count. Its parameters are `<key>__<row>`.
    Rows with the same conflict key must not repeat (PostgreSQL refuses to update a row
    twice in one statement): the counters pass each key once, in key order."""
    key = (id(statement), conn.dialect.name, (*columns, f"rows={count}"))
    cached = _CACHE.get(key)
    if cached is None:
        table = statement.table  # type: ignore[attr-defined]
        rows = [
            {c: bindparam(f"{c}__{i}", type_=table.c[c].type) for c in columns}
            for i in range(count)
        ]
        multi = statement.values(rows)  # type: ignore[attr-defined]
        cached = _CACHE[key] = (statement, _compile(multi, conn.dialect, ()))
    return cached[1]


def bind_values(compiled: Compiled, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
    """The values `given` by bind key, processed and in the order (or by the names) the
    compiled SQL's placeholders want."""
    values = []
    for key, _name, default, required, process in compiled.params:
        if key in given:
            value = given[key]
        elif required:
            raise KeyError(f"missing value for bound parameter {key!r}")
        else:
            value = default
        if process is not None:
            value = process(value)
        values.append(value)
    if compiled.positional:
        return values
    return {param.name: value for param, value in zip(compiled.params, values, strict=True)}


def result_row(compiled: Compiled, row: Sequence[Any]) -> tuple[Any, ...]:
    """A DBAPI result row with each column's result processing applied."""
    return tuple(
        value if process is None or value is None else process(value)
        for process, value in zip(compiled.results, row, strict=True)
    )
