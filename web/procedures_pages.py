"""Pages for an agency's documents and procedures, its figures of a reporting period (TTHC and
dossiers, entered by hand), and the upload of the portal's dossier file with its row errors."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from models import iso
from models.iso.dossiers import MAX_FILE_BYTES
from models.periods import Period, PeriodError, parse_period
from web.deps import NowDep, PageViewer, SessionDep, SettingsDep, flash, local_day
from web.iso.api_common import iso_rules
from web.pages import agency_or_404, parse_vn_date, render, require_see, require_write
from web.procedures_api import figures_of, inventory_of

router = APIRouter(include_in_schema=False)


async def _form(request: Request) -> dict[str, Any]:
    """The posted form (files included) after checking its CSRF token; 403 otherwise."""
    form = await request.form()
    sent, expected = form.get("csrf_token"), request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang.")
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang.")
    return dict(form.items())


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _period(text: str, settings: Any) -> Period:
    try:
        return parse_period(text.replace("6t-", "6t/"), iso_rules(settings).periods)
    except PeriodError as exc:
        raise HTTPException(404, str(exc)) from exc


def vn_count(value: object) -> str:
    """A whole count as Vietnamese write it, with dots between thousands: 10.000.000."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}".replace(",", ".")


def _errors(exc: iso.IsoError) -> list[str]:
    return [e.message for e in exc.errors]


# --- inventory ----------------------------------------------------------------------------------


def _inventory_page(
    request: Request,
    session: Any,
    viewer: Any,
    agency: Any,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = {
        "agency": agency,
        "data": inventory_of(session, agency.code, None),
        "versions": inventory_of(session, agency.code, None, history=True)["procedures"],
        "kinds": iso.PROCEDURE_KINDS,
        "kind_labels": iso.PROCEDURE_KIND_LABELS,
        "can_write": viewer.scope.can_write(agency.id),
        "count": vn_count,
        "errors": errors or [],
        "values": values or {},
    }
    return render(request, "procedures.html", ctx, viewer, 422 if errors else 200)


@router.get("/agencies/{code}/procedures")
def procedures_page(
    request: Request, session: SessionDep, viewer: PageViewer, code: str
) -> Response:
    """The agency's guidelines, internal procedures and TTHC procedures, with counts."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _inventory_page(request, session, viewer, agency)


@router.post("/agencies/{code}/procedures")
async def procedure_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
) -> Response:
    form = await _form(request)
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    values = {k: _text(form, k) for k in ("kind", "code", "title", "decision_ref", "decision_on")}
    decided = None
    if values["decision_on"]:
        decided = parse_vn_date(values["decision_on"])
        if decided is None:
            return _inventory_page(
                request,
                session,
                viewer,
                agency,
                [f"Ngày ban hành «{values['decision_on'][:40]}» không phải ngày có thật."],
                values,
            )
    try:
        row = iso.issue_procedure(
            session=session,
            agency_code=agency.code,
            kind=values["kind"],
            code=values["code"],
            title=values["title"],
            decision_ref=values["decision_ref"],
            decision_on=decided,
            actor=f"web:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        session.rollback()
        return _inventory_page(request, session, viewer, agency, _errors(exc), values)
    flash(request, f"Đã ban hành {row.code} lần {row.version}.")
    return RedirectResponse(f"/agencies/{agency.code}/procedures", status_code=303)


# --- figures of a period ------------------------------------------------------------------------


FIGURE_FIELDS = ("total", "amended", "new", "abolished", "decisions")
DOSSIER_FIELDS = ("received", "on_time", "late", "pending", "with_results")


def _figures_page(
    request: Request,
    session: Any,
    viewer: Any,
    agency: Any,
    period: Period,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = {
        "agency": agency,
        "period": period,
        "period_text": request.path_params.get("period", ""),
        "data": figures_of(session, agency.code, period),
        "can_write": viewer.scope.can_write(agency.id),
        "count": vn_count,
        "errors": errors or [],
        "values": values or {},
    }
    return render(request, "procedure_figures.html", ctx, viewer, 422 if errors else 200)


@router.get("/agencies/{code}/periods/{period}/figures")
def figures_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: PageViewer,
    code: str,
    period: str,
) -> Response:
    """The period's TTHC figures and dossier statistics, with forms to enter them."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _figures_page(request, session, viewer, agency, _period(period, settings))


@router.post("/agencies/{code}/periods/{period}/figures")
async def figures_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: PageViewer,
    code: str,
    period: str,
) -> Response:
    form = await _form(request)
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    span = _period(period, settings)
    part = _text(form, "part")
    actor = f"web:{viewer.user.username}"
    values = {k: _text(form, k) for k in (*FIGURE_FIELDS, *DOSSIER_FIELDS)}
    try:
        if part == "tthc":
            iso.set_tthc_figures(
                session=session,
                agency_code=agency.code,
                period=span,
                total=values["total"],
                amended=values["amended"] or "0",
                new=values["new"] or "0",
                abolished=values["abolished"] or "0",
                decisions=values["decisions"] or None,
                actor=actor,
            )
        else:
            iso.set_dossier_stats(
                session=session,
                agency_code=agency.code,
                period=span,
                received=values["received"],
                on_time=values["on_time"],
                late=values["late"] or "0",
                pending=values["pending"] or "0",
                with_results=values["with_results"],
                actor=actor,
            )
    except iso.IsoError as exc:
        session.rollback()
        return _figures_page(request, session, viewer, agency, span, _errors(exc), values)
    flash(request, "Đã lưu số liệu.")
    return RedirectResponse(f"/agencies/{agency.code}/periods/{period}/figures", status_code=303)


# --- dossier file -------------------------------------------------------------------------------


@router.get("/dossier-import")
def import_page(request: Request, viewer: PageViewer) -> Response:
    """The form that uploads the portal's dossier file for a period."""
    return render(request, "dossier_import.html", {"errors": [], "values": {}}, viewer)


@router.post("/dossier-import")
async def import_submit(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: PageViewer
) -> Response:
    form = await _form(request)
    values = {"period": _text(form, "period")}
    errors: list[str] = []
    upload = form.get("file")
    try:
        span = parse_period(values["period"], iso_rules(settings).periods)
    except PeriodError as exc:
        errors.append(str(exc))
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.append("Chưa chọn tệp số liệu (.xlsx hoặc .csv).")
    if not errors:
        assert isinstance(upload, UploadFile)
        data = await upload.read(MAX_FILE_BYTES + 1)
        try:
            result = iso.import_dossier_stats(
                session=session,
                name=upload.filename or "tệp",
                data=data,
                period=span,
                actor=f"web:{viewer.user.username}",
                may_write=viewer.scope.can_write,
            )
        except iso.IsoError as exc:
            session.rollback()
            errors = _errors(exc)
        else:
            flash(
                request,
                f"Đã nhập {result.rows} dòng cho kỳ {span.label} "
                f"(thay {result.replaced} dòng đã có).",
            )
            return RedirectResponse("/dossier-import", status_code=303)
    ctx = {"errors": errors, "values": values}
    return render(request, "dossier_import.html", ctx, viewer, 422)
