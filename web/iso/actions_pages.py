"""The corrective-action forms on the audit page: open an action, record it done, verify it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from models import iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, local_day
from web.iso.api_common import iso_rules, working
from web.iso.audits_pages import _audits_page
from web.iso.pages_common import FormError, _date, _number, _write
from web.pages import (
    StepYear,
)

router = APIRouter(include_in_schema=False)


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
            return f"Hành động khắc phục #{number} đã được xác nhận có hiệu lực."
        return f"Hành động khắc phục #{number} chưa có hiệu lực: đã mở lại với hạn mới."

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
