"""One reminder per stopped session, and the respondents who want none (issue 17 §7).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("survey_session_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["survey_session_id"], ["survey_session.id"]),
        sa.ForeignKeyConstraint(["respondent_id"], ["respondent.id"]),
        sa.PrimaryKeyConstraint("survey_session_id"),
    )
    op.create_index("ix_reminder_respondent_id", "reminder", ["respondent_id"])
    op.create_table(
        "reminder_opt_out",
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["respondent_id"], ["respondent.id"]),
        sa.PrimaryKeyConstraint("respondent_id"),
    )


def downgrade() -> None:
    op.drop_table("reminder_opt_out")
    op.drop_index("ix_reminder_respondent_id", table_name="reminder")
    op.drop_table("reminder")
