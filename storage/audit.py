"""The audit trail: who did what (staff commands, exports, data deletions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AuditLog


def audit(*, session: Session, actor: str, action: str, detail: str, now: datetime) -> AuditLog:
    entry = AuditLog(actor=actor, action=action, detail=detail, created_at=now)
    session.add(entry)
    return entry


def recent_audit(*, session: Session, limit: int = 50) -> Sequence[AuditLog]:
    return session.exec(
        select(AuditLog)
        .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        .limit(limit)
    ).all()
