"""The JSON API for report requests, reports and their receipt (models/iso/reporting.py).

- A request is sent in a unit's name by that unit's users (or an admin).
- A report is sent only by its agency's own users (multipart: the file and its fields).
- Receipt, acceptance and return are recorded only by the receiving unit's users (or an admin);
  receipt completes the report step, a return opens it again.
Refusals answer 422 with `detail` (Vietnamese) and `errors` (field, message), as web/iso does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from config.settings import Settings
from models import iso
from models.calendar import WorkingCalendar, load_rule_set
from models.iso import report_checks, reporting
from models.periods import PeriodError, parse_period
from models.tables import Agency
from web.api import CodePath, YearPath, _agency
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, Viewer, local_day
from web.iso.api_common import WRITE, Body, Day, Refused

router = APIRouter(prefix="/api/v1", tags=["reporting"])

StepQuery = Annotated[
    str, Query(max_length=120, description="The report step: annual_report, six_month_report "
               "or report:LETTER for an ad hoc letter.")
]  # fmt: skip


class RequestIn(Body):
    unit: str = Field(max_length=64, description="Code of the unit that asks and receives.")
    letter_number: str = Field(max_length=100, description="e.g. 1550/SKHCN-TĐC.")
    letter_date: Day
    kind: Literal["six_month_report", "annual_report", "ad_hoc_report"]
    period: str = Field(
        max_length=60, description='"2021", "6t/2021" or two days "15/12/2020-11/11/2020".'
    )
    due: Day | None = Field(default=None, description="The letter's deadline (default: calendar).")
    outline: str | None = Field(default=None, max_length=200, description="Đề cương version.")
    title: str | None = Field(default=None, max_length=500)
    agencies: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list)
    recipient_kinds: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list)


class RequestOut(BaseModel):
    unit: str
    letter_number: str
    letter_date: date
    kind: str
    kind_label: str
    year: int
    step: str
    period_start: date
    period_end: date
    period_label: str
    nominal_due: date | None
    due: date | None
    outline: str | None
    title: str | None
    recipient_kinds: list[str]
    agencies: list[str]


class ReportRow(BaseModel):
    agency: str
    agency_name: str
    year: int
    step: str
    title: str
    due: date | None
    step_state: str | None = Field(
        description="open, done, waived; null: no step (year not opened)."
    )
    status: str | None = Field(description="submitted, received, accepted, returned, or null.")
    status_label: str
    number: str | None
    report_date: date | None
    recipient: str | None
    addressed_to: str | None
    file_name: str | None
    file_size: int | None
    received_on: date | None
    comment: str | None
    on_time: bool | None = Field(description="Received on or before the deadline; null: not yet.")
    late: bool


class ReceiptIn(Body):
    received_on: Day


class ReturnIn(Body):
    comment: str = Field(max_length=2000)


def working(settings: Settings) -> WorkingCalendar:
    return load_rule_set(settings.calendar_file).working


def _refused(session: Session, exc: iso.IsoError) -> HTTPException:
    session.rollback()
    return Refused(exc)


def _report_or_404(session: Session, agency: Agency, year: int, step: str) -> reporting.Report:
    try:
        return iso.get_report(session=session, agency_code=agency.code, year=year, step_key=step)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc


def _may_receive(viewer: Viewer, unit_id: Any) -> None:
    if not report_checks.may_receive(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, unit_id=unit_id
    ):
        raise HTTPException(
            403, "Chỉ người dùng của đơn vị nhận báo cáo (hoặc quản trị viên) được làm việc này."
        )


def _readable(session: Session, viewer: Viewer, agency: Agency, unit_id: Any = None) -> None:
    if viewer.scope.can_see(agency.id) or (
        unit_id is not None and viewer.user.agency_id == unit_id
    ):
        return
    raise HTTPException(403, f"you may not see agency {agency.code!r}")


def _row(session: Session, agency: Agency, year: int, step: str, today: date) -> dict[str, Any]:
    rows = iso.report_rows(
        session=session, today=today, agency_ids=[agency.id], year=year, step_key=step
    )
    if not rows:
        raise HTTPException(404, f"{agency.code} has no report step {step!r} in {year}")
    return rows[0]


@router.get("/report-requests", response_model=list[RequestOut])
def get_requests(
    session: SessionDep,
    viewer: ApiViewer,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Report requests, by the unit that sent them or the agency they ask; only those the caller
    sent, or that ask an agency the caller sees."""
    try:
        found = iso.list_requests(session=session, unit_code=unit, agency_code=agency)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    out = []
    for request in found:
        row = iso.request_out(session, request)
        mine = viewer.scope.is_admin or viewer.user.agency_id == request.unit_id
        if mine or any(viewer.scope.can_see(_agency(session, c).id) for c in row["agencies"]):
            out.append(row)
    return out


@router.post("/report-requests", response_model=RequestOut, status_code=201, responses=WRITE)
def post_request(
    session: SessionDep, settings: SettingsDep, now: NowDep, viewer: ApiViewer, body: RequestIn
) -> dict[str, Any]:
    """Record a request letter in a unit's name; sets each asked agency's report step."""
    unit = _agency(session, body.unit)
    _may_receive(viewer, unit.id)
    rules = iso.load_iso_rules(settings.iso_rules_file)
    try:
        try:
            period = parse_period(body.period, rules.periods)
        except PeriodError as exc:
            raise iso.IsoError(str(exc), field="period") from exc
        request = iso.create_request(
            overseer_code=settings.overseer_code,
            session=session,
            unit_code=unit.code,
            letter_number=body.letter_number,
            letter_date=body.letter_date,
            kind=body.kind,
            period=period,
            agency_codes=body.agencies,
            recipient_kinds=body.recipient_kinds,
            due=body.due,
            outline=body.outline,
            title=body.title,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            working=working(settings),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.request_out(session, request)


@router.get("/report-requests/{unit}/reports", response_model=list[ReportRow], responses={403: {}})
def get_request_reports(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    unit: CodePath,
    letter: Annotated[str, Query(max_length=100, description="The letter number.")],
) -> list[dict[str, Any]]:
    """Who was asked by a letter: sent, received, accepted, returned, late (the unit's users)."""
    unit_row = _agency(session, unit)
    _may_receive(viewer, unit_row.id)
    try:
        request = iso.get_request(session=session, unit_code=unit, letter_number=letter)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    return iso.report_rows(session=session, today=local_day(settings, now), request=request)


@router.get("/agencies/{code}/cycles/{year}/reports", response_model=list[ReportRow])
def get_reports(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
) -> list[dict[str, Any]]:
    """An agency's report steps of a year, each with its report and receipt."""
    agency = _agency(session, code)
    rows = iso.report_rows(
        session=session, today=local_day(settings, now), agency_ids=[agency.id], year=year
    )
    units = {r["recipient"] for r in rows if r["recipient"]}
    unit_ids = {_agency(session, u).id for u in units}
    if not viewer.scope.can_see(agency.id) and viewer.user.agency_id not in unit_ids:
        raise HTTPException(403, f"you may not see agency {code!r}")
    return rows


@router.post(
    "/agencies/{code}/cycles/{year}/reports",
    response_model=ReportRow,
    status_code=201,
    responses=WRITE,
)
async def post_report(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    step: StepQuery,
    file: Annotated[UploadFile, File(description="The report, .pdf or .docx.")],
    number: Annotated[str | None, Form(max_length=100)] = None,
    report_date: Annotated[date | None, Form()] = None,
    letter_number: Annotated[str | None, Form(max_length=100)] = None,
    unit: Annotated[str | None, Form(max_length=64)] = None,
    addressed_to: Annotated[str | None, Form(max_length=500)] = None,
) -> dict[str, Any]:
    """Send the agency's report for a step (only the agency's own users); the step stays open
    until the receiving unit records receipt."""
    agency = _agency(session, code)
    if not report_checks.may_submit(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, agency_id=agency.id
    ):
        raise HTTPException(403, f"Chỉ người dùng của {agency.name} được gửi báo cáo của đơn vị.")
    limit = settings.report_file_max_bytes
    data = await file.read(limit + 1)
    today = local_day(settings, now)
    try:
        iso.submit_report(
            overseer_code=settings.overseer_code,
            session=session,
            agency_code=agency.code,
            year=year,
            step_key=step,
            number=number,
            report_date=report_date,
            actor=f"api:{viewer.user.username}",
            today=today,
            file=iso.ReportFileIn(file.filename or "", data),
            max_file_bytes=limit,
            letter_number=letter_number,
            unit_code=unit,
            addressed_to=addressed_to,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _row(session, agency, year, step, today)


@router.get("/agencies/{code}/cycles/{year}/reports/file", responses={403: {}, 404: {}})
def get_report_file(
    session: SessionDep, viewer: ApiViewer, code: CodePath, year: YearPath, step: StepQuery
) -> Response:
    """The report's stored file, to its agency and its receiving unit."""
    agency = _agency(session, code)
    report = _report_or_404(session, agency, year, step)
    _readable(session, viewer, agency, report.recipient_id)
    data = reporting.report_file(session=session, report=report)
    if data is None or not report.file_name:
        raise HTTPException(404, "Báo cáo này không có tệp.")
    return file_response(data, report.file_name, report.content_type)


def file_response(data: bytes, name: str, content_type: str | None) -> Response:
    """A stored file as a download: its checked content type, never sniffed or run inline."""
    from urllib.parse import quote

    return Response(
        data,
        media_type=content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _decision(
    session: Session, viewer: Viewer, code: str, year: int, step: str
) -> tuple[Agency, reporting.Report]:
    agency = _agency(session, code)
    report = _report_or_404(session, agency, year, step)
    _may_receive(viewer, report.recipient_id)
    return agency, report


@router.post(
    "/agencies/{code}/cycles/{year}/reports/receipt", response_model=ReportRow, responses=WRITE
)
def post_receipt(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    step: StepQuery,
    body: ReceiptIn,
) -> dict[str, Any]:
    """The receiving unit records the day it received the report; completes the report step."""
    agency, _ = _decision(session, viewer, code, year, step)
    today = local_day(settings, now)
    try:
        iso.record_receipt(
            session=session,
            agency_code=agency.code,
            year=year,
            step_key=step,
            received_on=body.received_on,
            actor=f"api:{viewer.user.username}",
            today=today,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _row(session, agency, year, step, today)


@router.post(
    "/agencies/{code}/cycles/{year}/reports/accept", response_model=ReportRow, responses=WRITE
)
def post_accept(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    step: StepQuery,
) -> dict[str, Any]:
    """The receiving unit accepts a received report."""
    agency, _ = _decision(session, viewer, code, year, step)
    try:
        iso.accept_report(
            session=session,
            agency_code=agency.code,
            year=year,
            step_key=step,
            actor=f"api:{viewer.user.username}",
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _row(session, agency, year, step, local_day(settings, now))


@router.post(
    "/agencies/{code}/cycles/{year}/reports/return", response_model=ReportRow, responses=WRITE
)
def post_return(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    step: StepQuery,
    body: ReturnIn,
) -> dict[str, Any]:
    """The receiving unit returns the report with a comment; the report step opens again."""
    agency, _ = _decision(session, viewer, code, year, step)
    try:
        iso.return_report(
            session=session,
            agency_code=agency.code,
            year=year,
            step_key=step,
            comment=body.comment,
            actor=f"api:{viewer.user.username}",
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return _row(session, agency, year, step, local_day(settings, now))
