"""The secretary's management-review page: inputs prefilled from the data, and the record form."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day
from web.iso.pages_common import _date, _write
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
    try:
        review: iso.ManagementReview | None = iso.get_review(
            session=session, agency_code=agency.code, year=year
        )
    except iso.IsoError:
        review = None
    inputs = iso.review_inputs(session=session, agency_id=agency.id, year=year)
    if values is None and review is not None:
        values = {
            "held_on": review.held_on.isoformat(),
            "minutes_ref": review.minutes_ref,
            "decisions": review.decisions or "",
            "override_reason": review.override_reason or "",
        }
    ctx = {
        "agency": agency,
        "year": year,
        "today": today,
        "review": review,
        "inputs": inputs,
        "audit_dates": [[date.fromisoformat(d) for d in pair] for pair in inputs["audit"]["dates"]],
        "severity_labels": iso.SEVERITY_LABELS,
        "can_write": viewer.scope.can_write(agency.id),
        "error": error,
        "needs_override": bool(error and "phải sau ngày đánh giá" in error),
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
    """The management review: the inputs prefilled from the data, and the record form."""
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
        iso.record_review(
            session=session,
            agency_code=agency.code,
            year=year,
            held_on=held_on,
            minutes_ref=f.get("minutes_ref", ""),
            decisions=f.get("decisions", ""),
            actor=actor,
            today=today,
            override_reason=f.get("override_reason", "") or None,
        )
        return "Đã ghi nhận cuộc họp xem xét của lãnh đạo."

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
