"""A colleague who takes over their organisation's (or plant's) answers (issue 20 §1).

`organisation_link.took_over_at`: set when a second person of an already counted unit
chooses to take over; under `counting: organisation` or `plant` the unit's counted
answers are then that person's (storage.unit_sessions says the rule).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation_link") as batch:
        batch.add_column(sa.Column("took_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisation_link") as batch:
        batch.drop_column("took_over_at")
