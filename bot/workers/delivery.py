"""The outbox worker: deliver queued messages with retries and backoff, never silently.

Rows are committed with the answer that caused them (storage.outbox). This loop leases
due rows in a short transaction, sends them outside any transaction, then marks each
sent or failed. One row may carry several texts (the tail of a long WeChat reply):
they go out in order, and on a failure only the unsent rest is kept for the retry.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
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


class Delivery:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, ChannelSender],
        *,
        batch: int = 20,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.batch = batch
        self.clock = clock

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many rows were handled."""
        now = self.clock()
        items = await anyio.to_thread.run_sync(self._claim, now)
        for item in items:
            await self._deliver(item)
        return len(items)

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

    async def _deliver(self, item: Outbox) -> None:
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
        rest = parts[sent:]
        await anyio.to_thread.run_sync(self._finish, item, field, rest, error, data)

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
