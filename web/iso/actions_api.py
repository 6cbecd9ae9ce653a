"""The JSON API for corrective actions: open one on a finding, record it done, verify it."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.api import CodePath, YearPath
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import (
    WRITE,
    Body,
    Day,
    NumberPath,
    _refused,
    _writable,
    iso_rules,
    working,
)

router = APIRouter(prefix="/api/v1", tags=["iso"])


class ActionOut(BaseModel):
    number: int
    finding: int | None
    description: str
    owner_name: str
    owner_email: str | None
    due: date
    done_on: date | None
    verify_due: date
    verified_on: date | None
    verified_by: str | None
    effective: bool | None
    status: str = Field(description="open, overdue, awaiting_verification or closed.")
    days_late: int
    days_overdue: int


class ActionIn(Body):
    finding: int = Field(ge=1, le=1_000_000, description="The finding's number.")
    owner_name: str = Field(max_length=200)
    owner_email: str | None = Field(default=None, max_length=254)
    description: str = Field(max_length=4000)
    due: Day | None = Field(default=None, description="Default: audit end + 30 days.")


class DoneIn(Body):
    done_on: Day
    ref: str | None = Field(default=None, max_length=200)


class VerifyIn(Body):
    verified_on: Day
    verified_by: str = Field(max_length=200)
    effective: bool
    new_due: Day | None = Field(default=None, description="When not effective: the new due date.")


def _action_out(session: Session, agency: Agency, year: int, number: int, today: date) -> Any:
    actions = iso.list_actions(session=session, agency_code=agency.code, year=year, today=today)
    found = next((a for a in actions if a["number"] == number), None)
    if found is None:
        raise HTTPException(404, f"{agency.code} has no corrective action #{number} in {year}")
    return found


@router.post(
    "/agencies/{code}/cycles/{year}/actions",
    response_model=ActionOut,
    status_code=201,
    responses=WRITE,
)
def post_action(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ActionIn,
) -> Any:
    """Open a corrective action on a finding, with its action and verification steps."""
    agency = _writable(session, viewer, code)
    try:
        action = iso.add_action(
            session=session,
            agency_code=agency.code,
            year=year,
            finding_number=body.finding,
            owner_name=body.owner_name,
            owner_email=body.owner_email,
            description=body.description,
            actor=f"api:{viewer.user.username}",
            rules=iso_rules(settings),
            working=working(settings),
            due=body.due,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _action_out(session, agency, year, action.number, local_day(settings, now))


@router.post(
    "/agencies/{code}/cycles/{year}/actions/{number}/done",
    response_model=ActionOut,
    responses=WRITE,
)
def post_action_done(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    number: NumberPath,
    body: DoneIn,
) -> Any:
    """Record that a corrective action was carried out."""
    agency = _writable(session, viewer, code)
    today = local_day(settings, now)
    _action_out(session, agency, year, number, today)  # 404 before validation
    try:
        iso.complete_action(
            session=session,
            agency_code=agency.code,
            year=year,
            number=number,
            done_on=body.done_on,
            actor=f"api:{viewer.user.username}",
            today=today,
            ref=body.ref,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _action_out(session, agency, year, number, today)


@router.post(
    "/agencies/{code}/cycles/{year}/actions/{number}/verify",
    response_model=ActionOut,
    responses=WRITE,
)
def post_action_verify(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    number: NumberPath,
    body: VerifyIn,
) -> Any:
    """Record the effectiveness check of a done action (not effective: it reopens)."""
    agency = _writable(session, viewer, code)
    today = local_day(settings, now)
    _action_out(session, agency, year, number, today)
    try:
        iso.verify_action(
            session=session,
            agency_code=agency.code,
            year=year,
            number=number,
            verified_on=body.verified_on,
            verified_by=body.verified_by,
            effective=body.effective,
            actor=f"api:{viewer.user.username}",
            today=today,
            rules=iso_rules(settings),
            working=working(settings),
            new_due=body.new_due,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _action_out(session, agency, year, number, today)
