"""The JSON API for a period's training, budget, directing documents and own inspections, and
for agency lineage (predecessor and successor agencies).

Reads need the right to see the agency, writes the right to change it (as for the ISO records of
web/iso/api_common.py); lineage links change the province's structure, so only an admin adds them.
Refusals answer 422 with `detail` (Vietnamese) and `errors` (each field's path and message).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import AfterValidator, BaseModel, Field, model_validator
from sqlmodel import Session

from config.settings import Settings
from models import iso, lineage
from models.periods import Period, PeriodError, parse_period
from models.tables import Agency
from web.api import CodePath, _agency
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, Viewer, local_day

router = APIRouter(prefix="/api/v1", tags=["activities"])

PeriodPath = Annotated[
    str,
    Path(
        max_length=40,
        description="2021 (annual), 6t-2021 (six months) or 2020-12-15..2021-12-14.",
    ),
]
WRITE: dict[int | str, dict[str, Any]] = {403: {}, 404: {}, 422: {}}
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("must be between 2000-01-01 and 2100-12-31")
    return day


Day = Annotated[date, AfterValidator(_in_range)]


class Body(BaseModel):
    """A request body; lone surrogates cannot be stored as UTF-8, so they are refused here."""

    @model_validator(mode="before")
    @classmethod
    def _no_surrogates(cls, data: Any) -> Any:
        values = data.values() if isinstance(data, dict) else ()
        stack = list(values)
        while stack:
            value = stack.pop()
            if isinstance(value, str) and any(unicodedata.category(c) == "Cs" for c in value):
                raise ValueError("text contains an invalid character (lone surrogate)")
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
        return data


class TrainingBody(Body):
    title: str = Field(max_length=500)
    organiser: str | None = Field(default=None, max_length=300)
    mode: str = Field(default="held", max_length=40, description="held or attended.")
    held_on: Day
    person_times: int = Field(ge=0, le=100_000, description="Person-times (lượt người).")


class BudgetBody(Body):
    allocated: int = Field(ge=0, le=10**12, description="VND allocated (whole đồng).")
    spent: int | None = Field(default=None, ge=0, le=10**12, description="VND spent.")
    purpose: str = Field(default="duy_tri", max_length=64, description="A cap key.")
    note: str | None = Field(default=None, max_length=2000)


class DocumentBody(Body):
    number: str | None = Field(default=None, max_length=200, description="e.g. 46/KH-SNgV.")
    title: str = Field(max_length=1000)
    issued_on: Day


class InspectionBody(Body):
    held_on: Day
    unit: str = Field(max_length=300)
    ref: str | None = Field(default=None, max_length=200)


class LinkBody(Body):
    predecessor: str = Field(max_length=64)
    successor: str = Field(max_length=64)
    basis: str | None = Field(default=None, max_length=300)


class LinksIn(Body):
    links: list[LinkBody] = Field(max_length=5000)


class PeriodOut(BaseModel):
    start: date
    end: date
    key: str
    label: str


class CourseOut(BaseModel):
    title: str
    organiser: str
    mode: str
    held_on: date
    person_times: int


class TrainingOut(BaseModel):
    courses: list[CourseOut]
    held: int
    attended: int
    person_times: int


class BudgetOut(BaseModel):
    purpose: str
    purpose_label: str
    allocated: int
    spent: int | None
    note: str | None
    cap: int | None
    cap_source: str | None
    warnings: list[str]


class DocumentOut(BaseModel):
    number: str
    title: str
    issued_on: date


class DocumentsOut(BaseModel):
    count: int
    items: list[DocumentOut]


class InspectionOut(BaseModel):
    held_on: date
    unit: str
    ref: str


class InspectionsOut(BaseModel):
    count: int
    units: int = Field(description="Distinct units inspected.")
    items: list[InspectionOut]


class ActivitiesOut(BaseModel):
    agency: str
    period: PeriodOut
    training: TrainingOut
    budget: list[BudgetOut]
    directing_documents: DocumentsOut
    inspections: InspectionsOut


class LinkedOut(BaseModel):
    code: str
    name: str
    valid_from: date | None
    valid_to: date | None
    basis: str


class LineageOut(BaseModel):
    agency: str
    predecessors: list[LinkedOut]
    successors: list[LinkedOut]


class LinksAdded(BaseModel):
    added: int


class Refused(HTTPException):
    """A 422 whose body also lists each refused field: {"field": path, "message": Vietnamese}."""

    def __init__(self, exc: iso.IsoError) -> None:
        super().__init__(422, str(exc))
        self.errors = [{"field": e.field, "message": e.message} for e in exc.errors]


def _refused(session: Session, exc: iso.IsoError) -> HTTPException:
    session.rollback()
    return Refused(exc)


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


def period_from(settings: Settings, text: str) -> Period:
    """The period a path names, with the province's cut-off day; 422 in Vietnamese otherwise."""
    try:
        return parse_period(text, iso.load_iso_rules(settings.iso_rules_file).periods)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from exc


def activities_of(session: Session, agency: Agency, period: Period) -> dict[str, Any]:
    """The period's training, budget, directing documents and own inspections."""
    return iso.activities_summary(session=session, agency_code=agency.code, period=period)


BASE = "/agencies/{code}/activities/{period}"


@router.get(BASE, response_model=ActivitiesOut, responses={403: {}, 404: {}, 422: {}})
def get_activities(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    code: CodePath,
    period: PeriodPath,
) -> dict[str, Any]:
    """The period's training (person-times), budget (with cap warnings), directing documents and
    own inspections (count and distinct units)."""
    agency = _readable(session, viewer, code)
    return activities_of(session, agency, period_from(settings, period))


@router.post(BASE + "/training", response_model=ActivitiesOut, status_code=201, responses=WRITE)
def post_training(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    period: PeriodPath,
    body: TrainingBody,
) -> dict[str, Any]:
    """Record a course held or attended in the period."""
    agency = _writable(session, viewer, code)
    span = period_from(settings, period)
    try:
        iso.add_training(
            session=session,
            agency_code=agency.code,
            period=span,
            title=body.title,
            organiser=body.organiser,
            mode=body.mode,
            held_on=body.held_on,
            person_times=body.person_times,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return activities_of(session, agency, span)


@router.put(BASE + "/budget", response_model=ActivitiesOut, responses=WRITE)
def put_budget(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    code: CodePath,
    period: PeriodPath,
    body: BudgetBody,
) -> dict[str, Any]:
    """Record (or correct) the period's budget for a purpose; warnings appear in `budget`."""
    agency = _writable(session, viewer, code)
    span = period_from(settings, period)
    try:
        iso.set_budget(
            session=session,
            agency_code=agency.code,
            period=span,
            allocated=body.allocated,
            spent=body.spent,
            purpose=body.purpose,
            note=body.note,
            actor=f"api:{viewer.user.username}",
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return activities_of(session, agency, span)


@router.post(BASE + "/documents", response_model=ActivitiesOut, status_code=201, responses=WRITE)
def post_document(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    period: PeriodPath,
    body: DocumentBody,
) -> dict[str, Any]:
    """Record a directing document issued in the period."""
    agency = _writable(session, viewer, code)
    span = period_from(settings, period)
    try:
        iso.add_directing_document(
            session=session,
            agency_code=agency.code,
            period=span,
            number=body.number,
            title=body.title,
            issued_on=body.issued_on,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return activities_of(session, agency, span)


@router.post(BASE + "/inspections", response_model=ActivitiesOut, status_code=201, responses=WRITE)
def post_inspection(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    period: PeriodPath,
    body: InspectionBody,
) -> dict[str, Any]:
    """Record an inspection the agency ran on one of its own units."""
    agency = _writable(session, viewer, code)
    span = period_from(settings, period)
    try:
        iso.add_own_inspection(
            session=session,
            agency_code=agency.code,
            period=span,
            held_on=body.held_on,
            unit=body.unit,
            ref=body.ref,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return activities_of(session, agency, span)


@router.get("/agencies/{code}/lineage", response_model=LineageOut, responses={403: {}, 404: {}})
def get_lineage(session: SessionDep, viewer: ApiViewer, code: CodePath) -> dict[str, Any]:
    """The agencies this one replaced (predecessors) and those that replaced it (successors)."""
    agency = _readable(session, viewer, code)
    return {"agency": agency.code, **lineage.lineage_of(session=session, agency=agency)}


@router.post("/lineage", response_model=LinksAdded, status_code=201, responses=WRITE)
def post_lineage(session: SessionDep, viewer: ApiViewer, body: LinksIn) -> dict[str, Any]:
    """Add predecessor → successor links, all or nothing (admin only)."""
    if not viewer.scope.is_admin:
        raise HTTPException(403, "only an admin (Sở KH&CN) may link agencies")
    try:
        added = lineage.add_links(
            session=session,
            links=[
                lineage.LinkIn(link.predecessor, link.successor, link.basis, f"Liên kết {n + 1}")
                for n, link in enumerate(body.links)
            ],
            actor=f"api:{viewer.user.username}",
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return {"added": added}
