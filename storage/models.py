"""The database tables (SQLModel). Schema changes go through Alembic (storage/migrations).

All timestamps are timezone-aware UTC (`storage.schema_conventions.UTCDateTime`); the
live-count tables are in `storage.counter_models`, the organisation tables in
`storage.organisation_models` (both registered on the metadata by importing this module).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Text,
    UniqueConstraint,
    column,
    desc,
    false,
)
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from storage.schema_conventions import timestamp_field


class ContactStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"


# An outbox payload after the retention job (or an erasure) cleared it.
CLEARED = "{}"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Respondent(SQLModel, table=True):
    __tablename__ = "respondent"
    __table_args__ = (
        UniqueConstraint("channel", "channel_user_id"),
        # "Leave test respondents out" reads the few test rows, not every respondent.
        Index(
            "ix_respondent_test",
            "id",
            postgresql_where=sql_text("is_test"),
            sqlite_where=sql_text("is_test"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str  # "wechat" | "telegram" | "console"
    channel_user_id: str
    lang: str = "both"
    source: str | None = None  # e.g. the WeChat QR scene the respondent came from
    active: bool = True  # False after a WeChat unsubscribe (answers are kept)
    subscribed_updates: bool = False
    created_at: datetime = timestamp_field()
    # WeChat customer-service messages are only allowed within 48 h of the last inbound one.
    last_inbound_at: datetime | None = timestamp_field(nullable=True)
    # A staff member's /test run or data marked as test: left out of every figure
    # (storage.test_data) unless a report asks to include it.
    # No client-side default: precompiled INSERTs (storage.precompiled) that leave the
    # column out get the server's.
    is_test: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Pages of a long reply or undelivered texts wait in the key-value table
    # (bot.dispatch.reply_delivery): read only when this is set
    # (storage.respondents.set_pages_waiting).
    pages_waiting: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class SurveySession(SQLModel, table=True):
    __tablename__ = "survey_session"
    __table_args__ = (
        UniqueConstraint("respondent_id", "flow_id"),
        # The versions a survey's sessions are on, one index probe per version (staff
        # /stats, the dashboard); per-version counts read the index alone.
        Index("ix_survey_session_flow_version", "flow_id", "flow_version", "completed_at"),
        # Counts since a moment inside an hour (the session counters hold whole hours).
        Index("ix_survey_session_flow_started", "flow_id", "started_at"),
        Index("ix_survey_session_flow_completed", "flow_id", "completed_at"),
        # The unfinished sessions (where respondents stopped, /progress and the
        # dashboard) and the reminder scan: a few rows each, whatever the total.
        Index(
            "ix_survey_session_unfinished",
            "flow_id",
            "updated_at",
            postgresql_where=sql_text("completed_at IS NULL"),
            sqlite_where=sql_text("completed_at IS NULL"),
        ),
        Index(
            "ix_survey_session_active",
            "flow_id",
            "updated_at",
            postgresql_where=sql_text("status = 'active'"),
            sqlite_where=sql_text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id")
    flow_id: str
    flow_version: int
    status: str  # flows.state.Status
    state_json: str = Field(sa_type=Text)  # flows.state.SessionState.to_json()
    started_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    completed_at: datetime | None = timestamp_field(nullable=True)


class Answer(SQLModel, table=True):
    """One row per selected option; free text and form fields have option_id None."""

    __tablename__ = "answer"
    __table_args__ = (
        # With the session: a cross-tab or an answer filter reads the index alone
        # (migration 0013; 14 s → see docs/benchmarks.md at 1,000,000 respondents).
        Index(
            "ix_answer_flow_question_option_session",
            "flow_id",
            "question_id",
            "option_id",
            "session_id",
        ),
        # One question's rows in session order (migration 0016): a cross-tab merges the
        # two questions and an answer filter by session, from the index alone.
        Index(
            "ix_answer_flow_question_session",
            "flow_id",
            "question_id",
            "session_id",
            "option_id",
        ),
        Index("ix_answer_session_question", "session_id", "question_id"),
        # "The newest free texts of one question" (staff /stats, the dashboard): read in
        # index order, LIMIT N, however many texts there are. Option rows are left out.
        Index(
            "ix_answer_free_text_newest",
            "flow_id",
            "question_id",
            desc(column("created_at")),
            desc(column("id")),
            postgresql_where=sql_text("text IS NOT NULL"),
            sqlite_where=sql_text("text IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="survey_session.id")
    respondent_id: int = Field(foreign_key="respondent.id", index=True)
    flow_id: str
    flow_version: int
    question_id: str
    option_id: str | None = None
    text: str | None = Field(default=None, sa_type=Text)
    # A number converted to its question's unit keeps the respondent's text ("1.5万吨").
    original_text: str | None = Field(default=None, sa_type=Text)
    # A repeated survey (flows.rounds): "kept" or "changed" the earlier round's answer.
    carried: str | None = None
    created_at: datetime = timestamp_field()


class ProcessedMessage(SQLModel, table=True):
    """Inbound dedupe (WeChat retries): the stored reply answers a retry identically."""

    __tablename__ = "processed_message"
    __table_args__ = (UniqueConstraint("channel", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    dedupe_key: str
    respondent_id: int | None = Field(default=None, index=True)
    reply_json: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = timestamp_field(index=True)


class ContactRequest(SQLModel, table=True):
    __tablename__ = "contact_request"
    # SQLite: ids (and so references) never given twice, even after the newest request
    # was deleted with its respondent's data (migration 0020).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    # "C-000123", set from the id right after insert (see storage.contacts).
    reference: str | None = Field(default=None, unique=True)
    respondent_id: int = Field(foreign_key="respondent.id", index=True)
    reason: str  # "survey" | "contact_me"
    details_json: str = Field(sa_type=Text)  # personal information (PIPL)
    status: str = ContactStatus.OPEN.value
    claimed_by: str | None = None
    note: str | None = None
    created_at: datetime = timestamp_field()
    claimed_at: datetime | None = timestamp_field(nullable=True)
    done_at: datetime | None = timestamp_field(nullable=True)
    last_notified_at: datetime | None = timestamp_field(nullable=True)


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # "Delete my data": every row addressed to the person (storage.erasure).
        Index("ix_outbox_channel_recipient", "channel", "recipient"),
        # Sent rows whose payload the retention job has not cleared yet (storage.retention).
        Index(
            "ix_outbox_sent_payload",
            "sent_at",
            postgresql_where=sql_text(f"sent_at IS NOT NULL AND payload_json <> '{CLEARED}'"),
            sqlite_where=sql_text(f"sent_at IS NOT NULL AND payload_json <> '{CLEARED}'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    recipient: str  # channel user id
    kind: str  # "text" | …
    payload_json: str = Field(sa_type=Text)
    status: str = OutboxStatus.PENDING.value
    attempts: int = 0
    next_attempt_at: datetime = timestamp_field()
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)


class KeyValue(SQLModel, table=True):
    """Small shared state (e.g. the WeChat access token shared by several workers)."""

    __tablename__ = "key_value"

    key: str = Field(primary_key=True)
    value: str = Field(sa_type=Text)
    expires_at: datetime | None = timestamp_field(nullable=True)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    detail: str = Field(sa_type=Text)
    created_at: datetime = timestamp_field(index=True)


class Survey(SQLModel, table=True):
    """One published version of a survey (flow): the registry `surveybot surveys` manages.

    `source` is the flow file (YAML) exactly as published, so every version stays
    loadable after the file on disk has changed. A survey is open while its newest
    version has no `closed_at`; respondents in progress finish on the version their
    session records, unless the newer version carries an explicit `mapping_json`.
    """

    __tablename__ = "survey"

    flow_id: str = Field(primary_key=True)
    version: int = Field(primary_key=True)
    source: str = Field(sa_type=Text)
    checksum: str  # sha256 of `source`
    mapping_json: str | None = Field(default=None, sa_type=Text)  # flows.mapping.Mapping
    published_at: datetime = timestamp_field()
    published_by: str = "cli"
    closed_at: datetime | None = timestamp_field(nullable=True)


class WeChatPushNonce(SQLModel, table=True):
    """Plaintext-mode WeChat pushes: which body each (timestamp, nonce) pair carried.

    The URL's signature covers only token, timestamp and nonce, not the body: one signed
    URL must not carry a second, different body. Rows older than the replay window are
    pruned (a push that old is refused by its timestamp anyway).
    """

    __tablename__ = "wechat_push_nonce"

    timestamp: int = Field(sa_type=BigInteger, primary_key=True)
    nonce: str = Field(primary_key=True)
    body_sha256: str


class Reminder(SQLModel, table=True):
    """The one reminder a session that stopped mid-survey ever gets (issue 17 §7).

    The primary key makes "never a second one" hold with any number of workers: the
    insert that wins queues the message, the others insert nothing."""

    __tablename__ = "reminder"

    survey_session_id: int = Field(foreign_key="survey_session.id", primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", index=True)
    flow_id: str
    sent_at: datetime = timestamp_field()
    returned_at: datetime | None = timestamp_field(nullable=True)  # their first message after it


class ReminderOptOut(SQLModel, table=True):
    """Respondents who sent "不再提醒 / no reminders"."""

    __tablename__ = "reminder_opt_out"

    respondent_id: int = Field(foreign_key="respondent.id", primary_key=True)
    created_at: datetime = timestamp_field()


# The organisation tables live in their own module; imported here so that importing the
# models registers every table on SQLModel.metadata (Alembic, tests).
from storage import counter_models as _counter_models  # noqa: E402, F401
from storage import organisation_models as _organisation_models  # noqa: E402, F401
