"""Plaintext-mode WeChat pushes: one body per (timestamp, nonce) pair, for all workers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_push_nonce",
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("body_sha256", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("timestamp", "nonce", name="pk_wechat_push_nonce"),
    )


def downgrade() -> None:
    op.drop_table("wechat_push_nonce")
