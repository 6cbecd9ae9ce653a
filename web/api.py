"""The JSON API under /api/v1: status, completing steps and agency management (Bearer tokens)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlmodel import Session, select as orm_select

from models import agencies as agency_rules, cycles, history_text
from models.agencies import FIELDS, ImportFailed
from models.tables import AGENCY, Agency, Step
from models.users import subtree_ids
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, Viewer, local_day

router = APIRouter(prefix="/api/v1", tags=["api"])

# Larger scopes are filtered in Python: SQLite caps the parameters of one statement.
IN_LIST_LIMIT = 5000
YearPath = Annotated[int, Path(ge=2000, le=2100, description="Cycle year, e.g. 2026.")]
CodePath = Annotated[str, Path(max_length=64, description="Agency code, e.g. SNGV.")]


def printable(value: str, field: str, multiline: bool = False) -> str:
    """Refuse control characters and lone surrogates, which no document number or note has."""
    allowed = {"\n", "\r", "\t"} if multiline else set()
    for c in value:
        if c not in allowed and unicodedata.category(c) in ("Cc", "Cs"):
            raise ValueError(f"{field} contains a control character")
    return value


# The same fields, in the same order, as `isocycle status --json`.
class StatusRow(BaseModel):
    agency: str
    agency_name: str
    step: str
    title: str
    nominal_due: date
    due: date
    status: str = Field(description="pending, overdue, done or waived (computed from today).")
    done_on: date | None
    ref: str | None
    days_overdue: int
    days_late: int


STATUS_FIELDS = tuple(StatusRow.model_fields)


class CompleteIn(BaseModel):
    done_on: date = Field(description="Date of completion / of the document (YYYY-MM-DD).")
    ref: str = Field(min_length=1, max_length=200, description="Document number (số ký hiệu).")
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        return printable(v, "ref")

    @field_validator("note")
    @classmethod
    def _note(cls, v: str | None) -> str | None:
        return None if v is None else printable(v, "note", multiline=True)


class AgencyOut(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    secretary_name: str | None
    secretary_email: str | None
    head_name: str | None
    head_email: str | None
    active: bool
    valid_from: date | None
    valid_to: date | None
    abbreviation: str | None = Field(description="As document numbers write it, e.g. SNgV.")


class AgencyPatch(BaseModel):
    name: str | None = Field(default=None, max_length=300)
    kind: str | None = Field(default=None, max_length=32)
    parent_code: str | None = Field(default=None, max_length=64)
    secretary_name: str | None = Field(default=None, max_length=200)
    secretary_email: str | None = Field(default=None, max_length=254)
    head_name: str | None = Field(default=None, max_length=200)
    head_email: str | None = Field(default=None, max_length=254)
    active: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    abbreviation: str | None = Field(default=None, max_length=20)


class AgencyIn(AgencyPatch):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    kind: str = Field(min_length=1, max_length=32)


def _agency(session: Session, code: str) -> Agency:
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in code):
        raise HTTPException(404, f"unknown agency {code!r}")
    agency = agency_rules.get_agency(session=session, code=code)
    if agency is None:
        raise HTTPException(404, f"unknown agency {code!r}")
    return agency


def _agency_out(session: Session, code: str) -> AgencyOut:
    row = next(r for r in agency_rules.list_agencies(session=session) if r["code"] == code)
    return AgencyOut(**{k: row[k] for k in AgencyOut.model_fields})


def _require_admin(viewer: Viewer) -> None:
    if not viewer.scope.is_admin:
        raise HTTPException(403, "only an admin (Sở KH&CN) may manage agencies")


def _write(session: Session, row: dict[str, Any]) -> None:
    """Validate and store one agency row through the import rules; 422 names the field."""
    cells = ["" if row.get(f) is None else str(row[f]) for f in FIELDS]
    if row.get("active") is not None:
        cells[FIELDS.index("active")] = "1" if row["active"] else "0"
    try:
        agency_rules.upsert_agencies(session=session, header=list(FIELDS), data=[cells])
    except ImportFailed as exc:
        session.rollback()
        raise HTTPException(
            422, "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        ) from exc


@router.get("/status", response_model=list[StatusRow])
def status(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    year: Annotated[int, Query(ge=2000, le=2100)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Every step of a year that the caller may see (with `agency`: it and its units)."""
    ids = viewer.scope.agency_ids
    if agency:
        found = _agency(session, agency)
        if not viewer.scope.can_see(found.id):
            raise HTTPException(403, f"you may not see agency {agency!r}")
        ids = subtree_ids(session=session, roots=[found.id])
    today = local_day(settings, now)
    if ids is not None and len(ids) <= IN_LIST_LIMIT:
        rows = cycles.status_rows(session=session, year=year, today=today, agency_ids=ids)
    else:
        rows = cycles.status_rows(session=session, year=year, today=today)
        if ids is not None:
            pairs = session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples()
            codes = {code for agency_id, code in pairs if agency_id in ids}
            rows = [r for r in rows if r["agency"] in codes]
    return [{k: r[k] for k in STATUS_FIELDS} for r in rows]


@router.post(
    "/agencies/{code}/cycles/{year}/steps/{step:path}/complete",  # keys may hold "/"
    response_model=StatusRow,
    responses={403: {}, 404: {}, 422: {}},
)
def complete(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    step: Annotated[str, Path(max_length=120)],
    body: CompleteIn,
) -> dict[str, Any]:
    """Mark a step done with its evidence; answers the step as `status` shows it."""
    agency = _agency(session, code)
    if not viewer.scope.can_write(agency.id):
        raise HTTPException(403, f"you may not change agency {code!r}")
    target = None
    if not any(unicodedata.category(c) in ("Cc", "Cs") for c in step):
        target = session.exec(
            orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == step)
        ).first()
    if target is None:
        raise HTTPException(404, f"unknown step {step!r} for {code} in {year}")
    today = local_day(settings, now)
    try:
        cycles.mark_done(
            session=session,
            step=target,
            done_on=body.done_on,
            ref=body.ref,
            note=body.note,
            actor=f"api:{viewer.user.username}",
            today=today,
            now=now,
        )
    except cycles.StepError as exc:
        session.rollback()
        raise HTTPException(422, str(exc)) from exc
    row = next(
        r
        for r in cycles.status_rows(session=session, year=year, today=today, agency_ids=[agency.id])
        if r["step"] == step
    )
    return {k: row[k] for k in STATUS_FIELDS}


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(session: SessionDep, viewer: ApiViewer) -> list[dict[str, Any]]:
    """The agencies the caller may see, ordered by code."""
    return [
        {k: r[k] for k in AgencyOut.model_fields}
        for r in agency_rules.list_agencies(session=session)
        if viewer.scope.can_see(r["id"])
    ]


@router.get("/agencies/{code}", response_model=AgencyOut, responses={403: {}, 404: {}})
def get_agency(session: SessionDep, viewer: ApiViewer, code: CodePath) -> AgencyOut:
    """One agency, if the caller may see it."""
    agency = _agency(session, code)
    if not viewer.scope.can_see(agency.id):
        raise HTTPException(403, f"you may not see agency {code!r}")
    return _agency_out(session, code)


class ChangeOut(BaseModel):
    label: str = Field(description="The field's Vietnamese label.")
    old: str | None = Field(description="The old value in words; null when newly given.")
    new: str


class HistoryOut(BaseModel):
    at: datetime
    actor: str
    year: int | None
    entity: str
    entity_id: str
    action: str
    text: str = Field(description="The change as a Vietnamese sentence.")
    changes: list[ChangeOut] = Field(description="Labelled old → new values the text leaves out.")
    old: dict[str, Any] | None = Field(
        description="The stored values, as `isocycle history --json`."
    )
    new: dict[str, Any] | None


@router.get(
    "/agencies/{code}/history", response_model=list[HistoryOut], responses={403: {}, 404: {}}
)
def agency_history(
    session: SessionDep,
    viewer: ApiViewer,
    code: CodePath,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[HistoryOut]:
    """Who changed what and when for an agency (optionally one year), oldest first, in words."""
    agency = _agency(session, code)
    if not viewer.scope.can_see(agency.id):
        raise HTTPException(403, f"you may not see agency {code!r}")
    entries = list(cycles.history(session=session, agency_id=agency.id, year=year))
    names = history_text.history_names(session, entries)
    out = []
    for h in entries:
        told = history_text.describe(h, names)
        out.append(
            HistoryOut(
                at=h.at, actor=h.actor, year=h.year, entity=h.entity, entity_id=h.entity_id,
                action=h.action, text=told.sentence,
                changes=[ChangeOut(label=c.label, old=c.old, new=c.new) for c in told.changes],
                old=h.old, new=h.new,
            )
        )  # fmt: skip
    return out


@router.post(
    "/agencies", response_model=AgencyOut, status_code=201, responses={403: {}, 409: {}, 422: {}}
)
def create_agency(session: SessionDep, viewer: ApiViewer, body: AgencyIn) -> AgencyOut:
    """Create an agency (admins only); the same rules as an import row."""
    _require_admin(viewer)
    for key, value in body.model_dump().items():
        if isinstance(value, str):
            try:
                printable(value, key)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from exc
    if agency_rules.get_agency(session=session, code=body.code.strip()) is not None:
        raise HTTPException(409, f"code: agency {body.code!r} already exists")
    _write(session, body.model_dump())
    return _agency_out(session, body.code.strip())


@router.patch("/agencies/{code}", response_model=AgencyOut, responses={403: {}, 404: {}, 422: {}})
def update_agency(
    session: SessionDep, viewer: ApiViewer, code: CodePath, body: AgencyPatch
) -> AgencyOut:
    """Change some fields of an agency (admins only); fields left out keep their value."""
    _require_admin(viewer)
    _agency(session, code)
    current = next(r for r in agency_rules.list_agencies(session=session) if r["code"] == code)
    changes = body.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if isinstance(value, str):
            try:
                printable(value, key)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from exc
    row = {f: current.get(f) for f in FIELDS} | changes | {"code": code}
    _write(session, row)
    return _agency_out(session, code)
