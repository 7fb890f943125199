"""Test respondents: `respondent.is_test` (staff's /test runs and data marked as test).

Their answers are counted apart (`storage.test_data`): every figure, chart and export
leaves them out unless asked to include them. The column is added with a server default,
so existing rows are real respondents and the upgrade rewrites no row on PostgreSQL 11+.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch
# copy of `respondent` would trip the foreign keys of every table pointing at it.
def upgrade() -> None:
    column: sa.Column[bool] = sa.Column(
        "is_test", sa.Boolean(), nullable=False, server_default=sa.false()
    )
    op.add_column("respondent", column)


def downgrade() -> None:
    op.drop_column("respondent", "is_test")
