"""The outbox worker: deliver queued messages with retries and backoff, never silently.

Rows are committed with the answer that caused them (storage.outbox). This loop leases
due rows in a short transaction, sends them outside any transaction, then marks each
sent or failed. One row may carry several texts (the tail of a long WeChat reply):
they go out in order, and on a failure only the unsent rest is kept for the retry.
Rows to different recipients go out `concurrency` at a time (a send waits on the API
and two transactions, so one at a time drained a 10,000-follower broadcast at a third
of the API's rate, docs/benchmarks.md); one recipient's rows stay in order.

A rate limit (WeChat 45009 / 45011) is not the message's fault: the row is tried again
later without spending an attempt, the rest of the batch is given back untried, and the
worker pauses, longer after each refusal in a row (RATE_PAUSE_S … RATE_PAUSE_CAP_S), so
a broadcast drains at the rate the API allows instead of failing its tail for good.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import Engine

from bot.channels.sending import ChannelSender, DeliveryError
from bot.dispatch import reply_delivery
from bot.observability import metrics
from bot.observability.logging import hash_id
from storage import outbox
from storage.db import run_in_transaction
from storage.models import Outbox

log = logging.getLogger(__name__)

RATE_PAUSE_S = 0.25
RATE_PAUSE_CAP_S = 60.0


class Delivery:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, ChannelSender],
        *,
        batch: int = 20,
        concurrency: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.batch = batch
        self.concurrency = concurrency
        self.clock = clock
        self._pause_s = 0.0  # the current rate-limit pause (0: not rate limited)

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many rows were handled."""
        now = self.clock()
        items = await anyio.to_thread.run_sync(self._claim, now)
        lanes: dict[tuple[str, str], list[Outbox]] = {}
        for item in items:  # claimed oldest first: each lane keeps that order
            lanes.setdefault((item.channel, item.recipient), []).append(item)
        limiter = anyio.CapacityLimiter(self.concurrency)
        untried: list[Outbox] = []
        handled = 0
        limited = False

        async def lane(rows: list[Outbox]) -> None:
            nonlocal handled, limited
            for index, row in enumerate(rows):
                async with limiter:
                    if limited:  # the API said slow down while this lane waited
                        untried.extend(rows[index:])
                        return
                    delivered = await self._deliver(row)
                handled += 1
                if not delivered:
                    limited = True
                    untried.extend(rows[index + 1 :])
                    return

        async with anyio.create_task_group() as group:
            for rows in lanes.values():
                group.start_soon(lane, rows)
        if not limited:
            self._pause_s = 0.0
            return handled
        # One pause per refused round, however many sends the refusal caught in flight.
        self._pause_s = self._next_pause()
        if untried:
            until = self.clock() + timedelta(seconds=self._pause_s)
            await anyio.to_thread.run_sync(self._release, untried, until)
        await anyio.sleep(self._pause_s)
        return handled

    def _next_pause(self) -> float:
        return min(max(2 * self._pause_s, RATE_PAUSE_S), RATE_PAUSE_CAP_S)

    async def run_forever(self, interval: float = 1.0) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:  # the loop must survive a database outage; it is logged
                metrics.record_error("delivery")
                log.exception("outbox delivery round failed")
                handled = 0
            if not handled:
                await anyio.sleep(interval)

    def _claim(self, now: datetime) -> list[Outbox]:
        return run_in_transaction(
            self.engine,
            lambda session: outbox.claim_due(
                session=session, now=now, limit=self.batch, channels=list(self.senders)
            ),
        )

    def _release(self, items: list[Outbox], until: datetime) -> None:
        run_in_transaction(
            self.engine, lambda session: outbox.release(session=session, items=items, until=until)
        )

    async def _deliver(self, item: Outbox) -> bool:
        """Send one row; False when the API rate-limited us (pause before the next)."""
        data = outbox.payload(item)
        field = "images" if "images" in data else "texts"
        parts: list[str] = list(data.get(field) or [data.get("text", "")])
        sender = self.senders[item.channel]
        sent = 0
        error: DeliveryError | None = None
        for part in parts:
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
        metrics.record_outbound(item.channel, sent=sent, failed=error is not None)
        limited = error is not None and error.rate_limited
        rest = parts[sent:]
        await anyio.to_thread.run_sync(self._finish, item, field, rest, error, data)
        return not limited

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
            if error.rate_limited:
                until = now + timedelta(seconds=self._next_pause())
                outbox.postpone(session=session, item=item, until=until, error=str(error))
                return
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
