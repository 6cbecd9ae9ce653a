"""Report pages: an agency sees its report steps and sends its report (with the file); the
receiving unit sees, for each letter, who has sent, been received, accepted, returned or is late,
and records receipt. The same rules as web/reporting_api.py, checked on every request."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from models import iso
from models.iso import report_checks, reporting
from models.tables import Agency
from web.api import _agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.documents import province as province_documents
from web.pages import date_error, parse_vn_date, render
from web.reporting_api import file_response

router = APIRouter(include_in_schema=False)


def _units(session: Session, viewer: Viewer) -> list[Agency]:
    """The units whose letters the viewer handles: their own, or every sending unit (admin)."""
    requests = iso.list_requests(session=session)
    ids = {r.unit_id for r in requests}
    if not viewer.scope.is_admin:
        ids &= {viewer.user.agency_id} if viewer.user.agency_id else set()
    return [a for a in (session.get(Agency, i) for i in ids) if a is not None]


@router.get("/reports")
def reports_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    year: int | None = None,
) -> Response:
    """The viewer's agency's report steps (with the send form), and the letters it received."""
    today = local_day(settings, now)
    own: list[dict[str, Any]] = []
    agency = session.get(Agency, viewer.user.agency_id) if viewer.user.agency_id else None
    if agency is not None:
        own = iso.report_rows(session=session, today=today, agency_ids=[agency.id], year=year)
    letters = []
    for unit in _units(session, viewer):
        for found in iso.list_requests(session=session, unit_code=unit.code):
            rows = iso.report_rows(session=session, today=today, request=found)
            letters.append(
                {
                    "request": iso.request_out(session, found),
                    "unit_name": unit.name,
                    "asked": len(rows),
                    "sent": sum(r["status"] is not None for r in rows),
                    "received": sum(r["received_on"] is not None for r in rows),
                    "late": sum(r["late"] for r in rows),
                }
            )
    # Sở KH&CN's users download the letter and its chasing letter from the list.
    documents = province_documents.may_download(session, viewer, settings.overseer_code)
    for letter in letters:
        found = letter["request"]
        if documents and found["unit"] == settings.overseer_code:
            letter["documents"] = province_documents.letter_links(
                found["letter_number"], found["year"]
            )
    can_submit = agency is not None and report_checks.may_submit(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, agency_id=agency.id
    )
    return render(
        request,
        "reports.html",
        {
            "agency": agency,
            "own": own,
            "letters": sorted(letters, key=lambda x: x["request"]["letter_date"], reverse=True),
            "can_submit": can_submit,
            "today": today,
            "max_mb": settings.report_file_max_bytes // (1024 * 1024),
        },
        viewer,
    )


@router.get("/reports/letter")
def letter_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    unit: str,
    letter: str,
) -> Response:
    """One letter's list, for its receiving unit: who sent, was received, accepted, returned."""
    unit_row = _agency(session, unit[:64])
    _require_receiver(viewer, unit_row)
    try:
        found = iso.get_request(session=session, unit_code=unit_row.code, letter_number=letter)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    today = local_day(settings, now)
    return render(
        request,
        "reports_letter.html",
        {
            "unit": unit_row,
            "letter": iso.request_out(session, found),
            "rows": iso.report_rows(session=session, today=today, request=found),
            "today": today,
        },
        viewer,
    )


def _require_receiver(viewer: Viewer, unit: Agency) -> None:
    if not report_checks.may_receive(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, unit_id=unit.id
    ):
        raise HTTPException(
            403, "Chỉ người dùng của đơn vị nhận báo cáo (hoặc quản trị viên) được xem trang này."
        )


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise HTTPException(422, "Năm không hợp lệ.") from None
    if not 2000 <= year <= 2100:
        raise HTTPException(422, "Năm không hợp lệ.")
    return year


@router.post("/reports/submit")
async def submit_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
) -> Response:
    """Send the viewer's agency's report for a step, with its file (multipart, CSRF-checked)."""
    form = await request.form()
    sent, expected = form.get("csrf_token"), request.session.get("csrf")
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang.")
    text = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    agency = _agency(session, text.get("agency", "")[:64])
    if not report_checks.may_submit(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, agency_id=agency.id
    ):
        raise HTTPException(403, f"Chỉ người dùng của {agency.name} được gửi báo cáo của đơn vị.")
    year = _year(text.get("year", ""))
    upload = form.get("file")
    limit = settings.report_file_max_bytes
    data, name = b"", ""
    if isinstance(upload, UploadFile):
        data, name = await upload.read(limit + 1), upload.filename or ""
    report_date = None
    if text.get("report_date"):
        report_date = parse_vn_date(text["report_date"])
        if report_date is None:
            return _back(request, date_error("Ngày báo cáo", text["report_date"]), error=True)
    try:
        iso.submit_report(
            overseer_code=settings.overseer_code,
            session=session,
            agency_code=agency.code,
            year=year,
            step_key=text.get("step", "")[:120],
            number=text.get("number") or None,
            report_date=report_date,
            actor=f"web:{viewer.user.username}",
            today=local_day(settings, now),
            file=iso.ReportFileIn(name, data) if name or data else None,
            max_file_bytes=limit,
            unit_code=text.get("unit") or None,
        )
    except iso.IsoError as exc:
        session.rollback()
        return _back(request, str(exc), error=True)
    return _back(request, "Đã gửi báo cáo; bước hoàn thành khi đơn vị nhận ghi nhận đã nhận.")


def _back(request: Request, message: str, error: bool = False, to: str = "/reports") -> Response:
    flash(request, ("Lỗi: " if error else "") + message)
    return RedirectResponse(to, 303)


@router.post("/reports/decide")
def decide_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
) -> Response:
    """Record receipt, accept or return a report (the receiving unit, or an admin)."""
    agency = _agency(session, form.get("agency", "")[:64])
    year, step = _year(form.get("year", "")), form.get("step", "")[:120]
    try:
        report = iso.get_report(session=session, agency_code=agency.code, year=year, step_key=step)
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    unit = session.get(Agency, report.recipient_id)
    assert unit is not None  # a foreign key
    _require_receiver(viewer, unit)
    back = "/reports/letter?" + urlencode(
        {"unit": unit.code, "letter": form.get("letter", "")[:100]}
    )
    if not form.get("letter"):
        back = "/reports"
    actor = f"web:{viewer.user.username}"
    action = form.get("action")
    try:
        if action == "receipt":
            day = parse_vn_date(form.get("received_on", ""))
            if day is None:
                return _back(
                    request, date_error("Ngày nhận", form.get("received_on", "")), True, back
                )
            iso.record_receipt(
                session=session, agency_code=agency.code, year=year, step_key=step,
                received_on=day, actor=actor, today=local_day(settings, now),
            )  # fmt: skip
            message = f"Đã ghi nhận đã nhận báo cáo của {agency.name}."
        elif action == "accept":
            iso.accept_report(
                session=session, agency_code=agency.code, year=year, step_key=step, actor=actor
            )
            message = f"Đã chấp nhận báo cáo của {agency.name}."
        elif action == "return":
            iso.return_report(
                session=session, agency_code=agency.code, year=year, step_key=step,
                comment=form.get("comment", ""), actor=actor,
            )  # fmt: skip
            message = f"Đã trả lại báo cáo của {agency.name}; bước báo cáo được mở lại."
        else:
            raise HTTPException(422, "Thao tác không hợp lệ.")
    except iso.IsoError as exc:
        session.rollback()
        return _back(request, str(exc), True, back)
    return _back(request, message, to=back)


@router.get("/reports/file")
def file_download(
    session: SessionDep, viewer: PageViewer, agency: str, year: int, step: str
) -> Response:
    """A report's file, to its agency's viewers and its receiving unit."""
    found = _agency(session, agency[:64])
    try:
        report = iso.get_report(
            session=session, agency_code=found.code, year=year, step_key=step[:120]
        )
    except iso.IsoError as exc:
        raise HTTPException(404, str(exc)) from exc
    if not (
        viewer.scope.can_see(found.id)
        or report_checks.may_receive(
            role=viewer.user.role, user_agency_id=viewer.user.agency_id, unit_id=report.recipient_id
        )
    ):
        raise HTTPException(403, "Bạn không được xem báo cáo của đơn vị này.")
    data = reporting.report_file(session=session, report=report)
    if data is None or not report.file_name:
        raise HTTPException(404, "Báo cáo này không có tệp.")
    return file_response(data, report.file_name, report.content_type)
