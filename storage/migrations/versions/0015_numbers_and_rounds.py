"""Numbers with units and survey rounds: two nullable `answer` columns.

- `original_text`: a numeric question with a unit stores the converted number in
  `answer.text` ("15000") and the respondent's own words here ("1.5万吨"), see
  `flows.quantities`.
- `carried`: on a survey that repeats an earlier one, whether this answer kept
  ("kept") or changed ("changed") the respondent's earlier-round answer (`flows.rounds`).

Nullable, so existing rows stay as they are.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("answer", sa.Column("original_text", sa.Text(), nullable=True))
    op.add_column("answer", sa.Column("carried", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("answer", "carried")
    op.drop_column("answer", "original_text")
