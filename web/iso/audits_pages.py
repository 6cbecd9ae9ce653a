"""The secretary's audit page: the year's audits, findings and corrective actions, and the
form recording an audit with its findings. Writes go through models/iso."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day
from web.iso.audits_api import audits_of
from web.iso.pages_common import _date, _write
from web.pages import (
    StepYear,
    agency_or_404,
    render,
    require_see,
)

router = APIRouter(include_in_schema=False)

FINDING_ROWS = 5  # blank finding rows on the audit form; blank rows are skipped
ACTION_STATUS = {
    "open": "Đang thực hiện",
    "overdue": "Quá hạn",
    "awaiting_verification": "Chờ xác nhận hiệu lực",
    "closed": "Đã đóng",
}


def _audits_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    data = audits_of(session, agency, year, today)
    ctx = {
        "agency": agency,
        "year": year,
        "today": today,
        "data": data,
        "can_write": viewer.scope.can_write(agency.id),
        "severities": iso.SEVERITIES,
        "severity_labels": iso.SEVERITY_LABELS,
        "action_status": ACTION_STATUS,
        "finding_rows": range(1, FINDING_ROWS + 1),
        "error": error,
        "values": values or {},
    }
    return render(request, "iso_audits.html", ctx, viewer, 422 if error else 200)


@router.get("/agencies/{code}/{year}/audits")
def audits_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The year's audits, findings (counts by severity) and corrective actions, with forms."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _audits_page(request, session, viewer, agency, year, local_day(settings, now))


@router.post("/agencies/{code}/{year}/audits")
def audit_submit(
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
        findings = []
        for n in range(1, FINDING_ROWS + 1):
            row = {
                k: f.get(f"{k}_{n}", "").strip()
                for k in ("severity", "clause", "unit", "description")
            }
            if not any(row.values()):
                continue  # a blank row (its severity is unchosen too)
            findings.append(
                iso.FindingIn(
                    severity=row["severity"],
                    unit=row["unit"],
                    description=row["description"],
                    clause=row["clause"],
                    origin=iso.Origin(f"Phát hiện {n}"),
                )
            )
        start = _date(f, "start_on", "Ngày bắt đầu")
        end = _date(f, "end_on", "Ngày kết thúc")
        assert start is not None and end is not None  # required
        iso.record_audit(
            session=session,
            agency_code=agency.code,
            year=year,
            start_on=start,
            end_on=end,
            ref=f.get("ref", ""),
            team=f.get("team", ""),
            scope_units=[u for u in f.get("scope_units", "").split(";") if u.strip()],
            findings=findings,
            actor=actor,
            today=today,
            kind=f.get("kind", "internal")[:20],  # the model refuses an unknown kind by name
        )
        ref = f.get("ref", "").strip()
        return f"Đã ghi nhận cuộc đánh giá {ref} với {len(findings)} phát hiện."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "audits",
        form,
        lambda a, e: _audits_page(request, session, viewer, a, year, today, e, form),
        write,
    )
