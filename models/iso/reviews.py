"""The management review (xem xét của lãnh đạo), with inputs prefilled from the year's data."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Column, Field, Session, SQLModel
from sqlmodel import select as orm_select

from models import cycles
from models.iso.actions import CorrectiveAction, is_closed
from models.iso.audits import audit_summary
from models.iso.base import (
    IsoError,
    _atomic,
    _complete_step,
    _fail_step,
    _history,
    _required_step,
    _text,
    get_agency,
)
from models.iso.objectives import list_objectives
from models.tables import (
    Agency,
    instant,
    utcnow,
)


# A management review (xem xét của lãnh đạo) with inputs prefilled from the data.
class ManagementReview(SQLModel, table=True):
    __tablename__ = "management_review"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", name="uq_management_review_agency_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    held_on: date
    minutes_ref: str = Field(max_length=200)
    inputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    decisions: str | None = Field(default=None, max_length=8000)
    override_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = instant(default_factory=utcnow)
    updated_at: datetime = instant(default_factory=utcnow)


# --- management review --------------------------------------------------------------------------


def review_inputs(*, session: Session, agency_id: uuid.UUID, year: int) -> dict[str, Any]:
    """Prefill a review's inputs from the data: audit results, objectives and actions."""
    agency = session.get(Agency, agency_id)
    assert agency is not None  # the caller looked the agency up
    summary = audit_summary(session=session, agency_code=agency.code, year=year)
    objectives = list_objectives(session=session, agency_code=agency.code, year=year)
    actions = session.exec(
        orm_select(CorrectiveAction).where(
            CorrectiveAction.agency_id == agency_id, CorrectiveAction.year == year
        )
    ).all()
    return {
        "audit": {
            "dates": [
                [a["start_on"].isoformat(), a["end_on"].isoformat()]
                for a in summary["audits"]
                if a["kind"] == "internal"
            ],
            "findings": summary["counts"],
        },
        "objectives": {
            "total": len(objectives),
            "achieved": sum(o["achieved"] is True for o in objectives),
            "not_achieved": sum(o["achieved"] is False for o in objectives),
            "no_result": sum(o["achieved"] is None for o in objectives),
        },
        "corrective_actions": {
            "total": len(actions),
            "closed": sum(is_closed(a) for a in actions),
            "awaiting_verification": sum(
                a.done_on is not None and not is_closed(a) for a in actions
            ),
            "open": sum(a.done_on is None for a in actions),
        },
    }


def get_review(*, session: Session, agency_code: str, year: int) -> ManagementReview:
    """Return the year's management review, or raise IsoError if none is recorded."""
    agency = get_agency(session, agency_code)
    review = session.exec(
        orm_select(ManagementReview).where(
            ManagementReview.agency_id == agency.id, ManagementReview.year == year
        )
    ).one_or_none()
    if review is None:
        raise IsoError(
            f"Đơn vị {agency_code} chưa ghi nhận cuộc họp xem xét của lãnh đạo năm {year}.",
            field="review",
        )
    return review


@_atomic
def record_review(
    *,
    session: Session,
    agency_code: str,
    year: int,
    held_on: date,
    minutes_ref: str,
    decisions: str | None,
    actor: str,
    today: date,
    override_reason: str | None = None,
    extra_inputs: Mapping[str, Any] | None = None,
) -> ManagementReview:
    """Record (or correct) the year's management review; it completes management_review.

    - Correcting the review moves the step with it; a step completed otherwise keeps that.
    - A review dated before the year's internal audit is refused unless an override reason is
      given; the reason is stored on the review and in the history.
    """
    agency = get_agency(session, agency_code)
    ref = _text(minutes_ref, "minutes_ref", "Số biên bản", 200, required=True) or ""
    decision_text = _text(decisions, "decisions", "Quyết định, kết luận", 8000)
    reason = _text(override_reason, "override_reason", "Lý do ghi nhận", 2000)
    step = _required_step(session, agency, year, "management_review")
    inputs = {**review_inputs(session=session, agency_id=agency.id, year=year)}
    if extra_inputs:
        inputs["notes"] = dict(extra_inputs)
    review = session.exec(
        orm_select(ManagementReview).where(
            ManagementReview.agency_id == agency.id, ManagementReview.year == year
        )
    ).one_or_none()
    old = None
    replaces = None
    if review is None:
        review = ManagementReview(agency_id=agency.id, year=year, held_on=held_on, minutes_ref=ref)
    else:
        replaces = (review.held_on, review.minutes_ref)
        old = {
            "held_on": review.held_on,
            "minutes_ref": review.minutes_ref,
            "decisions": review.decisions,
            "override_reason": review.override_reason,
        }
    review.held_on, review.minutes_ref, review.decisions = held_on, ref, decision_text
    review.override_reason, review.inputs, review.updated_at = reason, inputs, utcnow()
    try:
        cycles.check_done_date(
            session=session, step=step, done_on=held_on, today=today, override_reason=reason
        )
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc
    session.add(review)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="management_review",
        entity_id=str(year),
        action="recorded" if old is None else "updated",
        old=old,
        new={
            "held_on": held_on,
            "minutes_ref": ref,
            "decisions": decision_text,
            "override_reason": reason,
            "inputs": inputs,
        },
    )
    _complete_step(
        session=session,
        step=step,
        done_on=held_on,
        ref=ref,
        note=None,
        actor=actor,
        today=today,
        override_reason=reason,
        replaces=replaces,
    )
    session.commit()
    return review
