"""The secretary's pages for issue 4's records: audits with findings and corrective actions,
quality objectives, and the management review. Writes go through models/iso.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import cycles, iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.iso_api import audits_of, iso_rules, objectives_of, working
from web.pages import (
    StepYear,
    agency_or_404,
    date_error,
    parse_vn_date,
    render,
    require_see,
    require_write,
    vi_step_error,
)

router = APIRouter(include_in_schema=False)

FINDING_ROWS = 5  # blank finding rows on the audit form; blank rows are skipped
OBJECTIVE_ROWS = 5
ACTION_STATUS = {
    "open": "Đang thực hiện",
    "overdue": "Quá hạn",
    "awaiting_verification": "Chờ xác nhận hiệu quả",
    "closed": "Đã đóng",
}
COMPARISON_LABELS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}


class FormError(Exception):
    """A form value that cannot be read; the message is Vietnamese and names the field."""


def _date(form: dict[str, str], name: str, label: str, required: bool = True) -> date | None:
    text = form.get(name, "").strip()
    if not text and not required:
        return None
    day = parse_vn_date(text)
    if day is None:
        raise FormError(date_error(label, text))
    return day


def _clean(form: dict[str, str]) -> dict[str, str]:
    """The form, refused when a value holds a lone surrogate (PostgreSQL cannot store one).

    Control characters are left to the models, which refuse them naming the field.
    """
    for value in form.values():
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise FormError("Một ô của biểu mẫu có ký tự không hợp lệ; hãy gõ lại ô vừa dán.")
    return form


def _back(agency: Agency, year: int, page: str, message: str, request: Request) -> Response:
    flash(request, message)
    return RedirectResponse(f"/agencies/{quote(agency.code)}/{year}/{page}", 303)


def _write(
    request: Request,
    session: Session,
    viewer: Viewer,
    code: str,
    year: int,
    page: str,
    form: dict[str, str],
    show: Callable[[Agency, str], Response],
    write: Callable[[Agency, dict[str, str], str], str],
) -> Response:
    """Check the right to write, apply `write`, and redirect with its message or re-show errors."""
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    try:
        message = write(agency, _clean(form), f"web:{viewer.user.username}")
    except FormError as exc:
        session.rollback()
        return show(agency, str(exc))
    except iso.IsoError as exc:
        session.rollback()
        # The models' own refusals are Vietnamese; a step's refusal inside one is translated.
        stepped = isinstance(exc.__cause__, cycles.StepError)
        return show(agency, vi_step_error(str(exc)) if stepped else str(exc))
    return _back(agency, year, page, message, request)


# --- audits, findings and corrective actions ---------------------------------------------------


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


@router.post("/agencies/{code}/{year}/actions")
def action_submit(
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
        finding = _number(f.get("finding", ""))
        if not finding:
            raise FormError("Phát hiện: hãy chọn một phát hiện.")
        action = iso.add_action(
            session=session,
            agency_code=agency.code,
            year=year,
            finding_number=finding,
            owner_name=f.get("owner_name", ""),
            owner_email=f.get("owner_email", "").strip() or None,
            description=f.get("description", ""),
            actor=actor,
            rules=iso_rules(settings),
            working=working(settings),
            due=_date(f, "due", "Hạn hoàn thành", required=False),
        )
        return f"Đã mở hành động khắc phục #{action.number}, hạn {action.due:%d/%m/%Y}."

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


def _number(text: str) -> int:
    """A record number from a path or form; 0 (which no record has) when it is not one.

    Larger numbers than any record's are cut off here: the database refuses integers past 64 bits.
    """
    try:
        number = int(text)
    except ValueError:
        return 0
    return number if 0 < number <= 1_000_000 else 0


@router.post("/agencies/{code}/{year}/actions/{number}/done")
def action_done(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
    number: str,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        done_on = _date(f, "done_on", "Ngày hoàn thành")
        assert done_on is not None
        iso.complete_action(
            session=session,
            agency_code=agency.code,
            year=year,
            number=_number(number),
            done_on=done_on,
            actor=actor,
            today=today,
            ref=f.get("ref", "") or None,
        )
        return f"Đã ghi nhận hoàn thành hành động khắc phục #{number}."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "audits",
        form,
        lambda a, e: _audits_page(request, session, viewer, a, year, today, e),
        write,
    )


@router.post("/agencies/{code}/{year}/actions/{number}/verify")
def action_verify(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
    number: str,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        verified_on = _date(f, "verified_on", "Ngày xác nhận")
        assert verified_on is not None
        effective = f.get("effective") == "yes"
        iso.verify_action(
            session=session,
            agency_code=agency.code,
            year=year,
            number=_number(number),
            verified_on=verified_on,
            verified_by=f.get("verified_by", ""),
            effective=effective,
            actor=actor,
            today=today,
            rules=iso_rules(settings),
            working=working(settings),
            new_due=_date(f, "new_due", "Hạn mới", required=False),
        )
        if effective:
            return f"Hành động khắc phục #{number} đã được xác nhận hiệu quả."
        return f"Hành động khắc phục #{number} chưa hiệu quả: đã mở lại với hạn mới."

    return _write(
        request,
        session,
        viewer,
        code,
        year,
        "audits",
        form,
        lambda a, e: _audits_page(request, session, viewer, a, year, today, e),
        write,
    )


# --- quality objectives ------------------------------------------------------------------------


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


# --- management review -------------------------------------------------------------------------


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
