""" "Delete my data": what identifies the person beyond their answers, contacts, sessions.

`storage.answers` deletes the answers (counting them out), sessions and contact
requests; this removes the rest, in the same transaction:
- every outbox row addressed to them (reply tails, charts, held broadcasts), sent or not;
- the replies stored for their messages (they quote answers and contact details);
- their platform id: the respondent row stays (its id is what the dedupe rows of their
  messages point at, so a late retry still gets its stored reply and changes nothing) but
  its channel user id becomes a random token; the next message from the same platform id
  starts a new respondent;
- what was queued or paged for someone else but shows their contact details (a staff
  alert not yet sent, the overflow of a staff `/contacts` reply): its text is cleared;
- which organisation they said they answer for (`organisation_link`); the organisation
  itself (a company name, not personal data) stays for their colleagues;
- their own pending pages (`pages:<channel>:<id>` rows: the rest of a long reply), and
  the flag saying they wait (`respondent.pages_waiting`). Others' pages rows that quote
  them go too; their flags stay set over nothing, which their next message clears;
- audit rows naming them as actor (written as keyed hashes since, see
  `bot.dispatch.pseudonyms`; older rows named them in clear) say "erased" instead.
Dedupe keys are keyed hashes of (sender, message key) and hold no id in clear.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, delete, or_, update
from sqlmodel import Session

from storage.inbound import forget_replies
from storage.models import CLEARED, AuditLog, KeyValue, Outbox, Respondent
from storage.organisations import forget_links
from storage.transactions import connection_of

_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_RESPONDENT: Table = Respondent.__table__  # type: ignore[attr-defined]
_AUDIT: Table = AuditLog.__table__  # type: ignore[attr-defined]
_KV: Table = KeyValue.__table__  # type: ignore[attr-defined]
# Shorter values (a 2-letter name) would match unrelated texts; such a value alone
# identifies nobody in someone else's message.
MIN_MENTION = 4

ERASED_PREFIX = "erased:"


def erase_identity(
    *,
    session: Session,
    respondent_id: int,
    channel: str,
    channel_user_id: str,
    details: Iterable[str] = (),
) -> int:
    """Remove what still names the respondent; returns the outbox rows deleted.

    `details`: the JSON details of their contact requests (being deleted), whose values
    are looked for in what was queued or paged for others."""
    conn = connection_of(session)
    outbox = conn.execute(
        delete(_OUTBOX).where(_OUTBOX.c.channel == channel, _OUTBOX.c.recipient == channel_user_id)
    )
    conn.execute(delete(_KV).where(_KV.c.key == f"pages:{channel}:{channel_user_id}"))
    mentions = sorted(set(_mentions(details)))
    if mentions:
        conn.execute(
            update(_OUTBOX)
            .where(or_(*(_OUTBOX.c.payload_json.contains(m, autoescape=True) for m in mentions)))
            .values(payload_json=CLEARED)
        )
        conn.execute(
            delete(_KV).where(
                _KV.c.key.startswith("pages:"),
                or_(*(_KV.c.value.contains(m, autoescape=True) for m in mentions)),
            )
        )
    forget_replies(session=session, respondent_id=respondent_id)
    forget_links(session=session, respondent_id=respondent_id)
    conn.execute(
        update(_RESPONDENT)
        .where(_RESPONDENT.c.id == respondent_id)
        .values(
            channel_user_id=ERASED_PREFIX + secrets.token_hex(16),
            source=None,
            active=False,
            subscribed_updates=False,
            pages_waiting=False,  # their pages row is deleted above
        )
    )
    conn.execute(
        update(_AUDIT)
        .where(_AUDIT.c.actor == f"{channel}:{channel_user_id}")
        .values(actor=ERASED_PREFIX.rstrip(":"))
    )
    return int(outbox.rowcount or 0)


def _mentions(details: Iterable[str]) -> Iterator[str]:
    for raw in details:
        try:
            values = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(values, dict):
            continue
        for value in values.values():
            if isinstance(value, str) and len(value.strip()) >= MIN_MENTION:
                yield value.strip()
