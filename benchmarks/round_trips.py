"""What one WeChat push sends to PostgreSQL: statements and round trips, from libpq's trace.

    python -m benchmarks.round_trips --database-url postgresql://…/db [--respondents 3] [--list]

The dispatcher of `surveybot serve` (`bot.app.runtime`, WeChat's delivery planner, no
background workers) walks a few synthetic respondents (`benchmarks.respondents`) through
the whole survey on the given, empty PostgreSQL database, one push at a time on this
thread. Every connection of its engine is traced by libpq (`PGconn.trace`), so what is
counted is what went over the wire, whichever layer sent it: SQLAlchemy, the precompiled
statements (`storage.precompiled`, `storage.libpq_pipeline`), the transaction's BEGIN.

A *round trip* is one wait for the server: a simple-protocol Query, or an extended-
protocol batch up to its Sync (several Syncs sent before the first answer is read, in
pipeline mode, count once). A *statement* is one Query or Execute message.
docs/benchmarks.md lists them for a steady answer.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

# libpq's trace records: "F\t<len>\t<Message>\t <fields>" (frontend), "B\t…" (backend);
# a statement's own line breaks continue a record on the next lines.
_RECORD = re.compile(r"^([FB])\t\d+\t(\w+)(?:\t ?(.*))?$", re.DOTALL)
_SQL_IN_PARSE = re.compile(r'^"([^"]*)" "(.*)" \d+', re.DOTALL)
_SQL_IN_QUERY = re.compile(r'^"(.*)"$', re.DOTALL)
_BIND = re.compile(r'^"[^"]*" "([^"]*)"')


def _records(text: str) -> Iterator[str]:
    record: list[str] = []
    for line in text.splitlines():
        if line.startswith(("F\t", "B\t")) and record:
            yield "\n".join(record)
            record = []
        record.append(line)
    if record:
        yield "\n".join(record)


@dataclass
class Traffic:
    """What one push sent: statements in order, and the round trips they took."""

    statements: list[str] = field(default_factory=list)
    round_trips: int = 0

    def add(self, other: Traffic) -> None:
        self.statements += other.statements
        self.round_trips += other.round_trips


def parse_trace(text: str, prepared: dict[str, str] | None = None) -> Traffic:
    """Statements and round trips of a libpq trace (one connection's, in order).
    `prepared`: the connection's named statements so far (a statement is prepared once
    it has run 5 times: storage.libpq_pipeline), updated."""
    traffic = Traffic()
    prepared = {} if prepared is None else prepared
    pending_sql = ""
    waiting = False  # a Sync or Query is out and its answer not yet read
    for record in _records(text):
        match = _RECORD.match(record)
        if match is None:
            continue
        side, kind, rest = match.group(1), match.group(2), match.group(3) or ""
        if side == "B":
            waiting = False
            continue
        if kind == "Query":
            sql = _SQL_IN_QUERY.match(rest)
            traffic.statements.append(sql.group(1) if sql else rest)
            traffic.round_trips += 0 if waiting else 1
            waiting = True
        elif kind == "Parse":
            parsed = _SQL_IN_PARSE.match(rest)
            name, pending_sql = parsed.groups() if parsed else ("", rest)
            if name:
                prepared[name] = pending_sql
        elif kind == "Bind":
            bound = _BIND.match(rest)
            name = bound.group(1) if bound else ""
            if name:
                pending_sql = prepared.get(name, f"(prepared {name})")
        elif kind == "Execute":
            traffic.statements.append(pending_sql)
        elif kind == "Sync":
            traffic.round_trips += 0 if waiting else 1
            waiting = True
    return traffic


class WireTrace:
    """libpq traces of every connection an engine opens from now on, read per push."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self.directory = directory
        self._files: list[tuple[Path, Any]] = []
        self._read: dict[Path, int] = {}
        self._prepared: dict[Path, dict[str, str]] = {}
        engine.dispose()  # connections opened before could not be traced
        event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        from psycopg import pq

        path = self.directory / f"conn{len(self._files)}.trace"
        handle = path.open("w")
        pgconn = dbapi_connection.pgconn
        pgconn.trace(handle.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self._files.append((path, handle))
        # What the connection sent while being set up is not a push's.
        self._read[path] = 0
        self._prepared[path] = {}

    def take(self) -> Traffic:
        """What was sent since the last call, connection by connection."""
        total = Traffic()
        for path, handle in self._files:
            handle.flush()
            text = path.read_text(errors="replace")
            total.add(parse_trace(text[self._read[path] :], self._prepared[path]))
            self._read[path] = len(text)
        return total

    def close(self) -> None:
        for _path, handle in self._files:
            handle.close()


@contextmanager
def wechat_dispatcher(database_url: str, directory: Path) -> Iterator[tuple[Any, WireTrace]]:
    """The production dispatcher on `database_url` (migrated, surveys registered), traced."""
    from bot.app.runtime import build_runtime
    from bot.settings import load_settings

    settings = load_settings(
        database_url=database_url,
        wechat_token="roundtrips",
        wechat_app_id="wxroundtrips0001",
        wechat_encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    )
    runtime = build_runtime(settings)
    trace = WireTrace(runtime.engine, directory)
    try:
        yield runtime.service, trace
    finally:
        runtime.service.close()
        runtime.engine.dispose()
        trace.close()


def walk(service: Any, trace: WireTrace, openid: str, texts: Sequence[str]) -> list[Traffic]:
    """One respondent: subscribe, then each text; what each push sent."""
    from benchmarks.respondents import START
    from bot.dispatch.envelope import Channel, Envelope
    from bot.dispatch.passive_slot import PassiveSlot
    from flows.events import Inbound, Intent

    now = START
    inbounds = [Inbound(now=now, intent=Intent.START)]
    for text in texts:
        now += timedelta(seconds=7)
        inbounds.append(Inbound(now=now, text=text))
    out = []
    trace.take()
    for number, inbound in enumerate(inbounds):
        envelope = Envelope(
            Channel.WECHAT, openid, f"{openid}:{number}", inbound, slot=PassiveSlot()
        )
        service.handle_sync(envelope)
        out.append(trace.take())
    return out


def steady_answers(database_url: str, respondents: int, *, seed: int = 1) -> list[Traffic]:
    """What each push sent after the first two of each respondent (subscribe, language)."""
    from benchmarks.respondents import random_script
    from flows.definition import load_flow
    from flows.surveys import DEFAULT_FLOW

    flow = load_flow(DEFAULT_FLOW)
    rng = random.Random(seed)
    pushes: list[Traffic] = []
    with (
        tempfile.TemporaryDirectory(prefix="round-trips-") as tmp,
        wechat_dispatcher(database_url, Path(tmp)) as (service, trace),
    ):
        for number in range(respondents):
            texts = random_script(flow, rng, invalid_rate=0.0, language="both")
            pushes += walk(service, trace, f"o{number:027d}", texts)[2:]
    return pushes


def _shape(sql: str) -> str:
    words = re.sub(r"\s+", " ", sql).strip()
    return words if len(words) <= 110 else words[:107] + "..."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.round_trips", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("SURVEYBOT_DATABASE_URL"))
    parser.add_argument("--respondents", type=int, default=3)
    parser.add_argument("--list", action="store_true", help="each statement's count")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        parser.error("give an empty PostgreSQL database (--database-url)")
    pushes = steady_answers(args.database_url, args.respondents)
    statements = sum(len(p.statements) for p in pushes)
    trips = sum(p.round_trips for p in pushes)
    n = max(len(pushes), 1)
    print(
        f"{len(pushes)} pushes after subscribe and language: {statements / n:.2f} statements, "
        f"{trips / n:.2f} round trips per push (min {min(p.round_trips for p in pushes)}, "
        f"max {max(p.round_trips for p in pushes)})"
    )
    if args.list:
        counts = Counter(_shape(s) for p in pushes for s in p.statements)
        for sql, count in counts.most_common():
            print(f"{count / n:6.2f}  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
