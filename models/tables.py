"""The core tables: agencies, yearly cycles, their steps, and the history of every change."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Index, Table, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Column, Field, SQLModel

STEP_OPEN = "open"
STEP_DONE = "done"
STEP_WAIVED = "waived"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC and always read back timezone-aware.

    SQLite drops tzinfo on DateTime(timezone=True), and comparing the naive value read back with
    an aware one raises TypeError; this type makes both databases behave alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant(**kw: Any) -> Any:
    """A UTC instant column."""
    return Field(sa_type=UTCDateTime, **kw)


# An agency that runs (or is covered by) a quality-management system.
class Agency(SQLModel, table=True):
    __tablename__ = "agency"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=32)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    secretary_name: str | None = Field(default=None, max_length=200)
    secretary_email: str | None = Field(default=None, max_length=254)
    head_name: str | None = Field(default=None, max_length=200)
    head_email: str | None = Field(default=None, max_length=254)
    active: bool = True
    valid_from: date | None = None
    valid_to: date | None = None
    # How its document numbers write it ("SNgV" in 177/BC-SNgV); see document_abbreviation.
    abbreviation: str | None = Field(default=None, max_length=20)
    created_at: datetime = instant(default_factory=utcnow)
    updated_at: datetime = instant(default_factory=utcnow)


# One opened year: which calendar its steps were computed from.
class Cycle(SQLModel, table=True):
    __tablename__ = "cycle"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    year: int = Field(unique=True, index=True)
    calendar_name: str = Field(max_length=100)
    calendar_version: str = Field(max_length=200)
    # The calendar the year was opened with, overrides included: later openings reuse it.
    calendar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    opened_at: datetime = instant(default_factory=utcnow)
    updated_at: datetime = instant(default_factory=utcnow)


# One step of an agency's yearly cycle, with its deadline and how it was completed.
class Step(SQLModel, table=True):
    __tablename__ = "step"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "key", name="uq_step_agency_year_key"),
        Index("ix_step_year_state_due", "year", "state", "due"),
        Index("ix_step_state_due", "state", "due"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    year: int
    # Unique within the agency's year; the calendar key, or KEY:EVENT for event-driven steps.
    key: str = Field(max_length=120)
    # The rule it comes from (plan, internal_audit, procedure_update, ...).
    step_type: str = Field(max_length=64)
    title: str = Field(max_length=300)
    legal_basis: str = Field(default="", max_length=300)
    nominal_due: date
    due: date
    # A person responsible besides the secretary (a corrective action's owner); reminded too.
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_email: str | None = Field(default=None, max_length=254)
    state: str = Field(default=STEP_OPEN, max_length=16)
    done_on: date | None = None
    ref: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    done_by: str | None = Field(default=None, max_length=200)
    done_at: datetime | None = instant(default=None)
    waive_reason: str | None = Field(default=None, max_length=2000)
    # Set when a person changes the step; a later calendar change leaves such steps alone.
    touched_at: datetime | None = instant(default=None)
    created_at: datetime = instant(default_factory=utcnow)


# Who changed what and when, with the old and new values: the ISO evidence trail.
class HistoryEntry(SQLModel, table=True):
    __tablename__ = "history_entry"
    __table_args__ = (Index("ix_history_agency_year", "agency_id", "year"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = instant(default_factory=utcnow)
    actor: str = Field(max_length=200)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id")
    year: int | None = None
    entity: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    action: str = Field(max_length=50)
    old: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    new: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for bulk statements and column-wise queries."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


AGENCY = table_of(Agency)
CYCLE = table_of(Cycle)
STEP = table_of(Step)
HISTORY = table_of(HistoryEntry)
