"""A message's first statement on PostgreSQL: claim its dedupe row and lock its sender.

`storage.inbound.claim_inbound` then `storage.respondents.lock_respondent` were two
round trips on every message. On PostgreSQL one statement does both, in the same order:

    WITH claim AS (INSERT INTO processed_message … ON CONFLICT DO NOTHING RETURNING id),
         touched AS (UPDATE respondent SET … WHERE <sender> AND EXISTS (SELECT FROM claim)
                     RETURNING …)
    SELECT (SELECT id FROM claim), touched.* FROM (SELECT 1) AS one LEFT JOIN touched ON true

The INSERT still waits for a concurrent copy's transaction and then inserts nothing (a
retry: the respondent is neither touched nor locked); the UPDATE still holds the row
lock until commit, and under READ COMMITTED it returns the row as the lock holder left
it. The session state is loaded by the *next* statement, whose snapshot is taken after
the lock was granted (aiogram #1317: load after locking): it goes in the same round trip
(`precompiled.rows_together`), finding the respondent by channel and user id, and is
handed on as `Claimed.latest` for the route (bot.surveys.router). A first message from
someone new claims here and creates the respondent with `lock_respondent` (its INSERT
path); what was read ahead for them is dropped (another worker's first message may
create their session while this one waits for the lock), and the route reads it then.
SQLite keeps the two statements: BEGIN IMMEDIATE has serialised the writers already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, literal, select, true
from sqlmodel import Session

from storage import precompiled
from storage.inbound import ClaimedMessage, claim_inbound, claim_statement
from storage.respondents import RespondentRow, _respondent_row, _touch, lock_respondent
from storage.session_rows import LATEST_SESSION_OF_SENDER, LatestSession, latest_of_sender
from storage.transactions import connection_of


@dataclass(frozen=True)
class Claimed:
    message: ClaimedMessage | None  # None: an earlier copy was processed (a retry)
    respondent: RespondentRow | None  # locked; None for a retry
    # Their newest session row, read right after the lock (None: not read ahead).
    latest: LatestSession | None = None


def _statement(*, with_source: bool) -> Select[tuple[object, ...]]:
    claim = claim_statement("postgresql").cte("claim")
    touch = _touch(with_source=with_source)
    touched = touch.where(exists(select(claim.c.id))).cte("touched")
    one = select(literal(1).label("one")).subquery("one")
    claimed = select(claim.c.id).scalar_subquery().label("claimed_id")
    return select(claimed, *touched.c).select_from(one.outerjoin(touched, true()))


_CLAIM_AND_TOUCH = _statement(with_source=False)
_CLAIM_AND_TOUCH_WITH_SOURCE = _statement(with_source=True)


def claim_and_lock(
    *,
    session: Session,
    channel: str,
    channel_user_id: str,
    dedupe_key: str,
    now: datetime,
    source: str | None = None,
) -> Claimed:
    """Claim the message (`claim_inbound`), then get or create and lock its sender
    (`lock_respondent`): one statement on PostgreSQL when the sender exists."""
    conn = connection_of(session)
    if conn.dialect.name != "postgresql":
        message = claim_inbound(session=session, channel=channel, dedupe_key=dedupe_key, now=now)
        if message is None:
            return Claimed(None, None)
        return Claimed(message, _lock(session, channel, channel_user_id, now, source))
    params: dict[str, object] = {
        "channel": channel,
        "dedupe_key": dedupe_key,
        "now": now,
        "match_channel": channel,
        "match_user": channel_user_id,
    }
    statement = _CLAIM_AND_TOUCH
    if source:
        statement, params["new_source"] = _CLAIM_AND_TOUCH_WITH_SOURCE, source
    sender = {"sender_channel": channel, "sender_user": channel_user_id}
    found, latest = precompiled.rows_together(
        conn, (statement, params), (LATEST_SESSION_OF_SENDER, sender)
    )
    claimed_id, *respondent = found[0]  # one row always: (SELECT 1) left-joined
    if claimed_id is None:
        return Claimed(None, None)
    message = ClaimedMessage(id=int(claimed_id), channel=channel, dedupe_key=dedupe_key)
    if respondent[0] is None:  # someone new: created (and locked) the usual way
        return Claimed(message, _lock(session, channel, channel_user_id, now, source))
    return Claimed(message, _respondent_row(respondent), latest_of_sender(conn, latest))


def _lock(
    session: Session, channel: str, user: str, now: datetime, source: str | None
) -> RespondentRow:
    return lock_respondent(
        session=session, channel=channel, channel_user_id=user, now=now, source=source
    )
