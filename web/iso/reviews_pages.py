"""The secretary's management-review page: the year's reviews (at least one, QĐ 19/2014 Art.
4.4b; several allowed), inputs prefilled from the data, and the form recording or correcting one.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day
from web.iso.pages_common import FormError, _date, _number, _write
from web.pages import (
    StepYear,
    agency_or_404,
    render,
    require_see,
)

router = APIRouter(include_in_schema=False)


def _review_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    reviews = iso.list_reviews(session=session, agency_code=agency.code, year=year)
    inputs = iso.review_inputs(session=session, agency_id=agency.id, year=year)
    ctx = {
        "agency": agency,
        "year": year,
        "today": today,
        "reviews": [(r, iso.review_warning(session=session, review=r)) for r in reviews],
        "inputs": inputs,
        "audit_dates": [[date.fromisoformat(d) for d in pair] for pair in inputs["audit"]["dates"]],
        "severity_labels": iso.SEVERITY_LABELS,
        "can_write": viewer.scope.can_write(agency.id),
        "error": error,
        "values": values or {},
    }
    return render(request, "iso_review.html", ctx, viewer, 422 if error else 200)


@router.get("/agencies/{code}/{year}/review")
def review_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The year's management reviews with their warnings, the inputs, and the record form."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _review_page(request, session, viewer, agency, year, local_day(settings, now))


@router.post("/agencies/{code}/{year}/review")
def review_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        held_on = _date(f, "held_on", "Ngày họp xem xét")
        assert held_on is not None
        number = None
        if f.get("number", "").strip():
            number = _number(f["number"].strip())
            if not number:
                raise FormError("Cuộc họp cần sửa: hãy chọn một cuộc họp trong danh sách.")
        review = iso.record_review(
            session=session,
            agency_code=agency.code,
            year=year,
            held_on=held_on,
            minutes_ref=f.get("minutes_ref", ""),
            decisions=f.get("decisions", ""),
            actor=actor,
            today=today,
            override_reason=f.get("override_reason", "") or None,
            number=number,
        )
        message = f"Đã ghi nhận cuộc họp xem xét của lãnh đạo số {review.number}."
        warning = iso.review_warning(session=session, review=review)
        return f"{message} Lưu ý: {warning}" if warning else message

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "review",
        form,
        lambda a, e: _review_page(request, session, viewer, a, year, today, e, form),
        write,
    )
