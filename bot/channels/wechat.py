"""The WeChat Official Account push endpoint: `GET /wechat` (URL check), `POST /wechat`.

Flow of a push: the checks of `wechat_auth` (URL signature and timestamp window, size
limit, message mode, msg_signature, decryption and appid, account) → `Envelope` →
dispatcher → first part as the passive reply, the rest to the outbox (customer-service
API). Every refusal is decided before the dispatcher is called.

WeChat waits 5 s for the reply, then retries up to 3 times and finally shows the user
"该公众号暂时无法提供服务". So the dispatcher gets `reply_budget` seconds; if it is
slower we answer "success" (stops the retries) and its outcome goes to the outbox when
it is done, as STYLE.md asks.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.text_split import WECHAT_TEXT_LIMIT_BYTES, split_utf8
from bot.channels.wechat_auth import PushAuthenticator
from bot.channels.wechat_config import WeChatConfig
from bot.channels.wechat_crypto import MessageCrypto, check_signature, check_timestamp
from bot.channels.wechat_errors import (
    ForeignAccount,
    ForeignAppId,
    InvalidSignature,
    MalformedMessage,
    PayloadTooLarge,
    ReplayedRequest,
    ReusedNonce,
)
from bot.channels.wechat_inbound import to_envelope
from bot.channels.wechat_nonces import PushNonces
from bot.channels.wechat_xml import WeChatMessage, build_text_reply
from bot.envelope import Dispatcher, Envelope, Outcome
from bot.observability import metrics
from bot.observability.logging import hash_id

logger = logging.getLogger(__name__)

DEFAULT_REPLY_BUDGET_S = 4.0  # of WeChat's 5 s; the rest is network and our own work
SUCCESS = "success"
# After "success" WeChat never retries a push: a late failure is retried here instead.
LATE_ATTEMPTS = 4
LATE_RETRY_DELAY_S = 0.5  # WeChat's "received, no reply" body: stops its retries
CLIENT_CLOSED = 499  # nginx's "client closed request": a 4xx, not a server error


# Said in the reply when the rest of it cannot be sent (no app secret configured).
NO_API_NOTICE = (
    "（消息过长，其余部分无法发送：未配置客服消息接口。请回复“帮助”。）\n"
    "(Reply too long: the rest cannot be sent, the customer-service API is not configured.)"
)


class OutboxSink(Protocol):
    """Where replies that do not fit the passive reply go (sent by the customer-service
    API later). Implemented by the dispatcher side over the database outbox.

    Both calls must be idempotent per `dedupe_key`: after a failed or slow response,
    WeChat retries the push, the dispatcher answers the same outcome (duplicate=True)
    and the route hands over the same parts again.
    """

    # False when nothing can be sent later (no app secret): the reply then says so.
    available: bool

    async def enqueue_texts(
        self, openid: str, parts: Sequence[str], *, dedupe_key: str
    ) -> None: ...

    async def enqueue_images(
        self, openid: str, pngs: Sequence[bytes], *, dedupe_key: str
    ) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class WeChatEndpoint:
    """One Official Account's push handler; use `make_wechat_routes`."""

    def __init__(
        self,
        config: WeChatConfig,
        dispatcher: Dispatcher,
        outbox: OutboxSink,
        *,
        nonces: PushNonces,
        clock: Callable[[], datetime] = _utc_now,
        reply_budget: float = DEFAULT_REPLY_BUDGET_S,
    ) -> None:
        self._config = config
        self._dispatcher = dispatcher
        self._outbox = outbox
        self._clock = clock
        self._budget = reply_budget
        self._auth = PushAuthenticator(config, nonces)
        self._late: set[asyncio.Task[None]] = set()  # keeps late deliveries referenced

    async def handle(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return await self._receive(request)
            return self._verify(request)
        except _Refused as refused:
            metrics.record_message("wechat", "rejected")
            logger.warning("wechat push refused (%d): %s", refused.status, refused)
            return PlainTextResponse(str(refused), status_code=refused.status)
        except ClientDisconnect:
            # The sender hung up mid-body: nothing to answer, and not our failure.
            logger.info("wechat push abandoned by the client before its body was complete")
            return Response(status_code=CLIENT_CLOSED)
        except Exception as exc:  # the one place turning bugs into a retryable answer
            # A dispatcher failure is already counted as a message error by the dispatcher.
            metrics.record_error("wechat")
            # Type and frames only: an exception message may quote user input.
            logger.error(
                "wechat push failed: %s\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            return PlainTextResponse("retry", status_code=503)

    def _verify(self, request: Request) -> Response:
        """URL check when the server address is saved in the admin console."""
        q = request.query_params
        try:
            check_signature(
                self._config.token,
                q.get("signature", ""),
                q.get("timestamp", ""),
                q.get("nonce", ""),
            )
            check_timestamp(q.get("timestamp", ""), self._clock().timestamp())
        except (InvalidSignature, ReplayedRequest) as exc:
            raise _Refused(403, str(exc)) from None
        echostr = q.get("echostr")
        if not echostr:
            raise _Refused(400, "missing echostr")
        # Plain text: a str returned through a JSON response would arrive quoted; nosniff
        # keeps a browser from sniffing the echoed, caller-chosen text as HTML.
        return PlainTextResponse(echostr, headers={"X-Content-Type-Options": "nosniff"})

    async def _receive(self, request: Request) -> Response:
        now = self._clock()
        msg, crypto = await self._authenticate(request, now)
        envelope = to_envelope(msg, now)
        if envelope is None:
            return PlainTextResponse(SUCCESS)
        task = asyncio.ensure_future(self._dispatcher.handle(envelope))
        done, _ = await asyncio.wait({task}, timeout=self._budget)
        if not done:
            late = asyncio.ensure_future(self._deliver_late(task, envelope))
            self._late.add(late)
            late.add_done_callback(self._late.discard)
            metrics.record_wechat_late()
            logger.warning("dispatcher over budget for %s", hash_id(envelope.user_id))
            return PlainTextResponse(SUCCESS)
        return await self._reply(task.result(), msg, envelope, crypto)

    async def _authenticate(
        self, request: Request, now: datetime
    ) -> tuple[WeChatMessage, MessageCrypto | None]:
        """`wechat_auth`'s checks; its typed errors become the refusal's status here.

        Returns the message and, in compatible/safe mode, the crypto to answer it with.
        """
        try:
            return await self._auth.authenticate(request, now)
        except PayloadTooLarge as exc:
            raise _Refused(413, str(exc)) from None
        except (
            InvalidSignature, ReplayedRequest, ForeignAppId, ReusedNonce, ForeignAccount
        ) as exc:  # fmt: skip
            raise _Refused(403, str(exc)) from None
        except MalformedMessage as exc:
            raise _Refused(400, str(exc)) from None

    async def _reply(
        self, outcome: Outcome, msg: WeChatMessage, envelope: Envelope, crypto: MessageCrypto | None
    ) -> Response:
        parts = await self._hand_over(outcome, envelope, passive=True)
        if not parts:
            return PlainTextResponse(SUCCESS)
        now = int(self._clock().timestamp())
        xml = build_text_reply(
            to_user=msg.from_user, from_user=msg.to_user, create_time=now, content=parts[0]
        )
        if crypto is not None:
            xml = crypto.encrypt_reply(xml, nonce=_nonce(), timestamp=str(now))
        return Response(xml, media_type="application/xml")

    async def _hand_over(self, outcome: Outcome, envelope: Envelope, *, passive: bool) -> list[str]:
        """Queue what the passive reply cannot carry; return the text parts."""
        parts = split_utf8(outcome.text) if outcome.text else []
        if passive and len(parts) > 1 and not self._outbox.available:
            room = WECHAT_TEXT_LIMIT_BYTES - len(NO_API_NOTICE.encode("utf-8")) - 2
            parts = [split_utf8(outcome.text, room)[0] + "\n\n" + NO_API_NOTICE]
        queued = parts[1:] if passive else parts
        if queued:
            await self._outbox.enqueue_texts(
                envelope.user_id, queued, dedupe_key=envelope.dedupe_key
            )
        images = [m.image_png for m in outcome.messages if m.image_png]
        if images:
            # A passive reply can only carry an image by media_id: upload it later.
            await self._outbox.enqueue_images(
                envelope.user_id, images, dedupe_key=envelope.dedupe_key
            )
        return parts

    async def _deliver_late(self, task: asyncio.Future[Outcome], envelope: Envelope) -> None:
        """Finish a push we already answered "success" to: WeChat will not retry it, so we
        do. Re-dispatching is safe: a committed first attempt makes the retry a duplicate
        (same stored reply), a rolled-back one is processed afresh."""
        for attempt in range(LATE_ATTEMPTS):
            try:
                outcome = await task if attempt == 0 else await self._dispatcher.handle(envelope)
                await self._hand_over(outcome, envelope, passive=False)
                return
            except Exception as exc:  # no request left to answer: log, retry, keep the loop
                metrics.record_error("wechat_late")
                logger.error(
                    "late wechat delivery failed for %s (attempt %d): %s\n%s",
                    hash_id(envelope.user_id),
                    attempt + 1,
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )
                await asyncio.sleep(LATE_RETRY_DELAY_S * 2**attempt)


def _nonce() -> str:
    return str(secrets.randbelow(10**10))


def make_wechat_routes(
    config: WeChatConfig,
    dispatcher: Dispatcher,
    outbox: OutboxSink,
    *,
    nonces: PushNonces,
    clock: Callable[[], datetime] = _utc_now,
    reply_budget: float = DEFAULT_REPLY_BUDGET_S,
    path: str = "/wechat",
) -> list[Route]:
    """Routes for the app's Starlette router. `clock` must return an aware datetime;
    `nonces` keeps plaintext mode's one body per signed URL (`DatabasePushNonces`)."""
    endpoint = WeChatEndpoint(
        config, dispatcher, outbox, nonces=nonces, clock=clock, reply_budget=reply_budget
    )
    return [Route(path, endpoint.handle, methods=["GET", "POST"])]
