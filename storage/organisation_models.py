"""The organisation tables (issue 20 §1): who answers for which company and plant.

An `organisation` is a company, known by its 统一社会信用代码 when someone gave it and
by its name key (flows.organisation.name_key) always; it is not personal data. An
`organisation_link` ties one respondent's answers in one survey to it, with the texts
they typed and their plant: that link is personal data and goes with "delete my data".
An `organisation_match` is a likeness proposed to staff (上海某某汽配 vs 上海某某汽车
零部件有限公司), never merged until someone confirms it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.schema_conventions import timestamp_field


class MatchStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # merged by staff
    REJECTED = "rejected"  # staff said: two organisations


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str  # as first given; staff see it
    name_key: str = Field(index=True)
    # Unique among organisations not merged away: checked in storage.organisations, as
    # a merged organisation keeps its code for the audit trail.
    code: str | None = Field(default=None, index=True)
    created_at: datetime = timestamp_field()
    merged_into: int | None = Field(default=None, foreign_key="organisation.id")


class OrganisationLink(SQLModel, table=True):
    __tablename__ = "organisation_link"
    __table_args__ = (UniqueConstraint("respondent_id", "flow_id"),)

    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", index=True)
    flow_id: str
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name_given: str
    code_given: str | None = None
    plant_given: str | None = None
    plant_key: str = ""  # flows.organisation.plant_key: the plant unit is (organisation, this)
    created_at: datetime = timestamp_field()
    # Set when this person took over an already counted unit (migration 0017).
    took_over_at: datetime | None = timestamp_field(nullable=True)


class OrganisationMatch(SQLModel, table=True):
    __tablename__ = "organisation_match"
    __table_args__ = (UniqueConstraint("organisation_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")  # the newer one
    candidate_id: int = Field(foreign_key="organisation.id")  # the one it resembles
    score: int  # likeness in percent
    status: str = MatchStatus.PENDING
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
