"""Exact survey-session counters, filled from the sessions; indexes for what they cannot answer.

`session_counter` (storage.session_counters) counts sessions per survey version,
channel, language, real/test, started hour and hours to completion, so the dashboard
and /progress stop reading every session. The upgrade fills it from the existing rows
in one GROUP BY. The indexes serve what counters hold no hour for (counts since a moment
inside an hour), the unfinished sessions (where respondents stopped; the reminder scan),
"leave test respondents out" (the few test rows instead of every respondent), and
cross-tabs and answer filters: `ix_answer_flow_question_option` gains `session_id`, so
they read the index alone, not the answer rows.

Built inside the upgrade's transaction, like 0005: writes to `survey_session` wait while
PostgreSQL reads the table.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose (a migration must not follow later code): the hour a session
# started, in UTC, and whole hours from it to the hour it completed (-1: not completed).
_HOURS = {
    "postgresql": (
        "date_trunc('hour', s.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
        "CASE WHEN s.completed_at IS NULL THEN -1 ELSE CAST(EXTRACT(EPOCH FROM"
        " date_trunc('hour', s.completed_at AT TIME ZONE 'UTC')"
        " - date_trunc('hour', s.started_at AT TIME ZONE 'UTC')) / 3600 AS INTEGER) END",
    ),
    "sqlite": (
        "strftime('%Y-%m-%d %H:00:00.000000', s.started_at)",
        "CASE WHEN s.completed_at IS NULL THEN -1 ELSE CAST(ROUND((julianday("
        "strftime('%Y-%m-%d %H:00:00', s.completed_at)) - julianday("
        "strftime('%Y-%m-%d %H:00:00', s.started_at))) * 24) AS INTEGER) END",
    ),
}
_INDEXES = (
    ("ix_survey_session_flow_started", "survey_session", ["flow_id", "started_at"], None),
    ("ix_survey_session_flow_completed", "survey_session", ["flow_id", "completed_at"], None),
    ("ix_survey_session_unfinished", "survey_session", ["flow_id", "updated_at"],
     "completed_at IS NULL"),
    ("ix_survey_session_active", "survey_session", ["flow_id", "updated_at"],
     "status = 'active'"),
    ("ix_respondent_test", "respondent", ["id"], "is_test"),
    ("ix_answer_flow_question_option_session", "answer",
     ["flow_id", "question_id", "option_id", "session_id"], None),
)  # fmt: skip
# Replaced by the one above (the same columns first): a second index on `answer` would
# cost every answer's insert.
_OLD_ANSWER_INDEX = ("ix_answer_flow_question_option", ["flow_id", "question_id", "option_id"])


def upgrade() -> None:
    op.create_table(
        "session_counter",
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("started_hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_after", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "flow_id",
            "flow_version",
            "channel",
            "lang",
            "is_test",
            "started_hour",
            "completed_after",
            name="pk_session_counter",
        ),
    )
    started, after = _HOURS[op.get_bind().dialect.name]
    op.execute(
        sa.text(
            f"""INSERT INTO session_counter (flow_id, flow_version, channel, lang, is_test,
                started_hour, completed_after, count)
            SELECT s.flow_id, s.flow_version, r.channel, r.lang, r.is_test, {started},
                {after}, COUNT(*)
            FROM survey_session s JOIN respondent r ON r.id = s.respondent_id
            GROUP BY 1, 2, 3, 4, 5, 6, 7"""
        )
    )
    for name, table, columns, where in _INDEXES:
        partial: dict[str, Any] = {}
        if where is not None:
            partial = {f"{dialect}_where": sa.text(where) for dialect in _HOURS}
        op.create_index(name, table, columns, **partial)
    op.drop_index(_OLD_ANSWER_INDEX[0], table_name="answer")


def downgrade() -> None:
    op.create_index(_OLD_ANSWER_INDEX[0], "answer", _OLD_ANSWER_INDEX[1])
    for name, table, _columns, _where in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("session_counter")
