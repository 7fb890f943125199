"""An index for "the newest free texts of one question": staff /stats and the dashboard.

Partial (`WHERE text IS NOT NULL`): option rows, most of the answer table, stay out of
it. Ordered like the query (`created_at DESC, id DESC`), so the N newest texts are the
first N entries of the index, however many texts a question has.

Built inside the upgrade's transaction (not CONCURRENTLY): writes to `answer` wait
while PostgreSQL reads the table once (1.7 s at 18 million answer rows with the table
in memory; docs/benchmarks.md). `surveybot serve` migrates before any worker starts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_answer_free_text_newest"
_HAS_TEXT = "text IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        _NAME,
        "answer",
        ["flow_id", "question_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text(_HAS_TEXT),
        sqlite_where=sa.text(_HAS_TEXT),
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="answer")
