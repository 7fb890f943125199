"""Contact references are never given twice: `contact_request` with AUTOINCREMENT on SQLite.

A request's reference ("C-000123") is its id. SQLite hands out the highest rowid + 1, so
once a respondent had deleted their data with the newest request in it, the next request
got the same id and the same reference: staff who had noted C-000001 for one person found
somebody else under it. With AUTOINCREMENT SQLite never gives an id twice (its
`sqlite_sequence` keeps the highest ever used; the copy below records the highest present).
PostgreSQL's sequences never reuse a value: nothing changes there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A batch copy is safe here: no table has a foreign key to `contact_request`.
def _autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "contact_request", recreate="always", table_kwargs={"sqlite_autoincrement": on}
    ):
        pass


def upgrade() -> None:
    _autoincrement(True)


def downgrade() -> None:
    _autoincrement(False)
