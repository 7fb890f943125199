"""An index for "which versions of a survey have sessions" and per-version counts.

Staff /stats and the dashboard ask for the versions a survey's sessions are on: without
this index a DISTINCT over every session (170-490 ms at 1,000,000 respondents, so /stats
missed its 50 ms). With it, one index probe per version (`storage.surveys
.answered_versions`), and `version_counts` reads the index alone.

Built inside the upgrade's transaction, like 0002: writes to `survey_session` wait while
PostgreSQL reads the table once. `surveybot serve` migrates before any worker starts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_survey_session_flow_version"


def upgrade() -> None:
    op.create_index(_NAME, "survey_session", ["flow_id", "flow_version", "completed_at"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="survey_session")
