"""Keyed hashes that stand in for a person's platform id where a row must outlive them.

Dedupe rows and audit rows of non-staff senders are kept after "delete my data" (a
retry must still get its stored reply; denied attempts still count), so they never hold
the openid or Telegram id itself: HMAC-SHA256 under a key derived from the signing
secret (SURVEYBOT_SECRET_KEY, or the one kept in the database). Without the key a tag
cannot be tied back to a person, not even by hashing a known id.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Pseudonyms:
    key: bytes = b""

    @classmethod
    def from_secret(cls, secret: str) -> Pseudonyms:
        return cls(hashlib.sha256(b"surveybot:pseudonyms:" + secret.encode("utf-8")).digest())

    def _tag(self, purpose: str, *parts: str) -> str:
        message = "\x1f".join((purpose, *parts)).encode("utf-8")
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def dedupe_key(self, channel: str, user_id: str, platform_key: str) -> str:
        """One inbound message's identity: the sender and the platform's message key.

        Keyed by the sender: Telegram reuses update ids (random after a week without
        updates) and WeChat MsgIds are only unique per user, so a key alone could hand
        one person's stored reply to another."""
        return self._tag("dedupe", channel, user_id, platform_key)

    def actor(self, actor: str) -> str:
        """An audit actor who is not staff (e.g. a respondent trying a staff command)."""
        return "anon:" + self._tag("actor", actor)[:24]
