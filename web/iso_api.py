"""The JSON API for issue 4's records: audits with findings, corrective actions, objectives.

Every write goes through models/iso.py, which validates and writes all or nothing; its refusals
(IsoError) answer 422 with `detail` (Vietnamese text) and `errors`: each refused field's path
(findings.0.unit) with its Vietnamese message.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import AfterValidator, BaseModel, Field, model_validator
from sqlmodel import Session
from sqlmodel import select as orm_select

from config.settings import Settings
from models import iso
from models.calendar import WorkingCalendar, load_rule_set
from models.tables import Agency
from web.api import CodePath, YearPath, _agency
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, Viewer, local_day

router = APIRouter(prefix="/api/v1", tags=["iso"])

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
NumberPath = Annotated[int, Path(ge=1, le=1_000_000, description="The action's number (#).")]
WRITE: dict[int | str, dict[str, Any]] = {403: {}, 404: {}, 422: {}}


def _in_range(day: date) -> date:
    # Deadlines are computed from these dates; far-off ones would overflow the date type.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("must be between 2000-01-01 and 2100-12-31")
    return day


Day = Annotated[date, AfterValidator(_in_range)]
Value = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


def _strings(value: Any) -> Any:
    """Every string in a body, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


class Body(BaseModel):
    """A request body; lone surrogates cannot be stored as UTF-8, so they are refused here."""

    @model_validator(mode="before")
    @classmethod
    def _no_surrogates(cls, data: Any) -> Any:
        for text in _strings(data):
            if any(unicodedata.category(c) == "Cs" for c in text):
                raise ValueError("text contains an invalid character (lone surrogate)")
        return data


class FindingBody(Body):
    severity: str = Field(
        max_length=50, description="major, minor or observation (or nặng, nhẹ, lưu ý)."
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


class AuditsOut(BaseModel):
    agency: str
    year: int
    audits: list[AuditOut]
    findings: list[FindingOut]
    counts: dict[str, int] = Field(description="Findings by severity (major, minor, observation).")
    actions: list[ActionOut]


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


def iso_rules(settings: Settings) -> iso.IsoRules:
    return iso.load_iso_rules(settings.iso_rules_file)


def working(settings: Settings) -> WorkingCalendar:
    return load_rule_set(settings.calendar_file).working


def _readable(session: Session, viewer: Viewer, code: str) -> Agency:
    agency = _agency(session, code)
    if not viewer.scope.can_see(agency.id):
        raise HTTPException(403, f"you may not see agency {code!r}")
    return agency


def _writable(session: Session, viewer: Viewer, code: str) -> Agency:
    agency = _agency(session, code)
    if not viewer.scope.can_write(agency.id):
        raise HTTPException(403, f"you may not change agency {code!r}")
    return agency


class Refused(HTTPException):
    """A 422 whose body also lists each refused field: {"field": path, "message": Vietnamese}."""

    def __init__(self, exc: iso.IsoError) -> None:
        super().__init__(422, str(exc))
        self.errors = [{"field": e.field, "message": e.message} for e in exc.errors]


def _refused(session: Session, exc: iso.IsoError) -> HTTPException:
    session.rollback()
    return Refused(exc)


def audits_of(session: Session, agency: Agency, year: int, today: date) -> dict[str, Any]:
    """The year's audits, findings, counts by severity and corrective actions."""
    summary = iso.audit_summary(session=session, agency_code=agency.code, year=year)
    actions = iso.list_actions(session=session, agency_code=agency.code, year=year, today=today)
    return summary | {"actions": actions}


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


def _action_out(session: Session, agency: Agency, year: int, number: int, today: date) -> Any:
    actions = iso.list_actions(session=session, agency_code=agency.code, year=year, today=today)
    found = next((a for a in actions if a["number"] == number), None)
    if found is None:
        raise HTTPException(404, f"{agency.code} has no corrective action #{number} in {year}")
    return found


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
