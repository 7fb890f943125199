"""WeChat's seams onto our storage: the outbox sink, the shared token store, the sender.

- `DatabaseOutboxSink`: the parts of a reply that do not fit the passive reply become an
  outbox row, once per push (a WeChat retry hands the same parts over again).
- `DatabaseTokenStore`: one access token for every worker (PLATFORM_NOTES: a new token
  invalidates the old one after 5 minutes, so workers must not each fetch their own).
- `WeChatSender`: the delivery worker's way to send a queued text or image.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_errors import OutsideWindow, WeChatApiError
from bot.delivery import DeliveryError
from storage import repositories as repo
from storage.db import run_in_transaction

# The passive reply travels back on WeChat's own request; a queued tail sent at once can
# overtake it. A short delay keeps the parts in order on the phone.
TAIL_DELAY = timedelta(seconds=1.5)
OUTBOX_DEDUPE_CHANNEL = "wechat-outbox"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatabaseOutboxSink:
    def __init__(
        self, engine: Engine, *, available: bool, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.engine = engine
        # False without an app secret: nothing can be sent later, and the reply says so.
        self.available = available
        self.clock = clock

    async def enqueue_texts(self, openid: str, parts: Sequence[str], *, dedupe_key: str) -> None:
        await self._enqueue(openid, "text", {"texts": list(parts)}, f"t:{dedupe_key}")

    async def enqueue_images(self, openid: str, pngs: Sequence[bytes], *, dedupe_key: str) -> None:
        images = [base64.b64encode(p).decode("ascii") for p in pngs]
        await self._enqueue(openid, "image", {"images": images}, f"i:{dedupe_key}")

    async def _enqueue(self, openid: str, kind: str, payload: dict[str, object], key: str) -> None:
        if not self.available:
            return
        now = self.clock()
        # An event's key names the openid: kept only as a hash ("delete my data").
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()

        def write(session: Session) -> None:
            claimed = repo.claim_inbound(
                session=session, channel=OUTBOX_DEDUPE_CHANNEL, dedupe_key=key, now=now
            )
            if claimed is None:
                return  # a retried push: its parts are queued already
            repo.enqueue(
                session=session,
                channel="wechat",
                recipient=openid,
                kind=kind,
                payload=payload,
                now=now + TAIL_DELAY,
            )

        await anyio.to_thread.run_sync(run_in_transaction, self.engine, write)


class DatabaseTokenStore:
    """wechat_api.TokenStore over the KeyValue table (synchronous: called from threads)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def get(self, key: str) -> str | None:
        now = self.clock()
        return run_in_transaction(
            self.engine, lambda s: repo.kv_get(session=s, key=f"wechat:{key}", now=now)
        )

    def set(self, key: str, value: str, ttl: int | None) -> None:
        expires = self.clock() + timedelta(seconds=ttl) if ttl else None
        run_in_transaction(
            self.engine,
            lambda s: repo.kv_set(session=s, key=f"wechat:{key}", value=value, expires_at=expires),
        )

    def delete(self, key: str) -> None:
        run_in_transaction(self.engine, lambda s: repo.kv_delete(session=s, key=f"wechat:{key}"))


class WeChatSender:
    def __init__(self, api: WeChatApi) -> None:
        self.api = api

    async def send_text(self, recipient: str, text: str) -> None:
        try:
            await self.api.send_text(recipient, text)
        except OutsideWindow as exc:
            # 45015: outside the 48-hour window; retrying cannot help until they write.
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise DeliveryError(str(exc)) from None

    async def send_image(self, recipient: str, png: bytes) -> None:
        try:
            media_id = await self.api.upload_image(png)
            await self.api.send_image(recipient, media_id)
        except OutsideWindow as exc:
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise DeliveryError(str(exc)) from None
