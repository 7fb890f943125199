"""Counter changes kept with a transaction and written once, in one order, as it commits.

The live counters (`storage.aggregates`, `storage.segment_counters`,
`storage.session_counters`) are a few hot rows that every answer adds to. Written as
each answer is stored, a transaction holds their row locks from that answer until it
commits. One message a transaction, whose own changes go in key order, cannot deadlock
another; but a transaction that stores several messages (the batching writer,
`bot.dispatch.batch_writer`) locks the first message's counters, then the second's, and
two such transactions in two workers met in the opposite order: PostgreSQL found a
deadlock after its `deadlock_timeout` (1 s) and one batch ran again (docs/benchmarks.md,
2026-12-04, evening).

So a counter change is added here, on the transaction's connection, and nothing is
written until the transaction commits: then every table's changes go out in one fixed
order (`CounterTable.rank`, then key order), changes of one key summed into one row.
Each transaction takes its counter locks in that one order, and only for the commit's
own round trip. `storage.db` calls `write_now` just before the COMMIT (on PostgreSQL the
rows join the commit's pipeline) and forgets the changes on a rollback or at the next
BEGIN.

Whoever reads a counter table inside a writing transaction sees the changes kept here:
the two reads on every answer's path (`storage.aggregates.counters`,
`storage.segment_counters.segment_counter_stats`) add `pending` to what they read; every
other reader calls `write_now` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.dml import Insert

from storage import precompiled

_LEDGER = "surveybot.counter_ledger"
_WRITES = "surveybot.counter_ledger.writes"

Key = tuple[Any, ...]


@dataclass(frozen=True, eq=False)  # one per table, compared by identity
class CounterTable:
    """A counter table: its key columns (in the order of a key's values), the upsert that
    adds a row's `count`, and its place in the order tables are written in."""

    name: str
    rank: int
    columns: tuple[str, ...]
    bump: Callable[[Connection], Insert]


_Pending = dict[CounterTable, dict[Key, int]]


def add(conn: Connection, table: CounterTable, deltas: Iterable[tuple[Key, int]]) -> None:
    """Keep `deltas` ({key: change}) for `table` until the transaction commits."""
    pending: _Pending | None = conn.info.get(_LEDGER)
    kept: dict[Key, int] | None = None
    for key, delta in deltas:
        if not delta:
            continue
        if kept is None:
            if pending is None:
                pending = conn.info[_LEDGER] = {}
            kept = pending.setdefault(table, {})
        kept[key] = kept.get(key, 0) + delta


def pending(conn: Connection, table: CounterTable) -> Mapping[Key, int]:
    """The changes to `table` kept on `conn`'s transaction, not written yet."""
    kept: _Pending | None = conn.info.get(_LEDGER)
    if not kept:
        return {}
    return kept.get(table, {})


def write_now(conn: Connection) -> None:
    """Write the kept changes, table by table in rank order, keys in order (on PostgreSQL
    queued: they go with the next statement, or the COMMIT)."""
    kept: _Pending | None = conn.info.pop(_LEDGER, None)
    if not kept:
        return
    conn.info[_WRITES] = writes(conn) + 1
    for table in sorted(kept, key=lambda t: t.rank):
        rows = [
            {**dict(zip(table.columns, key, strict=True)), "count": delta}
            for key, delta in sorted(kept[table].items())
            if delta
        ]
        if rows:
            precompiled.execute_many(conn, table.bump(conn), rows)


def writes(conn: Connection) -> int:
    """How many times `write_now` wrote kept changes on `conn`: a counter read taken
    before it differs from the table now by more than `pending` (storage.counter_read_ahead)."""
    count: int = conn.info.get(_WRITES, 0)
    return count


def forget(conn: Connection) -> None:
    """Drop the kept changes (the transaction rolled back, or a new one begins). An
    invalidated connection's `info` went with it."""
    if not conn.invalidated:
        conn.info.pop(_LEDGER, None)
