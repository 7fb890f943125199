"""Readiness: does the database accept a write right now?

`/healthz` only reads (`SELECT 1`), and a read still works on a full disk, a read-only
database file or a PostgreSQL standby while every push fails. Readiness commits one
small upsert, so it fails exactly when the dispatcher's writes would.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.kv import kv_set
from storage.transactions import transaction

log = logging.getLogger(__name__)

PROBE_KEY = "readiness:probe"


def accepts_writes(engine: Engine, now: datetime) -> bool:
    """True when a write was committed (blocking: call it from a thread)."""
    try:
        with transaction(engine) as session:
            kv_set(session=session, key=PROBE_KEY, value=now.isoformat(), expires_at=None)
        return True
    except (SQLAlchemyError, OSError) as error:
        # The driver's message names the failure (read-only, disk full), never user data.
        log.warning("readiness: database refused a write: %s", getattr(error, "orig", error))
        return False
