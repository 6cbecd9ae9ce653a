"""The JSON API for documents and procedures, TTHC figures, dossier statistics and the procedure
updates of legal changes; same authorization as the other ISO records (read/write by scope).

Refusals answer 422 with `detail` (Vietnamese) and `errors` (each field or row with its message).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Path, Query, UploadFile
from pydantic import BaseModel, Field

from models import iso
from models.iso.dossiers import MAX_FILE_BYTES
from models.periods import Period, PeriodError, parse_period
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import WRITE, Body, Day, _readable, _refused, _writable, iso_rules

router = APIRouter(prefix="/api/v1", tags=["procedures"])

PeriodPath = Annotated[
    str,
    Path(
        max_length=40,
        description="Reporting period: 2021, 6t-2021, or 2020-12-15..2021-11-15.",
    ),
]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


def period_of(text: str, settings: Any) -> Period:
    """A period from the URL; 422 in Vietnamese when it cannot be read."""
    try:
        return parse_period(text.replace("6t-", "6t/"), iso_rules(settings).periods)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from exc


class ProcedureIn(Body):
    kind: str = Field(max_length=40, description="guideline (HDHT), internal (QTNB) or tthc.")
    code: str = Field(max_length=60)
    title: str = Field(max_length=500)
    decision_ref: str = Field(max_length=200, description="Issuing decision number.")
    decision_on: Day | None = None
    version: int | None = Field(default=None, ge=1, le=1000, description="Default: the next.")


class AbolishIn(Body):
    abolished_ref: str = Field(max_length=200)
    abolished_on: Day


class ProcedureOut(BaseModel):
    kind: str
    code: str
    title: str
    version: int
    decision_ref: str
    decision_on: date | None
    abolished_on: date | None
    abolished_ref: str | None


class InventoryOut(BaseModel):
    agency: str
    on: date | None
    counts: dict[str, int] = Field(description="In force, by kind: guideline, internal, tthc.")
    procedures: list[ProcedureOut]


class TthcIn(Body):
    total: Count
    amended: Count = 0
    new: Count = 0
    abolished: Count = 0
    decisions: str | None = Field(default=None, max_length=1000)


class TthcOut(BaseModel):
    period_start: date
    period_end: date
    total: int
    amended: int
    new: int
    abolished: int
    decisions: str | None


class DossiersIn(Body):
    received: Count
    on_time: Count
    late: Count = 0
    pending: Count = 0
    with_results: Count
    period_start: Day | None = Field(default=None, description="Default: the period's start.")
    period_end: Day | None = Field(default=None, description="Default: the period's end.")


class DossiersOut(BaseModel):
    period_start: date
    period_end: date
    received: int
    on_time: int
    late: int
    pending: int
    with_results: int
    source: str


class FiguresOut(BaseModel):
    agency: str
    period: str
    period_label: str
    tthc: TthcOut | None
    dossiers: DossiersOut | None


class ImportOut(BaseModel):
    rows: int
    replaced: int
    period: str


class AffectsIn(Body):
    codes: list[Annotated[str, Field(max_length=60)]] = Field(min_length=1, max_length=500)
    publication_ref: str | None = Field(
        default=None, max_length=200, description="Quyết định công bố TTHC number."
    )
    published_on: Day | None = None


class UpdateProcedureOut(BaseModel):
    code: str
    from_version: int
    new_version: int | None
    decision_ref: str | None
    decision_on: date | None


class UpdateOut(BaseModel):
    event: str
    agency: str
    effective_on: date = Field(description="The law's effective date: the deadline runs from it.")
    publication_ref: str | None
    published_on: date | None
    lag_days: int | None
    step: str
    due: date | None
    state: str | None
    done_on: date | None
    ref: str | None
    procedures: list[UpdateProcedureOut]


def inventory_of(session: Any, code: str, on: date | None, history: bool = False) -> dict[str, Any]:
    """The documents in force (or every version), with counts in force per kind."""
    return {
        "agency": code,
        "on": on,
        "counts": iso.procedure_counts(session=session, agency_code=code, on=on),
        "procedures": iso.list_procedures(
            session=session, agency_code=code, on=on, history=history
        ),
    }


def figures_of(session: Any, code: str, period: Period) -> dict[str, Any]:
    """The period's TTHC figures and dossier statistics (each None until entered)."""
    return {
        "agency": code,
        "period": period.key,
        "period_label": period.label,
        "tthc": iso.get_tthc_figures(session=session, agency_code=code, period=period),
        "dossiers": iso.get_dossier_stats(session=session, agency_code=code, period=period),
    }


@router.get("/agencies/{code}/procedures", response_model=InventoryOut, responses={403: {}})
def get_procedures(
    session: SessionDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    on: Annotated[Day | None, Query(description="In force on this day.")] = None,
    history: Annotated[bool, Query(description="Every version.")] = False,
) -> dict[str, Any]:
    """The agency's guidelines, internal procedures and TTHC procedures, with counts."""
    agency = _readable(session, viewer, code)
    return inventory_of(session, agency.code, on, history)


@router.post(
    "/agencies/{code}/procedures", response_model=InventoryOut, status_code=201, responses=WRITE
)
def post_procedure(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    body: ProcedureIn,
) -> dict[str, Any]:
    """Issue a document or a new version of it; completes legal-change updates it finishes."""
    agency = _writable(session, viewer, code)
    try:
        iso.issue_procedure(
            session=session,
            agency_code=agency.code,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            **body.model_dump(),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return inventory_of(session, agency.code, None)


@router.post(
    "/agencies/{code}/procedures/{procedure}/abolish", response_model=InventoryOut, responses=WRITE
)
def post_abolish(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    procedure: Annotated[str, Path(max_length=60)],
    body: AbolishIn,
) -> dict[str, Any]:
    """Record that a document stops applying from a day."""
    agency = _writable(session, viewer, code)
    try:
        iso.abolish_procedure(
            session=session,
            agency_code=agency.code,
            code=procedure,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            **body.model_dump(),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return inventory_of(session, agency.code, None)


@router.get(
    "/agencies/{code}/periods/{period}/figures",
    response_model=FiguresOut,
    responses={403: {}, 422: {}},
)
def get_figures(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    period: PeriodPath,
) -> dict[str, Any]:
    """The period's TTHC figures and dossier statistics."""
    agency = _readable(session, viewer, code)
    return figures_of(session, agency.code, period_of(period, settings))


@router.put("/agencies/{code}/periods/{period}/tthc", response_model=FiguresOut, responses=WRITE)
def put_tthc(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    period: PeriodPath,
    body: TthcIn,
) -> dict[str, Any]:
    """Enter (or correct) the period's TTHC: total, amended, new and abolished."""
    agency = _writable(session, viewer, code)
    span = period_of(period, settings)
    try:
        iso.set_tthc_figures(
            session=session,
            agency_code=agency.code,
            period=span,
            actor=f"api:{viewer.user.username}",
            **body.model_dump(),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return figures_of(session, agency.code, span)


@router.put(
    "/agencies/{code}/periods/{period}/dossiers", response_model=FiguresOut, responses=WRITE
)
def put_dossiers(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    code: Annotated[str, Path(max_length=64)],
    period: PeriodPath,
    body: DossiersIn,
) -> dict[str, Any]:
    """Enter (or correct) the dossier figures by hand (a range inside the period may be given)."""
    agency = _writable(session, viewer, code)
    whole = period_of(period, settings)
    values = body.model_dump()
    start, end = values.pop("period_start") or whole.start, values.pop("period_end") or whole.end
    try:
        span = Period(start, end)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from exc
    if not (whole.contains(span.start) and whole.contains(span.end)):
        raise HTTPException(422, f"Khoảng ngày {span.label} nằm ngoài kỳ báo cáo {whole.label}.")
    try:
        iso.set_dossier_stats(
            session=session,
            agency_code=agency.code,
            period=span,
            actor=f"api:{viewer.user.username}",
            **values,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return figures_of(session, agency.code, whole)


@router.post(
    "/periods/{period}/dossier-imports",
    response_model=ImportOut,
    status_code=201,
    responses={403: {}, 422: {}},
)
async def post_dossier_import(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ApiViewer,
    period: PeriodPath,
    file: Annotated[UploadFile, File(description="The portal's .xlsx or .csv export.")],
) -> dict[str, Any]:
    """Import dossier statistics for many agencies from the portal's file, all or nothing;
    each row's agency must be one the caller may change."""
    span = period_of(period, settings)
    data = await file.read(MAX_FILE_BYTES + 1)
    try:
        result = iso.import_dossier_stats(
            session=session,
            name=file.filename or "tệp",
            data=data,
            period=span,
            actor=f"api:{viewer.user.username}",
            may_write=viewer.scope.can_write,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return {"rows": result.rows, "replaced": result.replaced, "period": span.key}


@router.get(
    "/events/legal_change/{number}/agencies/{code}/procedures",
    response_model=UpdateOut,
    responses={403: {}, 422: {}},
)
def get_update(
    session: SessionDep,
    viewer: ApiViewer,
    number: Annotated[str, Path(max_length=90)],
    code: Annotated[str, Path(max_length=64)],
) -> dict[str, Any]:
    """A legal change at an agency: effective date, Quyết định công bố TTHC, deadline, versions."""
    agency = _readable(session, viewer, code)
    try:
        return iso.procedure_update(session=session, event_number=number, agency_code=agency.code)
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc


@router.post(
    "/events/legal_change/{number}/agencies/{code}/procedures",
    response_model=UpdateOut,
    responses=WRITE,
)
def post_affects(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    number: Annotated[str, Path(max_length=90)],
    code: Annotated[str, Path(max_length=64)],
    body: AffectsIn,
) -> dict[str, Any]:
    """Name the procedures a legal change affects at an agency (and the publishing decision)."""
    agency = _writable(session, viewer, code)
    try:
        return iso.name_affected_procedures(
            session=session,
            event_number=number,
            agency_code=agency.code,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            **body.model_dump(),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
