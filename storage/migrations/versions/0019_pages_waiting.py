"""Pages waiting: `respondent.pages_waiting`, so a push reads the key-value table only
when something waits there.

Every WeChat push used to read its follower's `pages:<channel>:<id>` row (pages of a
long reply waiting for "更多 / more", or texts the API could not deliver) although there
almost never is one: a statement a push (docs/benchmarks.md, issue 21). The flag comes
back with the respondent's row lock (storage.respondents), and is set in the transaction
that stores pages and cleared in the one that deletes them
(storage.respondents.set_pages_waiting). Added with a server default (no row rewritten on
PostgreSQL 11+), then set for the followers who have such a row now, unexpired.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same SQL on both databases: `||` concatenates, CURRENT_TIMESTAMP is UTC on SQLite
# and compares with its stored UTC wall time as text.
_BACKFILL = """
UPDATE respondent SET pages_waiting = true
WHERE EXISTS (
    SELECT 1 FROM key_value
    WHERE key_value.key = 'pages:' || respondent.channel || ':' || respondent.channel_user_id
      AND (key_value.expires_at IS NULL OR key_value.expires_at > CURRENT_TIMESTAMP)
)
"""


# Plain ALTER TABLE on both databases, as 0011: a batch copy of `respondent` would trip
# the foreign keys of every table pointing at it.
def upgrade() -> None:
    column: sa.Column[bool] = sa.Column(
        "pages_waiting", sa.Boolean(), nullable=False, server_default=sa.false()
    )
    op.add_column("respondent", column)
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_column("respondent", "pages_waiting")
