"""The JSON API for quality objectives: the issuing decision, the objectives, their results."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlmodel import Session, select as orm_select

from models import iso
from models.tables import Agency
from web.api import CodePath, YearPath
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import WRITE, Body, Day, Value, _readable, _refused, _writable

router = APIRouter(prefix="/api/v1", tags=["iso"])


class DecisionBody(Body):
    ref: str = Field(max_length=200, description="The issuing decision's number.")
    issued_on: Day


class ObjectiveBody(Body):
    indicator: str = Field(max_length=1000)
    comparison: str = Field(max_length=2, description=">=, <=, =, > or <.")
    target: Value
    unit: str | None = Field(default=None, max_length=50)
    mid_value: Value | None = None
    final_value: Value | None = None


class ObjectivesIn(Body):
    objectives: list[ObjectiveBody] = Field(min_length=1, max_length=500)
    results_on: Day | None = None


class ResultBody(Body):
    number: int = Field(ge=1, le=1_000_000)
    mid_value: Value | None = None
    final_value: Value | None = None


class ResultsIn(Body):
    results: list[ResultBody] = Field(min_length=1, max_length=500)
    results_on: Day | None = Field(
        default=None, description="Date the results were reviewed (completes objectives_review)."
    )


class ObjectiveOut(BaseModel):
    number: int
    indicator: str
    comparison: str
    target: float
    unit: str
    mid_value: float | None
    final_value: float | None
    mid_on_track: bool | None
    achieved: bool | None


class DecisionOut(BaseModel):
    ref: str
    issued_on: date


class ObjectivesOut(BaseModel):
    agency: str
    year: int
    decision: DecisionOut | None
    objectives: list[ObjectiveOut]


def objectives_of(session: Session, agency: Agency, year: int) -> dict[str, Any]:
    """The year's objective decision (or None) and objectives with "achieved" computed."""
    decision = session.exec(
        orm_select(iso.ObjectiveDecision).where(
            iso.ObjectiveDecision.agency_id == agency.id, iso.ObjectiveDecision.year == year
        )
    ).one_or_none()
    return {
        "agency": agency.code,
        "year": year,
        "decision": None
        if decision is None
        else {"ref": decision.ref, "issued_on": decision.issued_on},
        "objectives": iso.list_objectives(session=session, agency_code=agency.code, year=year),
    }


@router.get(
    "/agencies/{code}/cycles/{year}/objectives",
    response_model=ObjectivesOut,
    responses={403: {}, 404: {}},
)
def get_objectives(
    session: SessionDep, viewer: ApiViewer, code: CodePath, year: YearPath
) -> dict[str, Any]:
    """The year's objective decision and objectives, "achieved" computed from the final value."""
    return objectives_of(session, _readable(session, viewer, code), year)


@router.put(
    "/agencies/{code}/cycles/{year}/objectives/decision",
    response_model=ObjectivesOut,
    responses=WRITE,
)
def put_decision(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: DecisionBody,
) -> dict[str, Any]:
    """Record (or correct) the decision issuing the objectives; completes quality_objectives."""
    agency = _writable(session, viewer, code)
    try:
        iso.set_objective_decision(
            session=session,
            agency_code=agency.code,
            year=year,
            ref=body.ref,
            issued_on=body.issued_on,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return objectives_of(session, agency, year)


@router.post(
    "/agencies/{code}/cycles/{year}/objectives",
    response_model=ObjectivesOut,
    status_code=201,
    responses=WRITE,
)
def post_objectives(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ObjectivesIn,
) -> dict[str, Any]:
    """Add objectives, all or nothing."""
    agency = _writable(session, viewer, code)
    try:
        iso.add_objectives(
            session=session,
            agency_code=agency.code,
            year=year,
            objectives=[iso.ObjectiveIn(**o.model_dump()) for o in body.objectives],
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            results_on=body.results_on,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return objectives_of(session, agency, year)


@router.post(
    "/agencies/{code}/cycles/{year}/objectives/results",
    response_model=ObjectivesOut,
    responses=WRITE,
)
def post_results(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ResultsIn,
) -> dict[str, Any]:
    """Set mid-year and/or final values; all final values complete objectives_review."""
    agency = _writable(session, viewer, code)
    numbers = [r.number for r in body.results]
    if len(set(numbers)) != len(numbers):
        raise HTTPException(422, "results: an objective number is given twice")
    try:
        iso.record_results(
            session=session,
            agency_code=agency.code,
            year=year,
            values={r.number: (r.mid_value, r.final_value) for r in body.results},
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            results_on=body.results_on,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return objectives_of(session, agency, year)
