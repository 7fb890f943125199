"""The WeChat Official Account push endpoint: `GET /wechat` (URL check), `POST /wechat`.

Flow of a push: the checks of `wechat_auth` (URL signature and timestamp window, size
limit, message mode, msg_signature, decryption and appid, account) → `Envelope` →
dispatcher → the passive reply. Every refusal is decided before the dispatcher is
called. The dispatcher applies WeChat's delivery plan (bot.channels.wechat.pages)
inside the answer's transaction: the rest of a long reply is already in the outbox or
in the pending pages when this route answers.

WeChat waits 5 s for the reply, then retries up to 3 times and finally shows the user
"该公众号暂时无法提供服务". So the dispatcher gets `reply_budget` seconds; if it has
not planned its reply by then, we answer "success" (stops the retries) and close the
passive slot (bot.dispatch.passive_slot): the whole reply then goes through the outbox, or waits
for the follower's next message, committed with the answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.http_edge import Refused, refusal, retry_later
from bot.channels.wechat.auth import PushAuthenticator
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.crypto import MessageCrypto, check_signature, check_timestamp
from bot.channels.wechat.errors import (
    ForeignAccount,
    ForeignAppId,
    InvalidSignature,
    MalformedMessage,
    PayloadTooLarge,
    ReplayedRequest,
    ReusedNonce,
)
from bot.channels.wechat.inbound import to_envelope
from bot.channels.wechat.nonces import PushNonces
from bot.channels.wechat.xml import WeChatMessage, build_text_reply
from bot.dispatch.envelope import Dispatcher, Outcome
from bot.dispatch.passive_slot import PassiveSlot
from bot.observability import metrics
from bot.observability.logging import hash_id

logger = logging.getLogger(__name__)

DEFAULT_REPLY_BUDGET_S = 4.0  # of WeChat's 5 s; the rest is network and our own work
SUCCESS = "success"
CLIENT_CLOSED = 499  # nginx's "client closed request": a 4xx, not a server error


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WeChatEndpoint:
    """One Official Account's push handler; use `make_wechat_routes`."""

    def __init__(
        self,
        config: WeChatConfig,
        dispatcher: Dispatcher,
        *,
        nonces: PushNonces,
        clock: Callable[[], datetime] = _utc_now,
        reply_budget: float = DEFAULT_REPLY_BUDGET_S,
    ) -> None:
        self._config = config
        self._dispatcher = dispatcher
        self._clock = clock
        self._budget = reply_budget
        self._auth = PushAuthenticator(config, nonces)
        self._late: set[asyncio.Future[Outcome]] = set()  # keeps late dispatches referenced

    async def handle(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return await self._receive(request)
            return self._verify(request)
        except Refused as refused:
            return refusal(refused, channel="wechat", what="wechat push", log=logger)
        except ClientDisconnect:
            # The sender hung up mid-body: nothing to answer, and not our failure.
            logger.info("wechat push abandoned by the client before its body was complete")
            return Response(status_code=CLIENT_CLOSED)
        except Exception as exc:  # a bug: answered 503 so WeChat retries
            # A dispatcher failure is already counted as a message error by the dispatcher.
            return retry_later(exc, channel="wechat", what="wechat push", log=logger)

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
            raise Refused(403, str(exc)) from None
        echostr = q.get("echostr")
        if not echostr:
            raise Refused(400, "missing echostr")
        # Plain text: a str returned through a JSON response would arrive quoted; nosniff
        # keeps a browser from sniffing the echoed, caller-chosen text as HTML.
        return PlainTextResponse(echostr, headers={"X-Content-Type-Options": "nosniff"})

    async def _receive(self, request: Request) -> Response:
        now = self._clock()
        msg, crypto = await self._authenticate(request, now)
        envelope = to_envelope(msg, now)
        if envelope is None:
            return PlainTextResponse(SUCCESS)
        slot = PassiveSlot()
        task = asyncio.ensure_future(
            self._dispatcher.handle(dataclasses.replace(envelope, slot=slot))
        )
        done, _ = await asyncio.wait({task}, timeout=self._budget)
        if not done and slot.close():
            # Its transaction carries on and plans the whole reply for later.
            self._late.add(task)
            task.add_done_callback(self._finish_late)
            metrics.record_wechat_late()
            logger.warning("dispatcher over budget for %s", hash_id(envelope.user_id))
            return PlainTextResponse(SUCCESS)
        # Planned for this response: its commit is imminent (a WeChat retry meanwhile
        # would get the stored passive reply).
        return self._reply(await task, msg, crypto)

    def _finish_late(self, task: asyncio.Future[Outcome]) -> None:
        self._late.discard(task)
        exc = task.exception() if not task.cancelled() else None
        if exc is not None:  # rolled back: nothing was recorded, WeChat will not retry
            metrics.record_error("wechat_late")
            logger.error(
                "late wechat dispatch failed: %s\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )

    async def _authenticate(
        self, request: Request, now: datetime
    ) -> tuple[WeChatMessage, MessageCrypto | None]:
        """`wechat_auth`'s checks; its typed errors become the refusal's status here.

        Returns the message and, in compatible/safe mode, the crypto to answer it with.
        """
        try:
            return await self._auth.authenticate(request, now)
        except PayloadTooLarge as exc:
            raise Refused(413, str(exc)) from None
        except (
            InvalidSignature, ReplayedRequest, ForeignAppId, ReusedNonce, ForeignAccount
        ) as exc:  # fmt: skip
            raise Refused(403, str(exc)) from None
        except MalformedMessage as exc:
            raise Refused(400, str(exc)) from None

    def _reply(
        self, outcome: Outcome, msg: WeChatMessage, crypto: MessageCrypto | None
    ) -> Response:
        """The passive part of the delivery plan; the rest is queued or paged already."""
        if not outcome.passive:
            return PlainTextResponse(SUCCESS)
        now = int(self._clock().timestamp())
        xml = build_text_reply(
            to_user=msg.from_user, from_user=msg.to_user, create_time=now, content=outcome.passive
        )
        if crypto is not None:
            xml = crypto.encrypt_reply(xml, nonce=_nonce(), timestamp=str(now))
        return Response(xml, media_type="application/xml")


def _nonce() -> str:
    """Ten random digits (as WeChat's own nonces), from one read of the OS's randomness."""
    return str(int.from_bytes(os.urandom(5), "big") % 10**10).zfill(10)


def make_wechat_routes(
    config: WeChatConfig,
    dispatcher: Dispatcher,
    *,
    nonces: PushNonces,
    clock: Callable[[], datetime] = _utc_now,
    reply_budget: float = DEFAULT_REPLY_BUDGET_S,
    path: str = "/wechat",
) -> list[Route]:
    """Routes for the app's Starlette router. `clock` must return an aware datetime;
    `nonces` keeps plaintext mode's one body per signed URL (`DatabasePushNonces`)."""
    endpoint = WeChatEndpoint(
        config, dispatcher, nonces=nonces, clock=clock, reply_budget=reply_budget
    )
    return [Route(path, endpoint.handle, methods=["GET", "POST"])]
