"""The secretary's page for a period's training, budget, directing documents and own
inspections, one form each. Writes go through models/iso/activities.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import iso
from models.periods import Period, PeriodError, parse_period
from models.tables import Agency
from web.activities_api import activities_of
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.iso.pages_common import FormError, _clean, _date as _optional_date
from web.pages import (
    agency_or_404,
    render,
    require_see,
    require_write,
)

router = APIRouter(include_in_schema=False)


def _date(form: dict[str, str], name: str, label: str) -> date:
    """A required date of the form (web/iso/pages_common._date refuses it when empty)."""
    day = _optional_date(form, name, label)
    assert day is not None  # required=True never gives None
    return day


def _period(request: Request, text: str) -> Period:
    rules = iso.load_iso_rules(request.app.state.settings.iso_rules_file)
    try:
        return parse_period(text, rules.periods)
    except PeriodError as exc:
        raise HTTPException(404, str(exc)) from exc


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    period: Period,
    period_text: str,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    caps = iso.load_budget_caps()
    data = activities_of(session, agency, period)
    ctx = {
        "agency": agency,
        "period": period,
        "period_text": period_text,
        "today": today,
        "data": data,
        "can_write": viewer.scope.can_write(agency.id),
        "modes": iso.TRAINING_MODE_LABELS,
        "purposes": {c.key: c.label for c in caps if c.applies_to(agency.kind)},
        "vnd": iso.vnd,
        "error": error,
        "values": values or {},
        # The form that was refused shows what was typed; the others stay empty.
        "failed": request.url.path.rsplit("/", 1)[-1] if error else "",
    }
    return render(request, "activities.html", ctx, viewer, 422 if error else 200)


def _write(
    request: Request,
    session: Session,
    viewer: Viewer,
    code: str,
    period_text: str,
    today: date,
    form: dict[str, str],
    write: Callable[[Agency, Period, dict[str, str], str], str],
) -> Response:
    """Check the right to write, apply `write`, and redirect with its message or re-show errors."""
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    period = _period(request, period_text)
    try:
        message = write(agency, period, _clean(form), f"web:{viewer.user.username}")
    except (FormError, iso.IsoError) as exc:
        session.rollback()
        return _page(request, session, viewer, agency, period, period_text, today, str(exc), form)
    flash(request, message)
    return RedirectResponse(f"/agencies/{quote(agency.code)}/activities/{quote(period_text)}", 303)


@router.get("/agencies/{code}/activities/{period}")
def activities_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    period: str,
) -> Response:
    """The period's training, budget, directing documents and own inspections."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    span = _period(request, period)
    return _page(request, session, viewer, agency, span, period, local_day(settings, now))


@router.post("/agencies/{code}/activities/{period}/training")
def training_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    period: str,
) -> Response:
    """Record a course from the training form."""
    today = local_day(settings, now)

    def write(agency: Agency, span: Period, f: dict[str, str], actor: str) -> str:
        iso.add_training(
            session=session,
            agency_code=agency.code,
            period=span,
            title=f.get("title", ""),
            organiser=f.get("organiser"),
            mode=f.get("mode", ""),
            held_on=_date(f, "held_on", "Ngày tập huấn"),
            person_times=f.get("person_times", ""),
            actor=actor,
            today=today,
        )
        return "Đã ghi nhận lớp tập huấn."

    return _write(request, session, viewer, code, period, today, form, write)


@router.post("/agencies/{code}/activities/{period}/budget")
def budget_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    period: str,
) -> Response:
    """Record the period's budget from its form; a cap warning joins the message."""
    today = local_day(settings, now)

    def write(agency: Agency, span: Period, f: dict[str, str], actor: str) -> str:
        warnings = iso.set_budget(
            session=session,
            agency_code=agency.code,
            period=span,
            allocated=f.get("allocated", ""),
            spent=f.get("spent", ""),
            purpose=f.get("purpose", "duy_tri"),
            note=f.get("note"),
            actor=actor,
        )
        return " ".join(["Đã ghi nhận kinh phí.", *(f"Cảnh báo: {w}" for w in warnings)])

    return _write(request, session, viewer, code, period, today, form, write)


@router.post("/agencies/{code}/activities/{period}/documents")
def document_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    period: str,
) -> Response:
    """Record a directing document from its form."""
    today = local_day(settings, now)

    def write(agency: Agency, span: Period, f: dict[str, str], actor: str) -> str:
        iso.add_directing_document(
            session=session,
            agency_code=agency.code,
            period=span,
            number=f.get("number"),
            title=f.get("title", ""),
            issued_on=_date(f, "issued_on", "Ngày ban hành"),
            actor=actor,
            today=today,
        )
        return "Đã ghi nhận văn bản chỉ đạo."

    return _write(request, session, viewer, code, period, today, form, write)


@router.post("/agencies/{code}/activities/{period}/inspections")
def inspection_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    period: str,
) -> Response:
    """Record an own inspection from its form."""
    today = local_day(settings, now)

    def write(agency: Agency, span: Period, f: dict[str, str], actor: str) -> str:
        iso.add_own_inspection(
            session=session,
            agency_code=agency.code,
            period=span,
            held_on=_date(f, "held_on", "Ngày kiểm tra"),
            unit=f.get("unit", ""),
            ref=f.get("ref"),
            actor=actor,
            today=today,
        )
        return "Đã ghi nhận cuộc kiểm tra."

    return _write(request, session, viewer, code, period, today, form, write)
