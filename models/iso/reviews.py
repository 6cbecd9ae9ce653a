"""The management reviews (xem xét của lãnh đạo) of a year, with inputs prefilled from the data.

QĐ 19/2014/QĐ-TTg Art. 4.4b asks for a review "at least once a year": an agency may hold several,
numbered 1, 2, … within its year; the first one recorded completes the management_review step.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Column, Field, Session, SQLModel, select as orm_select

from models import cycles
from models.iso.actions import CorrectiveAction, is_closed
from models.iso.audits import audit_summary
from models.iso.base import (
    IsoError,
    _atomic,
    _complete_step,
    _fail_step,
    _history,
    _next_number,
    _required_step,
    _text,
    get_agency,
)
from models.iso.objectives import list_objectives
from models.tables import STEP_DONE, Agency, Step, instant, utcnow


# A management review (xem xét của lãnh đạo) with inputs prefilled from the data.
class ManagementReview(SQLModel, table=True):
    __tablename__ = "management_review"
    __table_args__ = (
        UniqueConstraint(
            "agency_id", "year", "number", name="uq_management_review_agency_year_number"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    number: int = 1  # 1, 2, … within the agency's year
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


def list_reviews(*, session: Session, agency_code: str, year: int) -> list[ManagementReview]:
    """Return the year's management reviews, in the order they were held."""
    agency = get_agency(session, agency_code)
    return list(
        session.exec(
            orm_select(ManagementReview)
            .where(ManagementReview.agency_id == agency.id, ManagementReview.year == year)
            .order_by(ManagementReview.held_on, ManagementReview.number)  # type: ignore[arg-type]
        ).all()
    )


def get_review(
    *, session: Session, agency_code: str, year: int, number: int | None = None
) -> ManagementReview:
    """Return review `number` of the year (default: the latest held); IsoError if there is none."""
    reviews = list_reviews(session=session, agency_code=agency_code, year=year)
    if number is not None:
        reviews = [r for r in reviews if r.number == number]
    if not reviews:
        which = "" if number is None else f" số {number}"
        raise IsoError(
            f"Đơn vị {agency_code} chưa ghi nhận cuộc họp xem xét của lãnh đạo{which} năm {year}.",
            field="review",
        )
    return reviews[-1]


def review_warning(*, session: Session, review: ManagementReview) -> str | None:
    """The Vietnamese warning for a review held before the year's internal audit, else None.

    Such a review is recorded (the seeds hold one: Sở Ngoại vụ met on 03/5/2021 and audited on
    29/9/2021), but its inputs hold no result of that year's audit, which the user should know.
    """
    audit = session.exec(
        orm_select(Step).where(
            Step.agency_id == review.agency_id,
            Step.year == review.year,
            Step.key == "internal_audit",
        )
    ).one_or_none()
    held = f"{review.held_on:%d/%m/%Y}"
    if audit is None or audit.state != STEP_DONE or audit.done_on is None:
        return (
            f"Cuộc họp xem xét ngày {held} được ghi nhận khi chưa có đánh giá nội bộ năm "
            f"{review.year}: kết quả đánh giá nội bộ chưa là đầu vào của cuộc họp này."
        )
    if review.held_on < audit.done_on:
        return (
            f"Cuộc họp xem xét ngày {held} diễn ra trước đánh giá nội bộ (ngày "
            f"{audit.done_on:%d/%m/%Y}): kết quả đánh giá nội bộ năm {review.year} chưa là đầu "
            "vào của cuộc họp này."
        )
    return None


def _same_minutes(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


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
    number: int | None = None,
) -> ManagementReview:
    """Record a management review of the year, or correct one; the first completes the step.

    - `number` corrects that review; without it, a review with the same minutes number is
      corrected (a mistyped date), and any other is a further review of the year.
    - Correcting the review that completed management_review moves the step with it; a later
      review, or a step completed otherwise, leaves the step as it is.
    - A review held before the year's internal audit is recorded, not refused: see
      `review_warning`. `override_reason` is an optional note saying why, kept with the review.
    """
    agency = get_agency(session, agency_code)
    ref = _text(minutes_ref, "minutes_ref", "Số biên bản", 200, required=True) or ""
    decision_text = _text(decisions, "decisions", "Quyết định, kết luận", 8000)
    reason = _text(override_reason, "override_reason", "Lý do họp trước đánh giá nội bộ", 2000)
    step = _required_step(session, agency, year, "management_review")
    inputs = {**review_inputs(session=session, agency_id=agency.id, year=year)}
    if extra_inputs:
        inputs["notes"] = dict(extra_inputs)
    existing = list_reviews(session=session, agency_code=agency_code, year=year)
    if number is not None:
        review = next((r for r in existing if r.number == number), None)
        if review is None:
            raise IsoError(
                f"Đơn vị {agency_code} không có cuộc họp xem xét số {number} năm {year}.",
                field="number",
            )
    else:
        review = next((r for r in existing if _same_minutes(r.minutes_ref, ref)), None)
    old = None
    replaces = None
    if review is None:
        review = ManagementReview(
            agency_id=agency.id,
            year=year,
            number=_next_number(session, ManagementReview, agency.id, year),
            held_on=held_on,
            minutes_ref=ref,
        )
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
        # The internal audit is no prerequisite of a review (see review_warning).
        cycles.check_done_date(session=session, step=step, done_on=held_on, today=today)
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc
    session.add(review)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="management_review",
        entity_id=str(year) if review.number == 1 else f"{year}:{review.number}",
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
