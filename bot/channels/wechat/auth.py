"""Every check that can refuse a WeChat push, in order, before the dispatcher sees it.

1. The URL: `signature` (sha1 of token, timestamp, nonce) and the replay window. WeChat
   puts `signature` on every push in every mode, so a forged URL is refused before its
   body is read (no waiting on a slow or huge upload from a stranger).
2. The mode (`MessageMode`): with an EncodingAESKey configured, `encrypt_type` must be
   exactly `aes` and the body's `Encrypt` must carry a valid `msg_signature`; only the
   decrypted message (whose AppId must be ours) is used. Without a key, `signature`
   does not cover the body, so each (timestamp, nonce) pair may carry one body only.
3. The account: with WECHAT_ORIGINAL_ID set, a push to another ToUserName is refused.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from bot.channels.http_edge import read_limited
from bot.channels.wechat.config import MessageMode, WeChatConfig
from bot.channels.wechat.crypto import (
    MessageCrypto,
    check_msg_signature,
    check_signature,
    check_timestamp,
)
from bot.channels.wechat.errors import (
    ForeignAccount,
    InvalidSignature,
    MalformedMessage,
    ReusedNonce,
)
from bot.channels.wechat.nonces import PushNonces
from bot.channels.wechat.xml import MAX_BODY_BYTES, WeChatMessage, extract_encrypt, parse_message

# WeChat's nonces are about ten digits; anything much longer is not from WeChat.
MAX_NONCE_CHARS = 64
# What plaintext-mode URLs may say about encryption (absent, or "raw" as some SDK docs
# show); compatible and safe mode always say exactly "aes".
_PLAIN_ENCRYPT_TYPES = (None, "raw")


class PushAuthenticator:
    def __init__(self, config: WeChatConfig, nonces: PushNonces) -> None:
        self._config = config
        self._nonces = nonces
        self._mode = config.mode
        self._crypto = (
            MessageCrypto(config.token, config.encoding_aes_key, config.app_id)
            if config.encoding_aes_key and self._mode is not MessageMode.PLAIN
            else None
        )

    async def authenticate(
        self, request: Request, now: datetime
    ) -> tuple[WeChatMessage, MessageCrypto | None]:
        """The message and, in compatible/safe mode, the crypto to answer it with.

        Raises a `WeChatProtocolError` (the route turns it into 403/400/413)."""
        q = request.query_params
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if len(nonce) > MAX_NONCE_CHARS:
            raise MalformedMessage("nonce too long")
        check_signature(self._config.token, q.get("signature", ""), timestamp, nonce)
        check_timestamp(timestamp, now.timestamp())
        encrypt_type = q.get("encrypt_type")
        if self._crypto is not None:
            if encrypt_type != "aes":
                raise InvalidSignature(f"{self._mode} mode: push without encrypt_type=aes")
            body = await read_limited(request, MAX_BODY_BYTES)
            encrypt = extract_encrypt(body)
            check_msg_signature(
                self._config.token, q.get("msg_signature", ""), timestamp, nonce, encrypt
            )
            msg = parse_message(self._crypto.decrypt(encrypt))  # also checks the AppId
        else:
            if encrypt_type not in _PLAIN_ENCRYPT_TYPES:
                raise InvalidSignature("plain mode: encrypted push, no EncodingAESKey configured")
            body = await read_limited(request, MAX_BODY_BYTES)
            msg = parse_message(body)
        self._check_account(msg)
        if self._crypto is None and not await self._nonces.claim(
            int(timestamp), nonce, body, now=now.timestamp()
        ):
            raise ReusedNonce("timestamp and nonce already carried another body")
        return msg, self._crypto

    def _check_account(self, msg: WeChatMessage) -> None:
        wanted = self._config.original_id
        if wanted and msg.to_user != wanted:
            raise ForeignAccount("push addressed to another account")
