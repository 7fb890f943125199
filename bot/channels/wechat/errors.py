"""Errors of the WeChat channel, as types (STYLE: raised at the edge, turned into a
response in one place: `bot.channels.wechat.routes`)."""

from __future__ import annotations


class WeChatProtocolError(Exception):
    """An inbound push we refuse. The message never contains user data or secrets."""


class InvalidSignature(WeChatProtocolError):
    """`signature` / `msg_signature` does not match: not from WeChat (→ 403)."""


class ReplayedRequest(WeChatProtocolError):
    """The push's timestamp is outside the accepted window (→ 403)."""


class ForeignAppId(WeChatProtocolError):
    """A correctly encrypted push for another Official Account (→ 403)."""


class MalformedMessage(WeChatProtocolError):
    """Unparseable or hostile XML (DOCTYPE, entities), bad ciphertext (→ 400)."""


class PayloadTooLarge(WeChatProtocolError):
    """Body above the size limit (→ 413)."""


class WeChatApiError(Exception):
    """The WeChat HTTP API refused a call or could not be reached.

    `errcode` is WeChat's code, or None for a transport / HTTP-status failure. The
    message never includes the request URL: it carries the access_token.
    """

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class OutsideWindow(WeChatApiError):
    """errcode 45015: the user has not written within 48 h, customer-service messages
    are refused. Not retryable until the user writes again."""


class ReusedNonce(WeChatProtocolError):
    """Plaintext mode: a (timestamp, nonce) pair already carried another body (→ 403)."""


class ForeignAccount(WeChatProtocolError):
    """A push addressed to another ToUserName than WECHAT_ORIGINAL_ID (→ 403)."""
