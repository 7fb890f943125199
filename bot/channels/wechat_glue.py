"""WeChat's seams onto our storage: the shared token store, the sender.

- `DatabaseTokenStore`: one access token for every worker (PLATFORM_NOTES: a new token
  invalidates the old one after 5 minutes, so workers must not each fetch their own).
- `WeChatSender`: the delivery worker's way to send a queued text or image.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_errors import OutsideWindow, WeChatApiError
from bot.delivery import DeliveryError
from storage import repositories as repo
from storage.db import run_in_transaction

# 48001 "api unauthorized": this account may not use the customer-service API at all
# (e.g. an unverified subscription account 订阅号). Replies are paged instead.
API_UNAUTHORIZED_ERRCODE = 48001
# The account's call quota is spent: 45009 "reach max api daily quota limit", 45011 "api
# minute-quota reach limit, mustslower, retry next minute" (WeChat's global return
# codes). Waiting helps; the message is not at fault. (45047, one follower's
# customer-service count, is per user: retried with the ordinary backoff.)
RATE_LIMIT_ERRCODES = frozenset({45009, 45011})


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
            raise _delivery_error(exc) from None

    async def send_image(self, recipient: str, png: bytes) -> None:
        try:
            media_id = await self.api.upload_image(png)
            await self.api.send_image(recipient, media_id)
        except OutsideWindow as exc:
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise _delivery_error(exc) from None


def _delivery_error(exc: WeChatApiError) -> DeliveryError:
    if exc.errcode == API_UNAUTHORIZED_ERRCODE:
        return DeliveryError(str(exc), retry=False, api_refused=True)
    if exc.errcode in RATE_LIMIT_ERRCODES:
        return DeliveryError(str(exc), rate_limited=True)
    return DeliveryError(str(exc))
