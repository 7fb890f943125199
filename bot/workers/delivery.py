"""The outbox worker: deliver queued messages with retries and backoff, never silently.

Rows are committed with the answer that caused them (storage.outbox). This loop leases
due rows in a short transaction, sends them outside any transaction, then marks each
sent or failed. One row may carry several texts (the tail of a long WeChat reply):
they go out in order, and on a failure only the unsent rest is kept for the retry.

Rows to different recipients go out `concurrency` at a time (a send waits on the API
and a transaction; one at a time drained a broadcast at half the rate WeChat allows),
one recipient's rows in order, each send on a slot of the channel's `Pacer`. When the
API says the account's quota is spent (bot.workers.send_pacing), the channel's gate
stays closed until the quota window reopens, and once the round's sends have all come
back the refused rows and every untried row are postponed to that moment without
spending an attempt. (A send accepted beside a refused one may come back after the
refusal: the gate then counts it and may reopen sooner, and the rows wait for that.)

Delivery is at least once, never lost: a row is marked sent in its own transaction
right after its send, so a worker that dies (or loses the database) between the two
sends that one row again once its lease runs out; nothing else is sent twice.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy import Engine

from bot.channels.sending import ChannelSender, DeliveryError
from bot.dispatch import reply_delivery
from bot.observability import metrics
from bot.observability.logging import hash_id
from bot.workers.send_pacing import Pacer, QuotaGate
from storage import outbox
from storage.models import Outbox
from storage.outbox import BROADCAST_KIND
from storage.transactions import run_in_transaction

log = logging.getLogger(__name__)


@dataclass
class _Round:
    """One claimed batch on its way out: what the quota refused or left untried."""

    refused: list[tuple[Outbox, DeliveryError]] = field(default_factory=list)
    untried: list[Outbox] = field(default_factory=list)
    handled: int = 0


class Delivery:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, ChannelSender],
        *,
        batch: int = 20,
        concurrency: int = 8,
        send_rates: Mapping[str, float | None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        rates = dict(send_rates or {})
        # About a second of sends a round: a paced round ends well within its lease.
        paced = [rate for rate in rates.values() if rate]
        self.batch = max(batch, int(max(paced))) if paced else batch
        self.concurrency = concurrency
        self.clock = clock
        self.pacers = {channel: Pacer(rates.get(channel)) for channel in self.senders}
        started = clock()
        self.gates = {channel: QuotaGate(started) for channel in self.senders}
        self._sent: dict[str, int] = dict.fromkeys(self.senders, 0)  # since the gate opened

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many rows were handled."""
        now = self.clock()
        channels = [c for c in self.senders if self.gates[c].is_open(now)]
        if not channels:
            return 0
        items = await anyio.to_thread.run_sync(self._claim, now, channels)
        lanes: dict[tuple[str, str], list[Outbox]] = {}
        # A lane goes in queue order; lanes with a reply's tail or an alert start first.
        for item in sorted(items, key=lambda row: (row.kind == BROADCAST_KIND, row.id or 0)):
            lanes.setdefault((item.channel, item.recipient), []).append(item)
        limiter = anyio.CapacityLimiter(self.concurrency)
        done = _Round()

        async def lane(rows: list[Outbox]) -> None:
            for index, row in enumerate(rows):
                async with limiter:
                    if not self.gates[row.channel].is_open(self.clock()):
                        done.untried.extend(rows[index:])
                        return
                    refusal = await self._deliver(row)
                if refusal is not None:
                    done.refused.append((row, refusal))
                done.handled += 1

        async with anyio.create_task_group() as group:
            for rows in lanes.values():
                group.start_soon(lane, rows)
        if done.refused or done.untried:
            await anyio.to_thread.run_sync(self._postpone, done)
        return done.handled

    async def run_forever(self, interval: float = 1.0) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:  # the loop must survive a database outage; it is logged
                metrics.record_error("delivery")
                log.exception("outbox delivery round failed")
                handled = 0
            if not handled:
                await anyio.sleep(self._idle_wait(interval))

    def _idle_wait(self, interval: float) -> float:
        """Until the next poll, or sooner when a closed quota window reopens first."""
        now = self.clock()
        openings = [
            (gate.closed_until - now).total_seconds()
            for gate in self.gates.values()
            if gate.closed_until is not None and gate.closed_until > now
        ]
        return max(0.0, min([interval, *openings]))

    def _claim(self, now: datetime, channels: list[str]) -> list[Outbox]:
        return run_in_transaction(
            self.engine,
            lambda session: outbox.claim_due(
                session=session, now=now, limit=self.batch, channels=channels
            ),
        )

    def _postpone(self, done: _Round) -> None:
        """The rows the quota stopped wait for their channel's gate to open again."""
        stopped = [
            *((item, str(error)) for item, error in done.refused),
            *((item, "quota spent: not tried") for item in done.untried),
        ]

        def apply(session: Any) -> None:
            for item, error in stopped:
                until = self.gates[item.channel].closed_until or self.clock()
                outbox.postpone(session=session, items=[item], until=until, error=error)

        run_in_transaction(self.engine, apply)

    async def _deliver(self, item: Outbox) -> DeliveryError | None:
        """Send the row's parts and mark it; returns the quota's refusal, if any (the row
        is then postponed with the round)."""
        data = outbox.payload(item)
        field = "images" if "images" in data else "texts"
        parts: list[str] = list(data.get(field) or [data.get("text", "")])
        sender = self.senders[item.channel]
        gate = self.gates[item.channel]
        sent = 0
        error: DeliveryError | None = None
        for part in parts:
            await self.pacers[item.channel].wait()
            closings = gate.closings
            try:
                if field == "images":
                    await sender.send_image(item.recipient, base64.b64decode(part))
                else:
                    await sender.send_text(item.recipient, part)
            except DeliveryError as exc:
                error = exc
                break
            except Exception as exc:  # network and API errors: retried with backoff
                error = DeliveryError(f"{type(exc).__name__}: {exc}")
                break
            sent += 1
            if gate.closings == closings:
                self._sent[item.channel] += 1
            else:  # got through before the gate closed beside it
                gate.note_late_progress()
        metrics.record_outbound(item.channel, sent=sent, failed=error is not None)
        rest = parts[sent:]
        if error is not None and error.quota is not None:
            await self._close_gate(item.channel, error)
        await anyio.to_thread.run_sync(self._finish, item, field, rest, error, data)
        return error if error is not None and error.quota is not None else None

    async def _close_gate(self, channel: str, error: DeliveryError) -> None:
        assert error.quota is not None
        gate = self.gates[channel]
        now = self.clock()
        if not gate.is_open(now):
            return  # closed by a send in flight beside this one
        progress = self._sent[channel] > 0 or await anyio.to_thread.run_sync(
            self._sent_since, channel, gate.opened_at
        )
        # A send beside this one may have come back during the look-up.
        until = gate.close(error.quota, now, progress=progress or self._sent[channel] > 0)
        self._sent[channel] = 0
        log.warning("%s quota spent (%s): sending again at %s", channel, error, until.isoformat())

    def _sent_since(self, channel: str, since: datetime) -> bool:
        return run_in_transaction(
            self.engine,
            lambda session: outbox.sent_since(session=session, channel=channel, since=since),
        )

    def _finish(
        self,
        item: Outbox,
        field: str,
        rest: list[str],
        error: DeliveryError | None,
        data: dict[str, Any],
    ) -> None:
        now = self.clock()

        def apply(session: Any) -> None:
            if error is None:
                outbox.mark_sent(session=session, item=item, now=now)
                return
            if field in data:
                outbox.update_payload(session=session, item=item, payload={**data, field: rest})
            if error.quota is not None:
                return  # postponed with the round (Delivery._postpone)
            log.warning(
                "outbox %s to %s:%s failed: %s",
                item.id,
                item.channel,
                hash_id(item.recipient),
                error,
            )
            gave_up = outbox.mark_failed(
                session=session, item=item, error=str(error), now=now, retry=error.retry
            )
            if error.api_refused:
                reply_delivery.refuse_api(session=session, channel=item.channel, now=now)
            if gave_up and item.kind == reply_delivery.REPLY_KIND and field == "texts" and rest:
                # Never lost: what the API could not deliver leads their next reply.
                reply_delivery.keep_unseen(
                    session=session,
                    channel=item.channel,
                    user_id=item.recipient,
                    texts=rest,
                    now=now,
                )

        run_in_transaction(self.engine, apply)
