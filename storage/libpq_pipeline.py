"""PostgreSQL: a group of statements sent in one write on libpq's pipeline, read after one Sync.

`storage.precompiled` hands its statements here on PostgreSQL: the writes queued on the
connection, the statement whose rows are wanted, and the COMMIT when the transaction
ends with them. psycopg's own pipeline sends one command per turn of its loop, each
with its own flush and wait for the socket (per push, under load: 11 `sendto` and 21
`poll`, and 37 % of the worker's time with the GIL held inside that loop,
docs/benchmarks.md). Here the commands go into libpq's output buffer (in pipeline mode
libpq flushes only past 64 kB), the Sync flushes them in one write, and the results are
read back with one wait, through psycopg's waiting function, so the GIL is released
while the server works and a long lock wait still turns other threads.

Kept as psycopg keeps them, so that its cursors and SQLAlchemy see one connection:
- the transaction: a group sent while the connection is idle starts with psycopg's own
  BEGIN (its isolation level and other settings), in the same write; the transaction's
  state is libpq's, which psycopg reads;
- prepared statements: a statement is prepared once it has run `prepare_threshold`
  times on the connection (5, psycopg's default, or the URL's: `none` never prepares,
  for a PgBouncer before 1.21 in transaction pooling mode), at most `PREPARED_MAX` of
  them, under names of its own (`_sb_N`); a statement counts as prepared only once the
  server said so. psycopg itself prepares nothing on these connections (`storage.db`):
  its ROLLBACK sends DEALLOCATE ALL once it has prepared a statement of its own. Should
  the server lose them anyway (a DISCARD ALL somewhere), the error (SQLSTATE 26000)
  makes this connection forget them all, and the transaction is run again
  (`storage.transactions.is_retryable`);
- parameters dumped and rows loaded by psycopg's adapters for the connection;
- errors: the server's first error, as psycopg raises it (`psycopg.errors`, SQLSTATE
  included), after every result up to the Sync was read, so that the connection is
  out of pipeline mode and its transaction failed, ready for a rollback.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import errors, pq
from psycopg._queries import PostgresQuery
from psycopg.adapt import Transformer
from psycopg.waiting import Ready, Wait

_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY)
_IDLE = pq.TransactionStatus.IDLE
_SYNC = pq.ExecStatus.PIPELINE_SYNC

Params = Sequence[Any] | dict[str, Any]
_Key = tuple[bytes, tuple[int, ...]]  # a statement as the server sees it: SQL, parameter types
# A statement is prepared on the server once it ran this often on a connection
# (psycopg's default); `?prepare_threshold=` in the URL changes it (storage.db keeps it
# in the connection's pool record under PREPARE_THRESHOLD).
DEFAULT_PREPARE_THRESHOLD = 5
PREPARE_THRESHOLD = "surveybot.prepare_threshold"
# At most this many statements prepared on a connection (psycopg's `prepared_max`): the
# hot path's are about 40; past it, statements run unprepared.
PREPARED_MAX = 100
# A prepared statement the server does not have.
LOST_PREPARED = "26000"


@dataclass(frozen=True)
class _Prepare:
    """A command of the group that prepares the statement at `index` as `name`."""

    key: _Key
    name: bytes
    index: int


# What each command of a group answers for: a statement's index, a prepare, or -1 for the
# transaction's BEGIN or COMMIT.
_Command = int | _Prepare


class StatementFailed(Exception):
    """`error` (a psycopg error) came from the group's statement at `index`."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class Wire:
    """One psycopg connection's pipeline: its adapters and its prepared statements."""

    def __init__(self, connection: Any, *, prepare_threshold: int | None) -> None:
        self.connection = connection
        self.prepare_threshold = prepare_threshold
        self.pgconn: pq.abc.PGconn = connection.pgconn
        self.transformer = Transformer(connection)
        self.encoding = connection.info.encoding
        self.runs: dict[_Key, int] = {}
        self.prepared: dict[_Key, bytes] = {}
        self.preparing: dict[_Key, bytes] = {}  # in the group being sent
        self.names = 0

    def run(
        self,
        statements: Sequence[tuple[str, Params]],
        *,
        commit: bool = False,
        rows_of: Sequence[int] = (),
    ) -> list[list[tuple[Any, ...]]]:
        """Send `statements` (SQL with psycopg's placeholders, and their values) and then
        the COMMIT if `commit`, in one write; wait once; the rows of the statements at the
        indices `rows_of`, in that order. Raises `StatementFailed` with the first
        statement that failed."""
        with self.connection.lock:
            return self._run(statements, commit, rows_of)

    def _run(
        self, statements: Sequence[tuple[str, Params]], commit: bool, rows_of: Sequence[int]
    ) -> list[list[tuple[Any, ...]]]:
        pgconn = self.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            raise StatementFailed(0, errors.OperationalError("the connection is closed"))
        meaning: list[_Command] = []
        self.preparing.clear()
        pgconn.enter_pipeline_mode()
        try:
            if pgconn.transaction_status == _IDLE and not self.connection.autocommit:
                pgconn.send_query_params(self.connection._get_tx_start_command(), None)
                meaning.append(-1)
            for index, (sql, params) in enumerate(statements):
                self._send(sql, params, index, meaning)
            if commit:
                pgconn.send_query_params(b"COMMIT", None)
                meaning.append(-1)
            pgconn.pipeline_sync()
            results = self.connection.wait(_through_sync(pgconn))
        except errors.Error as error:  # the socket, not the server: nothing more to read
            raise StatementFailed(len(statements) - 1, error) from None
        finally:
            _leave_pipeline_mode(pgconn)
        return self._read(results, meaning, statements, rows_of)

    def _send(self, sql: str, params: Params, index: int, meaning: list[_Command]) -> None:
        query = PostgresQuery(self.transformer)
        query.convert(sql, params)
        key = (query.query, query.types)
        name = self.prepared.get(key) or self.preparing.get(key)
        threshold = self.prepare_threshold
        if name is None and threshold is not None:
            runs = self.runs[key] = self.runs.get(key, 0) + 1
            if runs > threshold and len(self.prepared) + len(self.preparing) < PREPARED_MAX:
                self.names += 1
                name = self.preparing[key] = f"_sb_{self.names}".encode()
                self.pgconn.send_prepare(name, query.query, param_types=query.types)
                meaning.append(_Prepare(key, name, index))
        if name is None:
            self.pgconn.send_query_params(
                query.query, query.params, param_types=query.types, param_formats=query.formats
            )
        else:
            self.pgconn.send_query_prepared(name, query.params, param_formats=query.formats)
        meaning.append(index)

    def _forget_prepared(self) -> None:
        """The server lost this connection's prepared statements: each is prepared again
        at its next run."""
        for key in self.prepared:
            self.runs[key] = self.prepare_threshold or 0
        self.prepared.clear()

    def _read(
        self,
        results: list[list[pq.abc.PGresult]],
        meaning: list[_Command],
        statements: Sequence[tuple[str, Params]],
        rows_of: Sequence[int],
    ) -> list[list[tuple[Any, ...]]]:
        failed: StatementFailed | None = None
        wanted: dict[int, pq.abc.PGresult] = {}
        for what, group in zip(meaning, results, strict=True):
            result = group[-1]
            if result.status not in _OK:
                if failed is None and result.status == pq.ExecStatus.FATAL_ERROR:
                    index = what.index if isinstance(what, _Prepare) else what
                    index = index if index >= 0 else len(statements) - 1
                    error = errors.error_from_result(result, encoding=self.encoding)
                    failed = StatementFailed(index, error)
                    if error.sqlstate == LOST_PREPARED:
                        self._forget_prepared()
                continue
            if isinstance(what, _Prepare):  # the server took it
                self.prepared[what.key] = what.name
                self.runs.pop(what.key, None)
            elif what in rows_of:
                wanted[what] = result
        if failed is not None:
            raise failed
        return [self._rows(wanted[index]) for index in rows_of]

    def _rows(self, result: pq.abc.PGresult) -> list[tuple[Any, ...]]:
        self.transformer.set_pgresult(result)
        return list(self.transformer.load_rows(0, result.ntuples, tuple))


def _leave_pipeline_mode(pgconn: pq.abc.PGconn) -> None:
    """Out of pipeline mode; a connection left with results unread (interrupted while
    waiting) is closed: SQLAlchemy then finds it gone and replaces it."""
    if pgconn.status != pq.ConnStatus.OK:
        return
    try:
        pgconn.exit_pipeline_mode()
    except errors.Error:
        pgconn.finish()


def _through_sync(pgconn: pq.abc.PGconn) -> Generator[Wait, Ready, list[list[pq.abc.PGresult]]]:
    """Flush what is buffered, then every command's results up to the pipeline's Sync,
    a list per command (psycopg's wait function drives it)."""
    while pgconn.flush() != 0:
        ready = yield Wait.RW
        if ready & Ready.R:
            pgconn.consume_input()
    results: list[list[pq.abc.PGresult]] = []
    current: list[pq.abc.PGresult] = []
    while True:
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                if not current:
                    break
                results.append(current)
                current = []
            elif result.status == _SYNC:
                return results
            else:
                current.append(result)
        while not (yield Wait.R):
            continue
        pgconn.consume_input()
