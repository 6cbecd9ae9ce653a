"""The JSON API for inspections by the inspecting unit: the year's plan, the biên bản and the
agency's report-back. The inspecting unit (its users, those above it, admins) writes the plan and
the biên bản; the inspected agency writes its report-back. Refusals answer 422 as in web/iso."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlmodel import Session

from models import iso
from models.calendar import RuleSet, load_rule_set
from models.tables import Agency
from web.api import CodePath, YearPath, _agency
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, Viewer, local_day
from web.iso.api_common import WRITE, Body, Day, _readable, _refused, _writable, iso_rules
from web.iso.audits_api import FindingBody

router = APIRouter(prefix="/api/v1", tags=["inspections"])


class EntryBody(Body):
    agency: str = Field(max_length=64, description="The inspected agency's code.")
    form: str = Field(max_length=50, description="dossier (hồ sơ) or onsite (trực tiếp).")
    month: int | None = Field(default=None, ge=1, le=12, description="The planned month.")
    on: Day | None = Field(default=None, description="The planned day, when known.")


class PlanIn(Body):
    decision_ref: str = Field(max_length=200, description="The approving decision's number.")
    decision_on: Day
    entries: list[EntryBody] = Field(min_length=1, max_length=5000)


class RecordIn(Body):
    record_ref: str = Field(max_length=90, description="The biên bản's number.")
    record_on: Day = Field(description="The day the biên bản was signed.")
    start_on: Day | None = None
    team: str | None = Field(default=None, max_length=2000)
    findings: list[FindingBody] = Field(default_factory=list, max_length=500)


class ReportIn(Body):
    report_ref: str = Field(max_length=200, description="The agency's report number.")
    report_on: Day


class InspectionOut(BaseModel):
    agency: str
    agency_name: str
    year: int
    inspector: str
    plan_decision: str
    form: Literal["dossier", "onsite"]
    planned_month: int
    planned_on: date | None
    planned_by: date
    status: Literal["planned", "not_held", "done", "late"]
    record_ref: str | None
    record_on: date | None
    report_step: str | None
    report_due: date | None
    report_status: Literal["none", "open", "overdue", "done", "done_late"]
    report_ref: str | None
    report_on: date | None


class DecisionOut(BaseModel):
    ref: str
    issued_on: date


class PlanOut(BaseModel):
    inspector: str
    inspector_name: str
    year: int
    decision: DecisionOut | None
    required: int = Field(description="Agencies that must run a QMS that year.")
    planned: int
    onsite: int
    onsite_share: float
    warnings: list[str] = Field(description="Shortfalls against TT 26/2014 Art. 33 (Vietnamese).")
    counts: dict[str, int]
    inspections: list[InspectionOut]


def calendar(settings: Any) -> RuleSet:
    return load_rule_set(settings.calendar_file)


def inspector_writable(session: Session, viewer: Viewer, agency: Agency, year: int) -> Agency:
    """The agency's inspecting unit for the year, if the viewer may write for it; else 403."""
    try:
        inspector = iso.inspector_of(session=session, agency_code=agency.code, year=year)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    if not viewer.scope.can_write(inspector.id):
        raise HTTPException(403, f"only the inspecting unit {inspector.code} may record this")
    return inspector


def _plan_out(session: Session, settings: Any, code: str, year: int, today: date) -> Any:
    return iso.plan_summary(
        session=session, inspector_code=code, year=year, today=today, rules=calendar(settings)
    )


@router.get("/inspectors/{code}/plans/{year}", response_model=PlanOut, responses={403: {}, 404: {}})
def get_plan(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
) -> Any:
    """The inspecting unit's plan: decision, coverage (and its warnings), each inspection."""
    inspector = _readable(session, viewer, code)
    return _plan_out(session, settings, inspector.code, year, local_day(settings, now))


@router.put("/inspectors/{code}/plans/{year}", response_model=PlanOut, responses=WRITE)
def put_plan(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: PlanIn,
) -> Any:
    """Record or amend the plan; below 1/3 on site it is kept and `warnings` says so."""
    inspector = _writable(session, viewer, code)
    try:
        iso.record_plan(
            overseer_code=settings.overseer_code,
            session=session,
            inspector_code=inspector.code,
            year=year,
            decision_ref=body.decision_ref,
            decision_on=body.decision_on,
            entries=[iso.PlanEntry(e.agency, e.form, e.month, e.on) for e in body.entries],
            actor=f"api:{viewer.user.username}",
            rules=calendar(settings),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _plan_out(session, settings, inspector.code, year, local_day(settings, now))


@router.get(
    "/agencies/{code}/cycles/{year}/inspections",
    response_model=list[InspectionOut],
    responses={403: {}, 404: {}},
)
def get_inspections(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
) -> Any:
    """The agency's planned inspections of the year, with the biên bản and report-back."""
    agency = _readable(session, viewer, code)
    return iso.agency_inspections(
        session=session, agency_code=agency.code, year=year, today=local_day(settings, now)
    )


@router.post(
    "/agencies/{code}/cycles/{year}/inspections/record",
    response_model=list[InspectionOut],
    status_code=201,
    responses=WRITE,
)
def post_record(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: RecordIn,
) -> Any:
    """Record the biên bản and its findings (inspecting unit only); opens the report-back step."""
    agency = _agency(session, code)
    inspector_writable(session, viewer, agency, year)
    today = local_day(settings, now)
    try:
        iso.record_inspection(
            session=session,
            agency_code=agency.code,
            year=year,
            record_ref=body.record_ref,
            record_on=body.record_on,
            start_on=body.start_on,
            team=body.team,
            findings=[iso.FindingIn(**f.model_dump()) for f in body.findings],
            actor=f"api:{viewer.user.username}",
            today=today,
            iso_rules=iso_rules(settings),
            working=calendar(settings).working,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.agency_inspections(session=session, agency_code=agency.code, year=year, today=today)


@router.post(
    "/agencies/{code}/cycles/{year}/inspections/report",
    response_model=list[InspectionOut],
    responses=WRITE,
)
def post_report(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ReportIn,
) -> Any:
    """Record the agency's report on its corrective actions (the agency only)."""
    agency = _writable(session, viewer, code)
    today = local_day(settings, now)
    try:
        iso.record_report_back(
            session=session,
            agency_code=agency.code,
            year=year,
            report_ref=body.report_ref,
            report_on=body.report_on,
            actor=f"api:{viewer.user.username}",
            today=today,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.agency_inspections(session=session, agency_code=agency.code, year=year, today=today)
