"""The JSON API for audits and their findings (counts by severity, with the year's actions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.api import CodePath, YearPath
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.actions_api import ActionOut
from web.iso.api_common import WRITE, Body, Day, _readable, _refused, _writable

router = APIRouter(prefix="/api/v1", tags=["iso"])


class FindingBody(Body):
    severity: str = Field(
        max_length=50,
        description="major, minor or observation, or the Vietnamese words (nặng, nhẹ, lưu ý, "
        "khuyến nghị...: models.iso.SEVERITY_ALIASES).",
    )
    clause: str | None = Field(default=None, max_length=50, description="ISO clause, e.g. 8.5.1.")
    unit: str = Field(max_length=200, description="The unit (phòng, bộ phận) it was found in.")
    description: str = Field(max_length=4000)


class AuditIn(Body):
    kind: Literal["internal", "inspection"] = "internal"
    start_on: Day
    end_on: Day
    ref: str = Field(max_length=200, description="Report number (báo cáo / biên bản).")
    team: str | None = Field(default=None, max_length=2000)
    scope_units: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=200
    )
    findings: list[FindingBody] = Field(default_factory=list, max_length=500)


class AuditOut(BaseModel):
    kind: str
    start_on: date
    end_on: date
    ref: str
    team: str | None
    scope_units: list[str]


class FindingOut(BaseModel):
    number: int
    severity: str
    clause: str | None
    unit: str
    description: str
    audit_ref: str


class AuditsOut(BaseModel):
    agency: str
    year: int
    audits: list[AuditOut]
    findings: list[FindingOut]
    counts: dict[str, int] = Field(description="Findings by severity (major, minor, observation).")
    actions: list[ActionOut]


def audits_of(session: Session, agency: Agency, year: int, today: date) -> dict[str, Any]:
    """The year's audits, findings, counts by severity and corrective actions."""
    summary = iso.audit_summary(session=session, agency_code=agency.code, year=year)
    actions = iso.list_actions(session=session, agency_code=agency.code, year=year, today=today)
    return summary | {"actions": actions}


@router.get(
    "/agencies/{code}/cycles/{year}/audits", response_model=AuditsOut, responses={403: {}, 404: {}}
)
def get_audits(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
) -> dict[str, Any]:
    """The year's audits with their findings, counts by severity and corrective actions."""
    agency = _readable(session, viewer, code)
    return audits_of(session, agency, year, local_day(settings, now))


@router.post(
    "/agencies/{code}/cycles/{year}/audits",
    response_model=AuditsOut,
    status_code=201,
    responses=WRITE,
)
def post_audit(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: AuditIn,
) -> dict[str, Any]:
    """Record an audit with its findings (an internal audit completes internal_audit)."""
    agency = _writable(session, viewer, code)
    today = local_day(settings, now)
    try:
        iso.record_audit(
            session=session,
            agency_code=agency.code,
            year=year,
            start_on=body.start_on,
            end_on=body.end_on,
            ref=body.ref,
            team=body.team,
            scope_units=body.scope_units,
            findings=[iso.FindingIn(**f.model_dump()) for f in body.findings],
            actor=f"api:{viewer.user.username}",
            today=today,
            kind=body.kind,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return audits_of(session, agency, year, today)
