""" "Delete my data": what identifies the person beyond their answers, contacts, sessions.

`storage.answers` deletes the answers (counting them out), sessions and contact
requests; this removes the rest, in the same transaction:
- every outbox row addressed to them (reply tails, charts, held broadcasts), sent or not;
- the replies stored for their messages (they quote answers and contact details);
- their platform id: the respondent row stays (its id is what the dedupe rows of their
  messages point at, so a late retry still gets its stored reply and changes nothing) but
  its channel user id becomes a random token; the next message from the same platform id
  starts a new respondent;
- audit rows naming them as actor (written as keyed hashes since, see
  `bot.pseudonyms`; older rows named them in clear) say "erased" instead.
Dedupe keys are keyed hashes of (sender, message key) and hold no id in clear.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Table, delete, update
from sqlmodel import Session

from storage.db import connection_of
from storage.inbound import forget_replies
from storage.models import AuditLog, Outbox, Respondent

_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]
_AUDIT: Table = AuditLog.__table__  # type: ignore[attr-defined]

ERASED_PREFIX = "erased:"


def erase_identity(
    *, session: Session, respondent_id: int, channel: str, channel_user_id: str
) -> int:
    """Remove what still names the respondent; returns the outbox rows deleted."""
    conn = connection_of(session)
    outbox = conn.execute(
        delete(_OUTBOX).where(_OUTBOX.c.channel == channel, _OUTBOX.c.recipient == channel_user_id)
    )
    forget_replies(session=session, respondent_id=respondent_id)
    conn.execute(
        update(_RESPONDENT)
        .where(_RESPONDENT.c.id == respondent_id)
        .values(
            channel_user_id=ERASED_PREFIX + secrets.token_hex(16),
            source=None,
            active=False,
            subscribed_updates=False,
        )
    )
    conn.execute(
        update(_AUDIT)
        .where(_AUDIT.c.actor == f"{channel}:{channel_user_id}")
        .values(actor=ERASED_PREFIX.rstrip(":"))
    )
    return int(outbox.rowcount or 0)
