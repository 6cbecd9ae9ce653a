"""The JSON API for management reviews: several a year (QĐ 19/2014 Art. 4.4b: at least one), each
with its prefilled inputs and, when held before the year's internal audit, a Vietnamese warning."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.api import CodePath, YearPath
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import WRITE, Body, Day, _readable, _refused, _writable

router = APIRouter(prefix="/api/v1", tags=["iso"])
NumberPath = Annotated[
    int, Path(ge=1, le=1_000_000, description="The review's number within the year.")
]


class ReviewIn(Body):
    held_on: Day
    minutes_ref: str = Field(max_length=200, description="The minutes' (biên bản) number.")
    decisions: str | None = Field(default=None, max_length=8000)
    override_reason: str | None = Field(
        default=None, max_length=2000, description="Why it was held before the internal audit."
    )


class ReviewOut(BaseModel):
    number: int = Field(description="1, 2, … within the agency's year.")
    held_on: date
    minutes_ref: str
    decisions: str | None
    override_reason: str | None
    inputs: dict[str, Any] | None
    warning: str | None = Field(
        description="Vietnamese warning when held before the year's internal audit, else null."
    )


class ReviewsOut(BaseModel):
    agency: str
    year: int
    reviews: list[ReviewOut]


def review_out(session: Session, review: iso.ManagementReview) -> dict[str, Any]:
    """A review as the API answers it, with its warning."""
    fields = ("number", "held_on", "minutes_ref", "decisions", "override_reason", "inputs")
    # getattr loads a review expired by the write's commit (model_dump would not).
    data = {name: getattr(review, name) for name in fields}
    return data | {"warning": iso.review_warning(session=session, review=review)}


def reviews_of(session: Session, agency: Agency, year: int) -> dict[str, Any]:
    """The year's management reviews in the order they were held."""
    reviews = iso.list_reviews(session=session, agency_code=agency.code, year=year)
    return {
        "agency": agency.code,
        "year": year,
        "reviews": [review_out(session, r) for r in reviews],
    }


@router.get(
    "/agencies/{code}/cycles/{year}/reviews",
    response_model=ReviewsOut,
    responses={403: {}, 404: {}},
)
def get_reviews(
    session: SessionDep, viewer: ApiViewer, code: CodePath, year: YearPath
) -> dict[str, Any]:
    """The year's management reviews, each with its inputs and warning."""
    return reviews_of(session, _readable(session, viewer, code), year)


def _record(
    session: Session,
    agency: Agency,
    year: int,
    body: ReviewIn,
    actor: str,
    today: date,
    number: int | None,
) -> dict[str, Any]:
    try:
        review = iso.record_review(
            session=session,
            agency_code=agency.code,
            year=year,
            held_on=body.held_on,
            minutes_ref=body.minutes_ref,
            decisions=body.decisions,
            actor=actor,
            today=today,
            override_reason=body.override_reason,
            number=number,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return review_out(session, review)


@router.post(
    "/agencies/{code}/cycles/{year}/reviews",
    response_model=ReviewOut,
    status_code=201,
    responses=WRITE,
)
def post_review(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ReviewIn,
) -> dict[str, Any]:
    """Record a review (one with the same minutes number is corrected); the first completes
    management_review. One held before the internal audit is recorded with a warning."""
    agency = _writable(session, viewer, code)
    actor = f"api:{viewer.user.username}"
    return _record(session, agency, year, body, actor, local_day(settings, now), None)


@router.put(
    "/agencies/{code}/cycles/{year}/reviews/{number}",
    response_model=ReviewOut,
    responses=WRITE,
)
def put_review(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    number: NumberPath,
    body: ReviewIn,
) -> dict[str, Any]:
    """Correct review `number` of the year."""
    agency = _writable(session, viewer, code)
    if not any(
        r.number == number
        for r in iso.list_reviews(session=session, agency_code=agency.code, year=year)
    ):
        raise HTTPException(404, f"{agency.code} has no management review #{number} in {year}")
    actor = f"api:{viewer.user.username}"
    return _record(session, agency, year, body, actor, local_day(settings, now), number)
