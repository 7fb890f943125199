"""One body per signed plaintext-mode WeChat URL, shared by every worker and host.

INSERT … ON CONFLICT DO NOTHING, then compare: on PostgreSQL a concurrent push under the
same pair waits for the first transaction and then sees its row; on SQLite BEGIN
IMMEDIATE queues the second transaction behind the first.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.db import upsert
from storage.models import WeChatPushNonce


def claim_push_nonce(
    *, session: Session, timestamp: int, nonce: str, body_sha256: str, oldest: int
) -> bool:
    """True when the pair is new or carried this very body before (a retry); False when
    it carried another body. Rows with a timestamp before `oldest` are pruned first."""
    session.exec(delete(WeChatPushNonce).where(col(WeChatPushNonce.timestamp) < oldest))
    inserted = session.exec(
        upsert(session, WeChatPushNonce)
        .values(timestamp=timestamp, nonce=nonce, body_sha256=body_sha256)
        .on_conflict_do_nothing(index_elements=["timestamp", "nonce"])
        .returning(col(WeChatPushNonce.timestamp))
    ).first()
    if inserted is not None:
        return True
    stored = session.exec(
        select(col(WeChatPushNonce.body_sha256)).where(
            col(WeChatPushNonce.timestamp) == timestamp, col(WeChatPushNonce.nonce) == nonce
        )
    ).first()
    return stored == body_sha256
