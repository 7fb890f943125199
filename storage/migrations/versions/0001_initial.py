"""Initial schema: respondents, sessions, answers, counters, dedupe, contacts, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "respondent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("channel_user_id", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("subscribed_updates", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("last_inbound_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_respondent"),
        sa.UniqueConstraint(
            "channel", "channel_user_id", name="uq_respondent_channel_channel_user_id"
        ),
    )
    op.create_table(
        "survey_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        _ts("started_at"),
        _ts("updated_at"),
        _ts("completed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name="fk_survey_session_respondent_id_respondent",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_session"),
        sa.UniqueConstraint(
            "respondent_id", "flow_id", name="uq_survey_session_respondent_id_flow_id"
        ),
    )
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("option_id", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["respondent_id"], ["respondent.id"], name="fk_answer_respondent_id_respondent"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["survey_session.id"], name="fk_answer_session_id_survey_session"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_answer"),
    )
    op.create_index(
        "ix_answer_flow_question_option", "answer", ["flow_id", "question_id", "option_id"]
    )
    op.create_index("ix_answer_session_question", "answer", ["session_id", "question_id"])
    op.create_index("ix_answer_respondent_id", "answer", ["respondent_id"])
    op.create_table(
        "aggregate_counter",
        sa.Column("flow_id", sa.String(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("option_id", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", "question_id", "option_id", name="pk_aggregate_counter"),
    )
    op.create_table(
        "processed_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=True),
        sa.Column("reply_json", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_processed_message"),
        sa.UniqueConstraint(
            "channel", "dedupe_key", name="uq_processed_message_channel_dedupe_key"
        ),
    )
    op.create_index("ix_processed_message_created_at", "processed_message", ["created_at"])
    op.create_index("ix_processed_message_respondent_id", "processed_message", ["respondent_id"])
    op.create_table(
        "contact_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        _ts("created_at"),
        _ts("claimed_at", nullable=True),
        _ts("done_at", nullable=True),
        _ts("last_notified_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name="fk_contact_request_respondent_id_respondent",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_request"),
        sa.UniqueConstraint("reference", name="uq_contact_request_reference"),
    )
    op.create_index("ix_contact_request_respondent_id", "contact_request", ["respondent_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "key_value",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _ts("expires_at", nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_key_value"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "key_value",
        "outbox",
        "contact_request",
        "processed_message",
        "aggregate_counter",
        "answer",
        "survey_session",
        "respondent",
    ):
        op.drop_table(table)
