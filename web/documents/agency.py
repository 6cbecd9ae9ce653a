"""Downloads of the agency documents (.docx, .xlsx): the report's page with its prose form and its
"Tải báo cáo (.docx)" / "Tải phụ lục (.xlsx)" buttons, and the same files from the API.

Who may download: the agency's own users (their scope), Sở KH&CN's users (the overseer and its
units) and admins; anyone else gets 403. Who may type the prose: the agency's own secretaries
and supervisors (as for sending its report).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from config.settings import Settings
from models.iso import report_checks
from models.iso.base import IsoError, load_iso_rules
from models.iso.report_drafts import (
    HEADER_FIELDS,
    PROSE,
    get_draft,
    save_draft,
)
from models.tables import Agency
from reports.agency_report import _score_cards, agency_report, appendix_xlsx
from reports.document import DocumentError
from web.api import CodePath, _agency
from web.deps import (
    ApiViewer,
    CsrfForm,
    NowDep,
    PageViewer,
    SessionDep,
    SettingsDep,
    Viewer,
    flash,
    local_day,
)
from web.pages import agency_or_404, date_error, parse_vn_date, render

router = APIRouter()

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The period as the query string names it ("6-month" as on the command line).
PERIODS = {"annual": "annual", "six_month": "six_month", "6-month": "six_month"}

YearQuery = Annotated[int, Query(ge=2000, le=2100, description="Năm báo cáo, ví dụ 2021.")]
PeriodQuery = Annotated[
    str, Query(max_length=16, description="annual (báo cáo năm) hoặc 6-month (6 tháng).")
]


def _variant(period: str) -> str:
    variant = PERIODS.get(period)
    if variant is None:
        raise HTTPException(422, "Kỳ báo cáo không hợp lệ: chọn annual (năm) hoặc 6-month.")
    return variant


def _is_overseer_user(session: Session, settings: Settings, viewer: Viewer) -> bool:
    """A user of Sở KH&CN (the overseer) or of one of its units (the Chi cục TĐC)."""
    overseer = report_checks.overseer_id(session, settings.overseer_code)
    mine = viewer.user.agency_id
    if overseer is None or mine is None:
        return False
    return mine == overseer or overseer in report_checks.ancestor_ids(session, mine)


def may_read(session: Session, settings: Settings, viewer: Viewer, agency: Agency) -> bool:
    """The agency's own users (scope), Sở KH&CN's users, admins."""
    return viewer.scope.can_see(agency.id) or _is_overseer_user(session, settings, viewer)


def _require_read(session: Session, settings: Settings, viewer: Viewer, agency: Agency) -> None:
    if not may_read(session, settings, viewer, agency):
        raise HTTPException(403, f"Bạn không được tải văn bản của {agency.name}.")


def _may_write(viewer: Viewer, agency: Agency) -> bool:
    return report_checks.may_submit(
        role=viewer.user.role, user_agency_id=viewer.user.agency_id, agency_id=agency.id
    )


def download(data: bytes, name: str, content_type: str) -> Response:
    """A generated file as an attachment, its name safe for any browser (filename*)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _report(
    session: Session, settings: Settings, agency: Agency, year: int, variant: str, today: Any
) -> Response:
    try:
        report = agency_report(
            session=session,
            agency_code=agency.code,
            year=year,
            variant=variant,
            today=today,
            score_cards=_score_cards(session, agency.code, year, today, settings.scoring_dir),
            template_dir=settings.report_template_dir,
            place=settings.province_name,
            rule=load_iso_rules(settings.iso_rules_file).periods,
        )
    except DocumentError as exc:
        raise HTTPException(422, str(exc)) from exc
    return download(report.data, report.file_name, DOCX)


def _appendix(
    session: Session, settings: Settings, agency: Agency, year: int, variant: str, today: Any
) -> Response:
    try:
        book = appendix_xlsx(
            session=session,
            agency_code=agency.code,
            year=year,
            variant=variant,
            today=today,
            score_cards=_score_cards(session, agency.code, year, today, settings.scoring_dir),
            rule=load_iso_rules(settings.iso_rules_file).periods,
        )
    except DocumentError as exc:
        raise HTTPException(422, str(exc)) from exc
    return download(book.data, book.file_name, XLSX)


# --- pages --------------------------------------------------------------------------------------


def _page_url(agency: Agency, year: int, variant: str) -> str:
    return "/reports/document?" + urlencode(
        {"agency": agency.code, "year": year, "period": variant}
    )


@router.get("/reports/document", include_in_schema=False)
def document_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    agency: Annotated[str, Query(max_length=64)],
    year: YearQuery,
    period: PeriodQuery = "annual",
) -> Response:
    """The report's page: what the secretary writes (form), and the download buttons."""
    found = agency_or_404(session, agency)
    _require_read(session, settings, viewer, found)
    variant = _variant(period)
    draft = get_draft(session=session, agency_code=found.code, year=year, variant=variant)
    values: dict[str, Any] = {}
    if draft is not None:
        values = {p.name: getattr(draft, p.name) or "" for p in PROSE}
        values |= {k: getattr(draft, k) or "" for k in HEADER_FIELDS}
        values["report_date"] = draft.report_date or ""
        values["recipients"] = draft.recipients or ""
    return _document(request, settings, now, viewer, found, year, variant, values)


def _document(
    request: Request,
    settings: Settings,
    now: Any,
    viewer: Viewer,
    found: Agency,
    year: int,
    variant: str,
    values: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """The report's page with these form values (the stored draft's, or what was typed)."""
    query = urlencode({"year": year, "period": variant})
    return render(
        request,
        "report_document.html",
        {
            "agency": found,
            "year": year,
            "variant": variant,
            "prose": PROSE,
            "values": values,
            "can_write": _may_write(viewer, found),
            "docx_url": f"/reports/document/report.docx?agency={quote(found.code)}&{query}",
            "xlsx_url": f"/reports/document/appendix.xlsx?agency={quote(found.code)}&{query}",
            "today": local_day(settings, now),
        },
        viewer,
        status_code,
    )


@router.post("/reports/document", include_in_schema=False)
def save_document_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
) -> Response:
    """Keep what the secretary typed (CSRF-checked); only the agency's own users write it."""
    found = agency_or_404(session, form.get("agency", "")[:64])
    if not _may_write(viewer, found):
        raise HTTPException(403, f"Chỉ thư ký ISO của {found.name} được soạn báo cáo của đơn vị.")
    try:
        year = int(form.get("year", ""))
    except ValueError:
        raise HTTPException(422, "Năm không hợp lệ.") from None
    if not 2000 <= year <= 2100:
        raise HTTPException(422, "Năm không hợp lệ.")
    variant = _variant(form.get("period", ""))
    back = _page_url(found, year, variant)
    values: dict[str, Any] = {p.name: form.get(p.name, "") for p in PROSE}
    values |= {k: form.get(k, "") for k in HEADER_FIELDS}
    values["recipients"] = form.get("recipients", "")
    typed = form.get("report_date", "").strip()
    values["report_date"] = None

    def refused(message: str) -> Response:
        # The page again with what was typed: a long text is not lost for one wrong field.
        flash(request, f"Lỗi: {message}")
        kept = values | {"report_date": typed}
        return _document(request, settings, now, viewer, found, year, variant, kept, 422)

    if typed:
        values["report_date"] = parse_vn_date(typed)
        if values["report_date"] is None:
            return refused(date_error("Ngày báo cáo", typed))
    try:
        save_draft(
            session=session,
            agency_code=found.code,
            year=year,
            variant=variant,
            values=values,
            actor=f"web:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except IsoError as exc:
        session.rollback()
        return refused(str(exc))
    flash(request, "Đã lưu phần viết của báo cáo; tải báo cáo để xem văn bản.")
    return RedirectResponse(back, 303)


@router.get("/reports/document/report.docx", include_in_schema=False)
def page_report_docx(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    agency: Annotated[str, Query(max_length=64)],
    year: YearQuery,
    period: PeriodQuery = "annual",
) -> Response:
    """ "Tải báo cáo (.docx)" from the page."""
    found = agency_or_404(session, agency)
    _require_read(session, settings, viewer, found)
    return _report(session, settings, found, year, _variant(period), local_day(settings, now))


@router.get("/reports/document/appendix.xlsx", include_in_schema=False)
def page_appendix_xlsx(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    agency: Annotated[str, Query(max_length=64)],
    year: YearQuery,
    period: PeriodQuery = "annual",
) -> Response:
    """ "Tải phụ lục (.xlsx)" from the page."""
    found = agency_or_404(session, agency)
    _require_read(session, settings, viewer, found)
    return _appendix(session, settings, found, year, _variant(period), local_day(settings, now))


# --- API ----------------------------------------------------------------------------------------

FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {DOCX: {}, XLSX: {}}, "description": "Tệp tải về"},
    403: {"description": "Không được xem đơn vị này"},
    404: {"description": "Không có đơn vị"},
    422: {"description": "Năm hoặc kỳ báo cáo không hợp lệ"},
}


@router.get(
    "/api/v1/agencies/{code}/documents/report",
    tags=["documents"],
    response_class=Response,
    responses=FILES,
)
def api_report_docx(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearQuery,
    period: PeriodQuery = "annual",
) -> Response:
    """The agency's report with its appendices (.docx), for its own users, Sở KH&CN and admins."""
    found = _agency(session, code)
    _require_read(session, settings, viewer, found)
    return _report(session, settings, found, year, _variant(period), local_day(settings, now))


@router.get(
    "/api/v1/agencies/{code}/documents/appendix",
    tags=["documents"],
    response_class=Response,
    responses=FILES,
)
def api_appendix_xlsx(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearQuery,
    period: PeriodQuery = "annual",
) -> Response:
    """Phụ lục IA, IIA and 1 (.xlsx), with the same rules as the report."""
    found = _agency(session, code)
    _require_read(session, settings, viewer, found)
    return _appendix(session, settings, found, year, _variant(period), local_day(settings, now))
