"""The answer rows of one question in session order: index ix_answer_flow_question_session.

(flow_id, question_id, session_id, option_id): a cross-tab reads each question's rows
in session order from the index alone, so the two questions and an answer filter meet
in merge joins, with no hash of a million sessions and no sort (docs/benchmarks.md,
the filtered cross-tab at 1,000,000 respondents).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_answer_flow_question_session",
        "answer",
        ["flow_id", "question_id", "session_id", "option_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_answer_flow_question_session", table_name="answer")
