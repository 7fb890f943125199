"""Exact peer-segment counters (flows.peer_segments), filled from the answer rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The segment definition of this revision (flows.peer_segments): suppliers, one segment
# per commodity chosen. Frozen here on purpose: a migration must not follow later code.
_MEMBERS = """
    SELECT DISTINCT r.flow_id AS flow_id, r.session_id AS session_id, c.option_id AS segment
    FROM answer r JOIN answer c ON c.session_id = r.session_id
    WHERE r.question_id = 'role' AND r.option_id = 'supplier'
      AND c.question_id = 'commodity' AND c.option_id IS NOT NULL
"""
_FILL = (
    f"""INSERT INTO segment_counter (flow_id, segment, question_id, option_id, count)
    SELECT m.flow_id, m.segment, '', '', COUNT(*) FROM ({_MEMBERS}) m
    GROUP BY m.flow_id, m.segment""",
    f"""INSERT INTO segment_counter (flow_id, segment, question_id, option_id, count)
    SELECT m.flow_id, m.segment, a.question_id, '', COUNT(DISTINCT a.session_id)
    FROM ({_MEMBERS}) m JOIN answer a ON a.session_id = m.session_id
    GROUP BY m.flow_id, m.segment, a.question_id""",
    f"""INSERT INTO segment_counter (flow_id, segment, question_id, option_id, count)
    SELECT m.flow_id, m.segment, a.question_id, a.option_id, COUNT(DISTINCT a.session_id)
    FROM ({_MEMBERS}) m JOIN answer a ON a.session_id = m.session_id
    WHERE a.option_id IS NOT NULL
    GROUP BY m.flow_id, m.segment, a.question_id, a.option_id""",
)


def upgrade() -> None:
    op.create_table(
        "segment_counter",
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("segment", sa.String(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("option_id", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "flow_id", "segment", "question_id", "option_id", name="pk_segment_counter"
        ),
    )
    for statement in _FILL:
        op.execute(sa.text(statement))


def downgrade() -> None:
    op.drop_table("segment_counter")
