"""The live-count tables: exact counters kept in the answer's transaction.

`aggregate_counter` counts respondents per question and option, `segment_counter` the
same per peer segment, `session_counter` survey sessions by version, channel, language
and the hours they started and completed, so that live figures are read from a few
rows rather than counted from the answers. Their upkeep is in `storage.aggregates`,
`storage.segment_counters` and `storage.session_counters`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.schema_conventions import UTCDateTime

RESPONDENTS = ""  # the option_id of a question's respondent counter


class AggregateCounter(SQLModel, table=True):
    """Exact live counts, kept in the answer's transaction. option_id "" = respondents."""

    __tablename__ = "aggregate_counter"

    flow_id: str = Field(primary_key=True)
    question_id: str = Field(primary_key=True)
    option_id: str = Field(primary_key=True)
    count: int = 0


class SegmentCounter(SQLModel, table=True):
    """Exact counts per peer segment (flows.peer_segments), kept like AggregateCounter.

    question_id "" and option_id "": the segment's size; option_id "": the segment's
    respondents to the question."""

    __tablename__ = "segment_counter"

    flow_id: str = Field(primary_key=True)
    segment: str = Field(primary_key=True)
    question_id: str = Field(primary_key=True)
    option_id: str = Field(primary_key=True)
    count: int = 0


class SessionCounter(SQLModel, table=True):
    """Exact survey-session counts (storage.session_counters), kept like AggregateCounter.

    One row per survey version, channel, language, real/test, the UTC hour the sessions
    started and how many hours later they completed (`NOT_COMPLETED`: not yet), so the
    dashboard and /progress count a million sessions from a few thousand rows."""

    __tablename__ = "session_counter"

    flow_id: str = Field(primary_key=True)
    flow_version: int = Field(primary_key=True)
    channel: str = Field(primary_key=True)
    lang: str = Field(primary_key=True)
    is_test: bool = Field(primary_key=True)
    started_hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    completed_after: int = Field(primary_key=True)  # hours after started_hour; -1: not yet
    count: int = 0
