"""Downloads of Sở KH&CN's documents (.docx, .xlsx): the request letter, the chasing letter, the
provincial summary and Phụ lục II, for the pages' buttons and the API
(GET /api/v1/documents/province/…).

Only the overseer's users (Sở KH&CN and its own units, e.g. the Chi cục TĐC) and admins may fetch
them: the documents name every agency's shortcomings. Everyone else gets 403, on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlmodel import Session

from config.settings import Settings
from models.cycles import year_is_open
from models.iso import IsoError, load_iso_rules, reporting
from models.iso.province_facts import province_rows
from models.iso.report_checks import ancestor_ids, overseer_id
from models.periods import annual
from reports import province
from reports.document import DocumentError
from web.deps import ApiViewer, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day

router = APIRouter(include_in_schema=True)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YearQuery = Annotated[int, Query(ge=2000, le=2100)]
LetterQuery = Annotated[str, Query(min_length=1, max_length=100)]
OptionalLetter = Annotated[str | None, Query(max_length=100)]
REFUSED = "Chỉ người dùng của Sở KH&CN (hoặc quản trị viên) được tải văn bản này."


def may_download(session: Session, viewer: Viewer, overseer_code: str) -> bool:
    """Admins, and users of the overseer or of one of its units (the Chi cục TĐC)."""
    if viewer.scope.is_admin:
        return True
    own = viewer.user.agency_id
    overseer = overseer_id(session, overseer_code)
    if own is None or overseer is None:
        return False
    return own == overseer or overseer in ancestor_ids(session, own)


def links(session: Session, viewer: Viewer, settings: Settings, year: int) -> dict[str, str]:
    """The pages' download links for a year; empty for anyone who may not download them."""
    if not may_download(session, viewer, settings.overseer_code):
        return {}
    q = urlencode({"year": year})
    return {
        "summary": f"/documents/province/summary?{q}",
        "phu_luc_ii": f"/documents/province/phu-luc-ii.xlsx?{q}",
        "chase": f"/documents/province/chase?{q}",
    }


def letter_links(letter: str, year: int) -> dict[str, str]:
    """A request letter's two downloads: the letter itself, and the chasing letter for it."""
    return {
        "letter": "/documents/province/request-letter?" + urlencode({"letter": letter}),
        "chase": "/documents/province/chase?" + urlencode({"year": year, "letter": letter}),
    }


def _file(data: bytes, name: str, content_type: str) -> Response:
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _safe(number: str) -> str:
    """A document number as part of a file name: "1550/SKHCN-TĐC" → "1550-SKHCN-TĐC"."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in number)


def _guard(session: Session, viewer: Viewer, settings: Settings) -> None:
    if not may_download(session, viewer, settings.overseer_code):
        raise HTTPException(403, REFUSED)


def _make(session: Session, build: Callable[[], bytes]) -> bytes:
    try:
        return build()
    except (DocumentError, IsoError) as exc:
        session.rollback()
        raise HTTPException(404, str(exc)) from exc


def _open_year(session: Session, year: int) -> None:
    if not year_is_open(session=session, year=year):
        raise HTTPException(404, f"Năm {year} chưa mở chu kỳ ISO.")


def _rule(settings: Settings) -> Any:
    return load_iso_rules(settings.iso_rules_file).periods


# --- the documents, shared by the pages and the API ---------------------------------------------


def _request_letter(session: Session, settings: Settings, letter: str) -> Response:
    def build() -> bytes:
        found = reporting.get_request(
            session=session, unit_code=settings.overseer_code, letter_number=letter
        )
        return province.request_letter(
            session=session, request=found, province=settings.province_name,
            rule=_rule(settings), template_dir=settings.report_template_dir,
        )  # fmt: skip

    return _file(_make(session, build), f"Công văn {_safe(letter)}.docx", DOCX)


def _chase(
    session: Session, settings: Settings, today: date, year: int, letter: str | None
) -> Response:
    _open_year(session, year)

    def build() -> bytes:
        found = None
        if letter:
            found = reporting.get_request(
                session=session, unit_code=settings.overseer_code, letter_number=letter
            )
        return province.chasing_letter(
            session=session, unit_code=settings.overseer_code, year=year, today=today,
            province=settings.province_name, letter=found,
            template_dir=settings.report_template_dir,
        )  # fmt: skip

    return _file(_make(session, build), f"Công văn đôn đốc {year}.docx", DOCX)


def _summary(session: Session, settings: Settings, today: date, year: int) -> Response:
    _open_year(session, year)

    def build() -> bytes:
        rule = _rule(settings)
        # Read once: the summary and its 7.2 scores count the same rows.
        rows = province_rows(
            session=session, year=year, today=today, period=annual(year, rule),
            overseer_code=settings.overseer_code,
        )  # fmt: skip
        return province.province_summary_docx(
            session=session, unit_code=settings.overseer_code, year=year, today=today,
            province=settings.province_name,
            score_distribution=province.score_distribution_for(session, year, today, rows),
            rule=rule, template_dir=settings.report_template_dir, rows=rows,
        )  # fmt: skip

    return _file(_make(session, build), f"Báo cáo tổng hợp ISO {year}.docx", DOCX)


def _phu_luc_ii(session: Session, settings: Settings, today: date, year: int, fmt: str) -> Response:
    _open_year(session, year)
    if fmt == "xlsx":
        data = _make(session, lambda: province.phu_luc_ii_xlsx(
            session=session, year=year, today=today, province=settings.province_name,
            rule=_rule(settings), overseer_code=settings.overseer_code,
        ))  # fmt: skip
        return _file(data, f"Phụ lục II năm {year}.xlsx", XLSX)
    data = _make(session, lambda: province.phu_luc_ii(
        session=session, unit_code=settings.overseer_code, year=year, today=today,
        province=settings.province_name, rule=_rule(settings),
        template_dir=settings.report_template_dir,
    ))  # fmt: skip
    return _file(data, f"Phụ lục II năm {year}.docx", DOCX)


# --- pages (the buttons) ------------------------------------------------------------------------


@router.get("/documents/province/request-letter", include_in_schema=False)
def page_request_letter(
    session: SessionDep, settings: SettingsDep, viewer: PageViewer, letter: LetterQuery
) -> Response:
    """ "Tải công văn (.docx)": the request letter with its outline."""
    _guard(session, viewer, settings)
    return _request_letter(session, settings, letter)


@router.get("/documents/province/chase", include_in_schema=False)
def page_chase(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    year: YearQuery,
    letter: OptionalLetter = None,
) -> Response:
    """ "Tải công văn đôn đốc (.docx)": to the agencies late today."""
    _guard(session, viewer, settings)
    return _chase(session, settings, local_day(settings, now), year, letter)


@router.get("/documents/province/summary", include_in_schema=False)
def page_summary(
    session: SessionDep, settings: SettingsDep, now: NowDep, viewer: PageViewer, year: YearQuery
) -> Response:
    """ "Tải báo cáo tổng hợp (.docx)": the provincial summary to UBND tỉnh."""
    _guard(session, viewer, settings)
    return _summary(session, settings, local_day(settings, now), year)


@router.get("/documents/province/phu-luc-ii.xlsx", include_in_schema=False)
def page_phu_luc_ii(
    session: SessionDep, settings: SettingsDep, now: NowDep, viewer: PageViewer, year: YearQuery
) -> Response:
    """ "Tải Phụ lục II (.xlsx)": the whole table, one row per agency."""
    _guard(session, viewer, settings)
    return _phu_luc_ii(session, settings, local_day(settings, now), year, "xlsx")


# --- the API ------------------------------------------------------------------------------------

FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {DOCX: {}, XLSX: {}}, "description": "The document."},
    403: {"description": "Not a user of Sở KH&CN (or an admin)."},
    404: {"description": "Unknown letter, a year not opened, or nothing to chase."},
}


@router.get(
    "/api/v1/documents/province/request-letter",
    tags=["documents"],
    response_class=Response,
    responses=FILE,
)
def api_request_letter(
    session: SessionDep, settings: SettingsDep, viewer: ApiViewer, letter: LetterQuery
) -> Response:
    """The request letter (.docx) of a recorded request, by its number."""
    _guard(session, viewer, settings)
    return _request_letter(session, settings, letter)


@router.get(
    "/api/v1/documents/province/chase", tags=["documents"], response_class=Response, responses=FILE
)
def api_chase(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    year: YearQuery,
    letter: OptionalLetter = None,
) -> Response:
    """The chasing letter (.docx) to the agencies late today (and on `letter`'s report)."""
    _guard(session, viewer, settings)
    return _chase(session, settings, local_day(settings, now), year, letter)


@router.get(
    "/api/v1/documents/province/summary",
    tags=["documents"],
    response_class=Response,
    responses=FILE,
)
def api_summary(
    session: SessionDep, settings: SettingsDep, now: NowDep, viewer: ApiViewer, year: YearQuery
) -> Response:
    """The provincial summary report (.docx) to UBND tỉnh."""
    _guard(session, viewer, settings)
    return _summary(session, settings, local_day(settings, now), year)


@router.get(
    "/api/v1/documents/province/phu-luc-ii",
    tags=["documents"],
    response_class=Response,
    responses=FILE,
)
def api_phu_luc_ii(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    year: YearQuery,
    format: Annotated[str, Query(pattern="^(docx|xlsx)$")] = "xlsx",
) -> Response:
    """Phụ lục II: .xlsx one row per agency (default), or .docx by level."""
    _guard(session, viewer, settings)
    return _phu_luc_ii(session, settings, local_day(settings, now), year, format)
