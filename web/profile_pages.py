"""The QMS profile page of an agency: edition, mode, steering committee and announcements, with
forms to enter them. Writes go through models/iso/profile.py, like the JSON API's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import cycles, iso
from models.tables import Agency
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.iso.pages_common import FormError, _date
from web.pages import (
    agency_or_404,
    has_surrogate,
    render,
    require_see,
    require_write,
    vi_step_error,
)

router = APIRouter(include_in_schema=False)

MEMBER_ROWS = 6  # blank member rows on the committee form; blank rows are skipped


def _year(form: dict[str, str], name: str, label: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) != 4:
        raise FormError(f"{label}: “{text[:30]}” không phải là một năm (ví dụ 2018).")
    return int(text)


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    agency: Agency,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    data = iso.get_profile(session=session, agency_code=agency.code)
    ctx = {
        "agency": agency,
        "today": today,
        "qms": data,
        "standard": data["standard"],
        "can_write": viewer.scope.can_write(agency.id),
        "editions": iso.EDITIONS,
        "mode_labels": iso.MODE_LABELS,
        "kind_labels": iso.ANNOUNCEMENT_LABELS,
        "roles": iso.COMMITTEE_ROLES,
        "member_rows": range(1, MEMBER_ROWS + 1),
        "error": error,
        "values": values or {},
    }
    return render(request, "profile.html", ctx, viewer, 422 if error else status)


@router.get("/agencies/{code}/profile")
def profile_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
) -> Response:
    """The agency's QMS profile, steering committee decisions and announcements, with forms."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    return _page(request, session, viewer, agency, local_day(settings, now))


def _write(
    request: Request,
    session: Session,
    viewer: Viewer,
    code: str,
    today: date,
    form: dict[str, str],
    write: Callable[[Agency, dict[str, str], str], str],
) -> Response:
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    for value in form.values():
        if has_surrogate(value):
            return _page(
                request, session, viewer, agency, today, "Một ô có ký tự không hợp lệ.", form
            )
    try:
        message = write(agency, form, f"web:{viewer.user.username}")
    except FormError as exc:
        session.rollback()
        return _page(request, session, viewer, agency, today, str(exc), form)
    except iso.IsoError as exc:
        session.rollback()
        stepped = isinstance(exc.__cause__, cycles.StepError)
        text = vi_step_error(str(exc)) if stepped else str(exc)
        return _page(request, session, viewer, agency, today, text, form)
    flash(request, message)
    return RedirectResponse(f"/agencies/{quote(agency.code)}/profile", 303)


@router.post("/agencies/{code}/profile")
def profile_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        values: dict[str, Any] = {
            "edition": f.get("edition", "").strip() or None,
            "mode": f.get("mode", "").strip() or None,
            "first_applied_year": _year(f, "first_applied_year", "Năm áp dụng ISO 9001:2008"),
            "converted_year": _year(f, "converted_year", "Năm chuyển đổi sang ISO 9001:2015"),
            "system_ref": f.get("system_ref", ""),
            "system_issued_on": _date(f, "system_issued_on", "Ngày ban hành HTQLCL", False),
            "system_year": _year(f, "system_year", "Năm ban hành HTQLCL"),
            "scope": f.get("scope", ""),
        }
        if values["mode"] is None:
            del values["mode"]  # keep the recorded one
        iso.set_profile(
            session=session, agency_code=agency.code, values=values, actor=actor, today=today
        )
        return "Đã lưu hồ sơ HTQLCL."

    return _write(request, session, viewer, code, today, form, write)


@router.post("/agencies/{code}/profile/committee")
def committee_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        members = []
        for n in range(1, MEMBER_ROWS + 1):
            row = {k: f.get(f"{k}_{n}", "").strip() for k in ("name", "title", "role")}
            if not row["name"] and not row["title"]:
                continue  # a blank row (its role keeps the default choice)
            members.append(iso.MemberIn(row["name"], row["title"], row["role"] or "Thành viên"))
        decided_on = _date(f, "decided_on", "Ngày quyết định")
        assert decided_on is not None  # required
        iso.record_committee(
            session=session,
            agency_code=agency.code,
            ref=f.get("ref", ""),
            decided_on=decided_on,
            members=members,
            note=f.get("note", ""),
            actor=actor,
            today=today,
        )
        return f"Đã ghi nhận quyết định Ban chỉ đạo ISO {f.get('ref', '').strip()}."

    return _write(request, session, viewer, code, today, form, write)


@router.post("/agencies/{code}/profile/announcement")
def announcement_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
) -> Response:
    today = local_day(settings, now)

    def write(agency: Agency, f: dict[str, str], actor: str) -> str:
        decided_on = _date(f, "decided_on", "Ngày quyết định công bố")
        assert decided_on is not None  # required
        iso.record_announcement(
            session=session,
            agency_code=agency.code,
            kind=f.get("kind", "announcement")[:20],  # the model refuses an unknown kind
            ref=f.get("ref", ""),
            decided_on=decided_on,
            edition=f.get("edition", "").strip() or None,
            basis=f.get("basis", ""),
            notice_ref=f.get("notice_ref", ""),
            notice_on=_date(f, "notice_on", "Ngày thông báo", False),
            notice_to=f.get("notice_to", "").strip() or None,
            posted_on=_date(f, "posted_on", "Ngày niêm yết", False),
            actor=actor,
            today=today,
        )
        return f"Đã ghi nhận quyết định công bố {f.get('ref', '').strip()}."

    return _write(request, session, viewer, code, today, form, write)
