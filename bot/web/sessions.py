"""Dashboard sessions kept on the server, so that signing out ends them everywhere.

The cookie names a random session id (signed with the member); the id lives in the
database until it expires or the member signs out. A copied cookie stops working at
sign-out, on every worker and host.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import StaffMember
from storage.kv import kv_delete, kv_get, kv_set
from storage.transactions import run_in_transaction, transaction

_KEY = "web:session:"


async def open_session(engine: Engine, member: StaffMember, now: datetime, ttl_s: int) -> str:
    sid = secrets.token_urlsafe(24)
    expires = now + timedelta(seconds=ttl_s)

    def write(session: Session) -> None:
        kv_set(session=session, key=_KEY + sid, value=str(member), expires_at=expires)

    await anyio.to_thread.run_sync(run_in_transaction, engine, write)
    return sid


async def session_member(engine: Engine, sid: str, now: datetime) -> str | None:
    """The member ('channel:id') of a live session, or None (signed out, expired)."""

    def read() -> str | None:
        with transaction(engine, readonly=True) as session:
            return kv_get(session=session, key=_KEY + sid, now=now)

    return await anyio.to_thread.run_sync(read)


async def close_session(engine: Engine, sid: str) -> None:
    def write(session: Session) -> None:
        kv_delete(session=session, key=_KEY + sid)

    await anyio.to_thread.run_sync(run_in_transaction, engine, write)
