"""Signed, expiring links for staff (dashboard login, export downloads).

itsdangerous' URL-safe timed serializer: a link names its purpose and the staff member,
and stops working after `max_age`. The key is SURVEYBOT_SECRET_KEY or, when unset, one
generated once and kept in the database so every worker signs and checks alike.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session

from storage.kv import kv_get, kv_set
from storage.transactions import run_in_transaction

_KEY = "web:secret_key"
DASHBOARD_TTL_S = 12 * 3600
# An export link holds every respondent's answers: minutes, and one download only.
EXPORT_TTL_S = 10 * 60


class InvalidLink(Exception):
    """A forged, altered, expired or wrong-purpose link."""


@dataclass(frozen=True)
class Signer:
    secret: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"surveybot:{purpose}")

    def sign(self, purpose: str, subject: str) -> str:
        return self._serializer(purpose).dumps(subject)

    def verify(self, purpose: str, token: str, *, max_age: int) -> str:
        try:
            subject = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise InvalidLink("link expired") from None
        except BadSignature:
            raise InvalidLink("invalid link") from None
        return str(subject)


def load_signer(engine: Engine, configured: str | None) -> Signer:
    if configured:
        return Signer(configured)
    now = datetime.now(UTC)

    def get_or_create(session: Session) -> str:
        existing = kv_get(session=session, key=_KEY, now=now, for_update=True)
        if existing:
            return existing
        fresh = secrets.token_urlsafe(32)
        kv_set(session=session, key=_KEY, value=fresh, expires_at=None)
        return fresh

    return Signer(run_in_transaction(engine, get_or_create))
