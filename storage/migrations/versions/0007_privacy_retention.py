"""Erasure and retention: outbox rows by recipient, sent payloads to clear, new dedupe keys.

- `ix_outbox_channel_recipient`: "delete my data" removes every outbox row addressed to
  the person (their reply tails, charts, held broadcasts) without reading the table.
- `ix_outbox_sent_payload`: the retention job clears the payloads of rows sent before
  its cutoff; the partial index holds only the sent rows not cleared yet, so each round
  reads what it changes, however many cleared rows there are.
- Dedupe keys are now keyed hashes of (sender, message key) (bot.dispatch.pseudonyms): rows in the
  old format, which held openids in clear, can never match a new key and are dropped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECIPIENT = "ix_outbox_channel_recipient"
_SENT = "ix_outbox_sent_payload"
_UNCLEARED = sa.text("sent_at IS NOT NULL AND payload_json <> '{}'")


def upgrade() -> None:
    op.create_index(_RECIPIENT, "outbox", ["channel", "recipient"])
    op.create_index(
        _SENT, "outbox", ["sent_at"], postgresql_where=_UNCLEARED, sqlite_where=_UNCLEARED
    )
    op.execute("DELETE FROM processed_message")


def downgrade() -> None:
    op.drop_index(_SENT, table_name="outbox")
    op.drop_index(_RECIPIENT, table_name="outbox")
