"""The inspection pages: the inspecting unit's plan for a year (done, late, not yet held; plan and
biên bản forms for that unit), and an agency's own inspections with its report-back form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import iso
from models.iso.inspections import REPORT_LABELS, STATUS_LABELS, percent
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.inspections_api import calendar
from web.iso.api_common import iso_rules
from web.iso.pages_common import FormError, _clean, _date
from web.pages import (
    StepYear,
    agency_or_404,
    render,
    require_see,
    require_write,
)

router = APIRouter(include_in_schema=False)

FINDING_ROWS = 3  # blank finding rows on the biên bản form; blank rows are skipped
FORM_NAMES = {"dossier": "Qua hồ sơ, báo cáo", "onsite": "Trực tiếp tại trụ sở"}


def _common(today: date) -> dict[str, Any]:
    return {
        "today": today,
        "status_labels": STATUS_LABELS,
        "report_labels": REPORT_LABELS,
        "form_names": FORM_NAMES,
        "severities": iso.SEVERITIES,
        "severity_labels": iso.SEVERITY_LABELS,
    }


# --- the inspecting unit's plan -----------------------------------------------------------------


def _plan_page(
    request: Request,
    session: Session,
    settings: Any,
    viewer: Viewer,
    inspector: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    data = iso.plan_summary(
        session=session,
        inspector_code=inspector.code,
        year=year,
        today=today,
        rules=calendar(settings),
    )
    ctx = _common(today) | {
        "inspector": inspector,
        "year": year,
        "data": data,
        "share": percent(Fraction(data["onsite"], data["required"] or 1)),
        "can_write": viewer.scope.can_write(inspector.id),
        "finding_rows": range(1, FINDING_ROWS + 1),
        "error": error,
        "values": values or {},
    }
    return render(request, "inspections_plan.html", ctx, viewer, 422 if error else 200)


@router.get("/inspections/{code}/{year}")
def plan_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The inspecting unit's plan for a year: coverage, and each inspection done, late or not."""
    inspector = agency_or_404(session, code)
    require_see(viewer, inspector)
    return _plan_page(request, session, settings, viewer, inspector, year, local_day(settings, now))


def _write(
    request: Request,
    session: Session,
    back: str,
    show: Callable[[str], Response],
    write: Callable[[], str],
) -> Response:
    try:
        message = write()
    except FormError as exc:
        session.rollback()
        return show(str(exc))
    except iso.IsoError as exc:
        session.rollback()
        return show(str(exc))
    flash(request, message)
    return RedirectResponse(back, 303)


@router.post("/inspections/{code}/{year}/plan")
def plan_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
) -> Response:
    """Add or change one agency in the plan (and set the plan's decision)."""
    inspector = agency_or_404(session, code)
    require_write(viewer, inspector)
    today = local_day(settings, now)

    def write() -> str:
        f = _clean(form)
        decision_on = _date(f, "decision_on", "Ngày quyết định")
        assert decision_on is not None
        on = _date(f, "planned_on", "Ngày dự kiến", required=False)
        month_text = f.get("planned_month", "").strip()
        if month_text and not month_text.isdigit():
            raise FormError(f"Tháng dự kiến «{month_text[:10]}» không phải là số.")
        result = iso.record_plan(
            overseer_code=settings.overseer_code,
            session=session,
            inspector_code=inspector.code,
            year=year,
            decision_ref=f.get("decision_ref", ""),
            decision_on=decision_on,
            entries=[
                iso.PlanEntry(
                    agency=f.get("agency", "").strip()[:64],
                    form=f.get("form", "")[:50],
                    month=int(month_text[:2]) if month_text else None,
                    on=on,
                )
            ],
            actor=f"web:{viewer.user.username}",
            rules=calendar(settings),
        )
        message = f"Đã cập nhật kế hoạch: thêm {result.added}, sửa {result.changed}."
        return " ".join([message, *result.warnings])

    return _write(
        request,
        session,
        f"/inspections/{quote(inspector.code)}/{year}",
        lambda e: _plan_page(request, session, settings, viewer, inspector, year, today, e, form),
        write,
    )


@router.post("/inspections/{code}/{year}/record")
def record_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
) -> Response:
    """Record a planned inspection's biên bản with its findings (the inspecting unit only)."""
    inspector = agency_or_404(session, code)
    require_write(viewer, inspector)
    today = local_day(settings, now)

    def write() -> str:
        f = _clean(form)
        target = agency_or_404(session, f.get("agency", ""))
        try:
            owner = iso.inspector_of(session=session, agency_code=target.code, year=year)
        except iso.IsoError as exc:
            raise FormError(str(exc)) from exc
        if owner.id != inspector.id:
            raise HTTPException(403, "Đơn vị này thuộc kế hoạch kiểm tra của đơn vị khác.")
        findings = []
        for n in range(1, FINDING_ROWS + 1):
            row = {k: f.get(f"{k}_{n}", "").strip() for k in ("severity", "unit", "description")}
            if not any(row.values()):
                continue
            findings.append(
                iso.FindingIn(
                    severity=row["severity"],
                    unit=row["unit"],
                    description=row["description"],
                    clause=f.get(f"clause_{n}", "").strip(),
                    origin=iso.Origin(f"Phát hiện {n}"),
                )
            )
        record_on = _date(f, "record_on", "Ngày biên bản")
        assert record_on is not None
        result = iso.record_inspection(
            session=session,
            agency_code=target.code,
            year=year,
            record_ref=f.get("record_ref", ""),
            record_on=record_on,
            findings=findings,
            actor=f"web:{viewer.user.username}",
            today=today,
            iso_rules=iso_rules(settings),
            working=calendar(settings).working,
        )
        return (
            f"Đã ghi nhận biên bản {f.get('record_ref', '').strip()} của {target.name} với "
            f"{len(findings)} phát hiện; hạn báo cáo kết quả khắc phục {result.due:%d/%m/%Y}."
        )

    return _write(
        request,
        session,
        f"/inspections/{quote(inspector.code)}/{year}",
        lambda e: _plan_page(request, session, settings, viewer, inspector, year, today, e, form),
        write,
    )


# --- the agency's own inspections ---------------------------------------------------------------


def _agency_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    rows = iso.agency_inspections(session=session, agency_code=agency.code, year=year, today=today)
    ctx = _common(today) | {
        "agency": agency,
        "year": year,
        "rows": rows,
        "inspects": agency.code in iso.plans_of_year(session=session, year=year),
        "can_write": viewer.scope.can_write(agency.id),
        "error": error,
        "values": values or {},
    }
    return render(request, "inspections_agency.html", ctx, viewer, 422 if error else 200)


@router.get("/agencies/{code}/{year}/inspections")
def agency_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The agency's inspections of the year, and the form to report its corrective actions."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _agency_page(request, session, viewer, agency, year, local_day(settings, now))


@router.post("/agencies/{code}/{year}/inspections/report")
def report_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
) -> Response:
    """Record the agency's report on its corrective actions (the agency only)."""
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    today = local_day(settings, now)

    def write() -> str:
        f = _clean(form)
        report_on = _date(f, "report_on", "Ngày báo cáo")
        assert report_on is not None
        step = iso.record_report_back(
            session=session,
            agency_code=agency.code,
            year=year,
            report_ref=f.get("report_ref", ""),
            report_on=report_on,
            actor=f"web:{viewer.user.username}",
            today=today,
        )
        late = step.done_on is not None and step.done_on > step.due
        return f"Đã ghi nhận báo cáo kết quả khắc phục {step.ref}" + (
            f" (muộn so với hạn {step.due:%d/%m/%Y})." if late else "."
        )

    return _write(
        request,
        session,
        f"/agencies/{quote(agency.code)}/{year}/inspections",
        lambda e: _agency_page(request, session, viewer, agency, year, today, e, form),
        write,
    )
