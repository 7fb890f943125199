"""Outbound calls to the WeChat Official Account API (customer-service messages, menu,
temporary media), over wechatpy's `WeChatClient`.

wechatpy is synchronous `requests` without a default timeout (PLATFORM_NOTES): every
call here has `timeout=` and runs in a worker thread (`asyncio.to_thread`).

access_token (WeChat "获取稳定版接口调用凭据"): several workers share one token through a
`TokenStore` (the database in production). It is fetched from `/cgi-bin/stable_token`
in normal mode, which hands every caller the *same* valid token, so two workers fetching
at once do not invalidate each other (plain `/cgi-bin/token` would). The stored copy
expires 5 minutes early: in normal mode WeChat rotates the token 5 minutes before its end.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.channels.wechat.config import WECHAT_API_BASE_URL, WeChatConfig
from bot.channels.wechat.errors import OutsideWindow, WeChatApiError

T = TypeVar("T")

EARLY_EXPIRY_S = 300
DEFAULT_TIMEOUT_S = 10.0
# invalid credential / invalid access_token / expired access_token: the stored token is
# stale (revoked, or replaced by a forced refresh elsewhere): fetch again, retry once.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
OUTSIDE_WINDOW_ERRCODE = 45015


class TokenStore(Protocol):
    """Shared key-value store with expiry. Called from worker threads: synchronous."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: int | None) -> None: ...

    def delete(self, key: str) -> None: ...


class InMemoryTokenStore:
    """One process only: tests, the simulator, a single-worker deployment."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            value, expires_at = item
            if expires_at is not None and self._clock() >= expires_at:
                del self._data[key]
                return None
            return value

    def set(self, key: str, value: str, ttl: int | None) -> None:
        with self._lock:
            self._data[key] = (value, None if ttl is None else self._clock() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class TokenStoreSession(SessionStorage):
    """wechatpy's session interface over a `TokenStore`."""

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self._store.get(key)
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is not None:
            self._store.set(key, str(value), ttl)

    def delete(self, key: str) -> None:
        self._store.delete(key)


class _Client(WeChatClient):
    """WeChatClient with a configurable host, a shared token and no unbounded retry.

    wechatpy's `auto_retry` re-calls itself on every 40001 without limit and its
    `fetch_access_token` hard-codes api.weixin.qq.com and has no timeout: both replaced.
    """

    def __init__(
        self, app_id: str, secret: str, *, store: TokenStore, base_url: str, timeout: float
    ) -> None:
        super().__init__(
            app_id, secret, session=TokenStoreSession(store), timeout=timeout, auto_retry=False
        )
        base = base_url.rstrip("/")
        self.API_BASE_URL = f"{base}/cgi-bin/"  # instance attribute wins over the class one
        self._token_url = f"{base}/cgi-bin/stable_token"
        self._token_lock = threading.Lock()

    def fetch_access_token(self) -> dict[str, Any]:
        res = self._http.post(
            self._token_url,
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        if res.status_code >= 400:
            raise WeChatClientException(None, f"HTTP {res.status_code} from stable_token")
        result: dict[str, Any] = res.json()
        if result.get("errcode"):
            raise WeChatClientException(int(result["errcode"]), result.get("errmsg", ""))
        expires_in = int(result.get("expires_in", 7200))
        ttl = expires_in - EARLY_EXPIRY_S if expires_in > 2 * EARLY_EXPIRY_S else expires_in // 2
        self.session.set(self.access_token_key, result["access_token"], ttl)
        return result

    @property
    def access_token(self) -> str:
        # The store's expiry is the only clock: wechatpy's per-process `expires_at` never
        # fires in a worker that did not fetch the token itself.
        token = self.session.get(self.access_token_key)
        if token:
            return str(token)
        with self._token_lock:  # one fetch per process when several threads miss at once
            token = self.session.get(self.access_token_key)
            if token:
                return str(token)
            return str(self.fetch_access_token()["access_token"])

    def drop_access_token(self) -> None:
        self.session.delete(self.access_token_key)


def _api_error(exc: WeChatClientException) -> WeChatApiError:
    errcode = exc.errcode if isinstance(exc.errcode, int) else None
    errmsg = str(exc.errmsg) if exc.errmsg is not None else "HTTP error"
    if errcode is None and exc.response is not None:
        errmsg = f"HTTP {exc.response.status_code}"
    if errcode == OUTSIDE_WINDOW_ERRCODE:
        return OutsideWindow(errcode, errmsg)
    return WeChatApiError(errcode, errmsg)


class WeChatApi:
    """Async facade used by the outbox worker and the `surveybot` CLI."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        token_store: TokenStore,
        base_url: str = WECHAT_API_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._client = _Client(
            app_id, app_secret, store=token_store, base_url=base_url, timeout=timeout
        )

    @classmethod
    def from_config(
        cls, config: WeChatConfig, token_store: TokenStore, *, timeout: float = DEFAULT_TIMEOUT_S
    ) -> WeChatApi:
        if not config.app_secret:
            raise ValueError("the WeChat API needs app_secret")
        return cls(
            config.app_id,
            config.app_secret,
            token_store=token_store,
            base_url=config.api_base_url,
            timeout=timeout,
        )

    async def send_text(self, openid: str, text: str) -> None:
        """Customer-service text. Raises OutsideWindow (45015) or WeChatApiError."""
        await self._run(lambda: self._client.message.send_text(openid, text))

    async def send_image(self, openid: str, media_id: str) -> None:
        await self._run(lambda: self._client.message.send_image(openid, media_id))

    async def upload_image(self, png: bytes) -> str:
        """Upload a temporary image (kept 3 days by WeChat); returns its media_id."""
        media = ("image.png", png, "image/png")
        result = await self._run(lambda: self._client.media.upload("image", media))
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not media_id:
            raise WeChatApiError(None, "upload answered without media_id")
        return str(media_id)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._run(lambda: self._client.menu.create(menu))

    def close(self) -> None:
        self._client._http.close()

    async def _run(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._call_with_token_retry, call)

    def _call_with_token_retry(self, call: Callable[[], T]) -> T:
        try:
            try:
                return call()
            except WeChatClientException as exc:
                if exc.errcode not in TOKEN_ERRCODES:
                    raise
            self._client.drop_access_token()
            return call()  # once: a second token error is reported, not looped on
        except WeChatClientException as exc:
            raise _api_error(exc) from None
        except requests.RequestException as exc:
            # `from None` and no str(exc): requests' messages quote the URL, token included.
            raise WeChatApiError(None, f"transport error: {type(exc).__name__}") from None
