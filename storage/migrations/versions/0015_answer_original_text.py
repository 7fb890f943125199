"""Numbers with units: `answer.original_text` keeps what the respondent wrote.

A numeric question with a unit stores the converted number in `answer.text` ("15000")
and the respondent's own words beside it ("1.5万吨"), see `flows.quantities`. Nullable,
so existing rows stay as they are.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("answer", sa.Column("original_text", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("answer", "original_text")
