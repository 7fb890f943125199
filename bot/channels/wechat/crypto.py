"""Signatures, replay window and AES message encryption of WeChat's push protocol.

Protocol (WeChat docs "接入指南" and "消息加解密说明", summarised in PLATFORM_NOTES):
- plaintext mode: signature = sha1(''.join(sorted([token, timestamp, nonce])))
- safe mode: msg_signature = sha1(''.join(sorted([token, timestamp, nonce, Encrypt])))
- Encrypt = base64(AES-256-CBC(key, iv=key[:16], PKCS7_32(random16 + len32be + xml + appid)))
  with key = base64decode(EncodingAESKey + "=").

Written on `cryptography` directly rather than wechatpy's PrpCrypto: wechatpy compares
signatures with `!=`, never checks the padding or the length field, and so turns hostile
ciphertext into IndexErrors instead of a clean rejection.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wechat.errors import (
    ForeignAppId,
    InvalidSignature,
    MalformedMessage,
    ReplayedRequest,
)

REPLAY_WINDOW_S = 300  # pushes more than 5 minutes off our clock are refused
_BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16 (PKCS7 with k=32)
_RANDOM_PREFIX = 16


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _compare(expected: str, given: str) -> None:
    # compare_digest: no timing side channel on how many leading characters matched.
    if not given or not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise InvalidSignature("signature mismatch")


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Plaintext mode (and the GET URL check): raise InvalidSignature on mismatch."""
    _compare(sha1_signature(token, timestamp, nonce), signature)


def check_msg_signature(
    token: str, msg_signature: str, timestamp: str, nonce: str, encrypt: str
) -> None:
    """Safe mode: the signature also covers the ciphertext."""
    _compare(sha1_signature(token, timestamp, nonce, encrypt), msg_signature)


def check_timestamp(timestamp: str | int, now: float, window: int = REPLAY_WINDOW_S) -> None:
    """WeChat itself has no replay protection (wechatpy neither): a captured push with a
    valid signature could be sent again forever. Refuse anything more than `window`
    seconds off, in either direction (clock skew goes both ways)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        raise ReplayedRequest("timestamp is not an integer") from None
    if abs(now - ts) > window:
        raise ReplayedRequest("timestamp outside the replay window")


def _pkcs7_pad(data: bytes) -> bytes:
    pad = _BLOCK - len(data) % _BLOCK
    return data + bytes([pad]) * pad


def _pkcs7_unpad(data: bytes) -> bytes:
    pad = data[-1] if data else 0
    if not 1 <= pad <= _BLOCK or data[-pad:] != bytes([pad]) * pad:
        raise MalformedMessage("bad padding")
    return data[:-pad]


class MessageCrypto:
    """AES part of safe mode for one Official Account (token + EncodingAESKey + appid)."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("EncodingAESKey is not base64") from None
        if len(key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._app_id = app_id.encode("utf-8")
        # Immutable and reusable: each message gets its own encryptor/decryptor from it.
        self._cipher_obj = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def _cipher(self) -> Cipher[modes.CBC]:
        return self._cipher_obj

    def decrypt(self, encrypt: str) -> str:
        """The XML inside an Encrypt value. Raises MalformedMessage or ForeignAppId.

        Call only after check_msg_signature: the signature (keyed by the secret token)
        is what stops an attacker from probing the unauthenticated CBC decryption.
        """
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedMessage("Encrypt is not base64") from None
        if not raw or len(raw) % 16:
            raise MalformedMessage("ciphertext length is not a multiple of the block size")
        decryptor = self._cipher().decryptor()
        plain = _pkcs7_unpad(decryptor.update(raw) + decryptor.finalize())
        body = plain[_RANDOM_PREFIX:]
        if len(body) < 4:
            raise MalformedMessage("plaintext too short")
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise MalformedMessage("length field exceeds the plaintext")
        xml, app_id = body[4 : 4 + length], body[4 + length :]
        if not hmac.compare_digest(app_id, self._app_id):
            raise ForeignAppId("message is for another appid")
        try:
            return xml.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedMessage("plaintext is not UTF-8") from None

    def encrypt(self, xml: str, *, random_prefix: bytes | None = None) -> str:
        """The Encrypt value for `xml`; `random_prefix` (16 bytes) only for tests."""
        prefix = os.urandom(_RANDOM_PREFIX) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_PREFIX:
            raise ValueError("random_prefix must be 16 bytes")
        data = xml.encode("utf-8")
        plain = _pkcs7_pad(prefix + struct.pack(">I", len(data)) + data + self._app_id)
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str) -> str:
        """The passive-reply envelope of safe mode, signed like an inbound push."""
        encrypt = self.encrypt(xml)
        signature = sha1_signature(self._token, timestamp, nonce, encrypt)
        # Encrypt is base64 and signature hex; timestamp and nonce are ours: no escaping needed.
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
