"""The secretary's quality-objectives page: the decision, the objectives and their results."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day
from web.iso.objectives_api import objectives_of
from web.iso.pages_common import _date, _number, _write
from web.pages import (
    StepYear,
    agency_or_404,
    render,
    require_see,
)

router = APIRouter(include_in_schema=False)

OBJECTIVE_ROWS = 5
COMPARISON_LABELS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}


def _objectives_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = {
        "agency": agency,
        "year": year,
        "today": today,
        "data": objectives_of(session, agency, year),
        "can_write": viewer.scope.can_write(agency.id),
        "comparisons": COMPARISON_LABELS,
        "objective_rows": range(1, OBJECTIVE_ROWS + 1),
        "error": error,
        "values": values or {},
    }
    return render(request, "iso_objectives.html", ctx, viewer, 422 if error else 200)


@router.get("/agencies/{code}/{year}/objectives")
def objectives_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The year's quality objectives: decision, objectives, results and whether each is met."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _objectives_page(request, session, viewer, agency, year, local_day(settings, now))


@router.post("/agencies/{code}/{year}/objectives/decision")
def decision_submit(
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
        issued_on = _date(f, "issued_on", "Ngày ban hành")
        assert issued_on is not None
        iso.set_objective_decision(
            session=session,
            agency_code=agency.code,
            year=year,
            ref=f.get("ref", ""),
            issued_on=issued_on,
            actor=actor,
            today=today,
        )
        return "Đã ghi nhận quyết định ban hành mục tiêu chất lượng."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "objectives",
        form,
        lambda a, e: _objectives_page(request, session, viewer, a, year, today, e, form),
        write,
    )


@router.post("/agencies/{code}/{year}/objectives")
def objectives_submit(
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
        rows = []
        for n in range(1, OBJECTIVE_ROWS + 1):
            row = {
                k: f.get(f"{k}_{n}", "").strip()
                for k in ("indicator", "target", "unit", "mid_value", "final_value")
            }
            if not any(row.values()):
                continue
            rows.append(
                iso.ObjectiveIn(
                    comparison=f.get(f"comparison_{n}", ""),
                    origin=iso.Origin(f"Mục tiêu {n}"),
                    **row,
                )
            )
        numbers = iso.add_objectives(
            session=session,
            agency_code=agency.code,
            year=year,
            objectives=rows,
            actor=actor,
            today=today,
        )
        return f"Đã thêm {len(numbers)} mục tiêu chất lượng."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "objectives",
        form,
        lambda a, e: _objectives_page(request, session, viewer, a, year, today, e, form),
        write,
    )


@router.post("/agencies/{code}/{year}/objectives/results")
def results_submit(
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
        values: dict[int, tuple[float | None, float | None]] = {}
        for name in f:
            if not name.startswith("mid_"):
                continue
            number = _number(name.removeprefix("mid_"))
            mid = iso.parse_value(
                f.get(f"mid_{number}"), "mid_value", f"Kết quả 6 tháng của mục tiêu {number}"
            )
            final = iso.parse_value(
                f.get(f"final_{number}"), "final_value", f"Kết quả cuối năm của mục tiêu {number}"
            )
            if mid is not None or final is not None:
                values[number] = (mid, final)
        iso.record_results(
            session=session,
            agency_code=agency.code,
            year=year,
            values=values,
            actor=actor,
            today=today,
            results_on=_date(f, "results_on", "Ngày đánh giá kết quả", required=False),
        )
        return "Đã cập nhật kết quả thực hiện mục tiêu."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "objectives",
        form,
        lambda a, e: _objectives_page(request, session, viewer, a, year, today, e, form),
        write,
    )
