"""Segment counters keyed by the flow file's declared segment (`segments:`).

Revision 0004 hard-wired one segment (suppliers, by commodity) and named each by the
commodity alone. Segments are now declared per survey and named
`<declaration>:<option>` (flows.peer_segments.segment_id); the rows 0004 filled are the
declaration `{within: {role: supplier}, by: commodity}`, so they get its name. A survey
whose newest version declares other segments is recounted when it is published
(`surveybot surveys rebuild-segments ID` does it by hand; `surveybot db verify` checks).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The name of 0004's segment declaration; frozen: a migration must not follow later code.
_PREFIX = "role=supplier/commodity:"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE segment_counter SET segment = :prefix || segment WHERE segment NOT LIKE '%:%'"
        ).bindparams(prefix=_PREFIX)
    )


def downgrade() -> None:
    # 0004 knows only its own segment: other declarations' counters cannot be kept.
    op.execute(
        sa.text("DELETE FROM segment_counter WHERE segment NOT LIKE :like").bindparams(
            like=_PREFIX + "%"
        )
    )
    op.execute(
        sa.text("UPDATE segment_counter SET segment = SUBSTR(segment, :start)").bindparams(
            start=len(_PREFIX) + 1
        )
    )
