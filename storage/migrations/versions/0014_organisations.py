"""Organisations, the respondents' links to them and the likenesses staff confirm (issue 20 §1).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["merged_into"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_organisation_name_key", "organisation", ["name_key"])
    op.create_index("ix_organisation_code", "organisation", ["code"])
    op.create_table(
        "organisation_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name_given", sa.String(), nullable=False),
        sa.Column("code_given", sa.String(), nullable=True),
        sa.Column("plant_given", sa.String(), nullable=True),
        sa.Column("plant_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["respondent_id"], ["respondent.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("respondent_id", "flow_id"),
    )
    op.create_index("ix_organisation_link_respondent_id", "organisation_link", ["respondent_id"])
    op.create_index(
        "ix_organisation_link_organisation_id", "organisation_link", ["organisation_id"]
    )
    op.create_table(
        "organisation_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["candidate_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "candidate_id"),
    )


def downgrade() -> None:
    op.drop_table("organisation_match")
    op.drop_index("ix_organisation_link_organisation_id", table_name="organisation_link")
    op.drop_index("ix_organisation_link_respondent_id", table_name="organisation_link")
    op.drop_table("organisation_link")
    op.drop_index("ix_organisation_code", table_name="organisation")
    op.drop_index("ix_organisation_name_key", table_name="organisation")
    op.drop_table("organisation")
