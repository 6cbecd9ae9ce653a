"""Server-rendered pages in Vietnamese: login, an agency's cycle, completing a step, the
one-click links and iCal feeds (the dashboard is web/dashboard_pages.py)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlmodel import Session, select as orm_select

from config.settings import Settings
from models import agencies as agency_rules, cycles, history_text, iso
from models.lineage import lineage_of
from models.logins import attempt_login
from models.tables import STEP_OPEN, STEP_WAIVED, Agency, HistoryEntry, Step
from models.users import end_sessions
from notifications.links import LinkError, check_feed_token, feed_token, read_link
from web import ical
from web.api import printable
from web.deps import (
    CsrfForm,
    NowDep,
    OptionalViewer,
    PageViewer,
    SessionDep,
    SettingsDep,
    Viewer,
    csrf_token,
    flash,
    local_day,
    pop_flash,
    sign_in,
)

router = APIRouter(include_in_schema=False)

ROLE_LABELS = {
    "admin": "Quản trị (Sở KH&CN)",
    "supervisor": "Đơn vị chủ trì",
    "secretary": "Thư ký ISO",
    "viewer": "Chỉ xem",
}
# Steps completed by their records (a corrective action's done and verified dates), never by
# the step form: the audits page of the agency-year is where they change.
RECORD_STEPS = frozenset(cycles.MANAGED_STEP_TYPES)
RECORD_STEP_ERROR = (
    "Bước này được cập nhật từ hồ sơ hành động khắc phục, không đánh dấu trực tiếp: "
    "vào trang Đánh giá nội bộ & hành động khắc phục."
)
# The core's refusals, in Vietnamese for the form (the API keeps the English text).
STEP_ERRORS_VI = [
    (r"^ref: ", "Số ký hiệu văn bản là bắt buộc (làm bằng chứng)."),
    (r"is in the future", "Ngày hoàn thành không được sau ngày hôm nay."),
    (
        r"is before (\d\d/\d\d/\d{4}), the earliest completion date accepted for \S+ of (\d+)",
        r"Ngày hoàn thành không được trước ngày \1, ngày sớm nhất được chấp nhận cho bước này "
        r"của chu kỳ năm \2.",
    ),
    (r"needs (\w+) done first", "Phải hoàn thành bước đánh giá nội bộ trước bước này."),
    (r"the review must follow the audit", "Ngày xem xét phải sau ngày đánh giá nội bộ."),
    (r"follows its corrective action", RECORD_STEP_ERROR),
    (
        r"follows the inspection's biên bản",
        "Bước này hoàn thành khi đơn vị ghi nhận báo cáo kết quả khắc phục sau kiểm tra: vào "
        "trang Kiểm tra HTQLCL.",
    ),
    (
        r"changed by someone else while saving",
        "Bước này vừa được người khác cập nhật cùng lúc. Xin tải lại trang rồi thử lại.",
    ),
    (
        r"corrective-action step\(s\) of \d+ are still open",
        "Còn hành động khắc phục chưa thực hiện hoặc chưa xác nhận hiệu lực; bước này tự hoàn "
        "thành khi tất cả đã xong.",
    ),
]


def templates(request: Request) -> Jinja2Templates:
    t: Jinja2Templates = request.app.state.templates
    return t


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    viewer: Viewer | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with what every page needs: the user, the CSRF token, a flash message."""
    base = {
        "viewer": viewer,
        "role_labels": ROLE_LABELS,
        "csrf_token": csrf_token(request),
        "flash": pop_flash(request),
        "user_feed_url": _user_feed_url(request.app.state.settings, viewer),
    }
    return templates(request).TemplateResponse(
        request, name, base | context, status_code=status_code, headers=headers
    )


def _user_feed_url(settings: Settings, viewer: Viewer | None) -> str | None:
    if viewer is None:
        return None
    token = feed_token(settings, "user", viewer.user.id)
    return f"{settings.base_url.rstrip('/')}/ical/user/{viewer.user.id}/{token}.ics"


def vi_step_error(message: str) -> str:
    for pattern, text in STEP_ERRORS_VI:
        if found := re.search(pattern, message):
            return found.expand(text)  # a text may name what the pattern caught, as \1
    return f"Không ghi nhận được: {message}"


# A typed date: day/month/year with "/", "." or "-" (19/01/2027, 1/7/2025, 19.01.2027), eight
# digits from a phone's number pad (19012027), or ISO (2027-01-19) as older pages and scripts send.
VN_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{2})(\d{2})(\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_vn_date(text: str) -> date | None:
    """A date typed in a form field (see VN_DATE), or None when it is not a real date."""
    text = text.strip()
    if found := VN_DATE.fullmatch(text):
        day, month, year = (int(g) for g in found.groups() if g is not None)
    elif found := ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in found.groups())
    else:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def date_error(label: str, text: str) -> str:
    """The Vietnamese refusal of a date field, naming the field by its label."""
    how = "ngày/tháng/năm, ví dụ 19/01/2027"
    if not text.strip():
        return f"{label}: chưa nhập ngày ({how})."
    return f"{label}: “{text.strip()[:30]}” không hợp lệ, xin nhập {how}."


def has_control(text: str) -> bool:
    """True for text no code or name has; PostgreSQL refuses NUL in a query parameter."""
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def has_surrogate(text: str) -> bool:
    """True for text with a lone surrogate (a broken paste), which PostgreSQL cannot store."""
    return any(unicodedata.category(c) == "Cs" for c in text)


def agency_or_404(session: Session, code: str) -> Agency:
    agency = None if has_control(code) else agency_rules.get_agency(session=session, code=code[:64])
    if agency is None:
        raise HTTPException(404, f"Không có đơn vị mã {code!r}.")
    return agency


def require_see(viewer: Viewer, agency: Agency) -> None:
    if not viewer.scope.can_see(agency.id):
        raise HTTPException(403, "Bạn không có quyền xem đơn vị này.")


def require_write(viewer: Viewer, agency: Agency) -> None:
    if not viewer.scope.can_write(agency.id):
        raise HTTPException(403, "Bạn không có quyền cập nhật đơn vị này.")


def step_or_404(session: Session, agency: Agency, year: int, key: str) -> Step:
    if has_control(key):
        raise HTTPException(404, "Không có bước này.")
    step = session.exec(
        orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == key)
    ).first()
    if step is None:
        raise HTTPException(404, f"Đơn vị {agency.code} không có bước {key!r} năm {year}.")
    return step


StepYear = Annotated[int, Path(ge=2000, le=2100)]


def step_view(step: Step, today: date) -> dict[str, Any]:
    status = cycles.step_status(step.state, step.due, today)
    left = (step.due - today).days
    if status in (cycles.STATUS_OVERDUE, cycles.STATUS_PENDING):
        when = cycles.deadline_words(left)
    elif status == cycles.STATUS_DONE and step.done_on is not None:
        late = (step.done_on - step.due).days
        when = f"Trễ {late} ngày" if late > 0 else "Đúng hạn"
    else:
        when = step.waive_reason or ""
    return {"step": step, "status": status, "label": cycles.STATUS_LABELS[status], "when": when}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client_ip(request: Request) -> str:
    # The connection's address, or behind a trusted proxy (ISOCYCLE_TRUSTED_PROXIES) the
    # visitor's, as web.app's ProxyHeadersMiddleware resolved it.
    return request.client.host if request.client else "unknown"


@router.get("/")
def home(session: SessionDep, viewer: OptionalViewer) -> Response:
    if viewer is None:
        return RedirectResponse("/login", 303)
    if viewer.user.role == "secretary" and viewer.user.agency_id is not None:
        agency = session.get(Agency, viewer.user.agency_id)
        if agency is not None:
            return RedirectResponse(f"/agencies/{quote(agency.code)}", 303)
    return RedirectResponse("/dashboard", 303)


@router.get("/login")
def login_form(request: Request, viewer: OptionalViewer, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None}, viewer)


@router.post("/login")
def login(request: Request, session: SessionDep, now: NowDep, form: CsrfForm) -> Response:
    username = "".join(c for c in form.get("username", "") if not has_control(c)).strip()[:100]
    target = _safe_next(form.get("next"))
    result = attempt_login(
        session=session,
        username=username,
        password=form.get("password", ""),
        ip=_client_ip(request),
        now=now,
    )
    if result.wait:
        minutes = -(-result.wait // timedelta(minutes=1))  # rounded up: never ask too little
        error = f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
        ctx = {"next": target, "error": error, "username": username}
        headers = {"Retry-After": str(-(-result.wait // timedelta(seconds=1)))}
        return render(request, "login.html", ctx, None, status_code=429, headers=headers)
    if result.user is None:
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
        ctx = {"next": target, "error": error, "username": username}
        return render(request, "login.html", ctx, None, status_code=401)
    sign_in(request, result.user)
    return RedirectResponse(target, 303)


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, viewer: OptionalViewer, form: CsrfForm
) -> Response:
    """Sign out everywhere: a copy of this session's cookie stops working too."""
    if viewer is not None:
        end_sessions(session=session, user_id=viewer.user.id)
    request.session.clear()
    return RedirectResponse("/login", 303)


@router.get("/agencies/{code}")
def agency_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """An agency's cycle for a year (each step, due date, status, days left) and its history."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    today = local_day(settings, now)
    year = year or today.year
    steps = session.exec(
        orm_select(Step)
        .where(Step.agency_id == agency.id, Step.year == year)
        .order_by(Step.due, Step.key)  # type: ignore[arg-type]
    ).all()
    years = sorted(
        set(
            session.execute(select(Step.year).where(Step.agency_id == agency.id).distinct())  # type: ignore[call-overload]
            .scalars()
            .all()
        )
        | {year}
    )
    parent = session.get(Agency, agency.parent_id) if agency.parent_id else None
    units = session.exec(
        orm_select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.code)
    ).all()
    ctx = {
        "agency": agency,
        "parent": parent if parent and viewer.scope.can_see(parent.id) else None,
        "units": units,
        "year": year,
        "years": years,
        "today": today,
        "rows": [step_view(s, today) for s in steps],
        "can_write": viewer.scope.can_write(agency.id),
        "history": _history(session, agency, year),
        "feed_url": f"{settings.base_url.rstrip('/')}/ical/agency/{quote(agency.code)}/"
        f"{feed_token(settings, 'agency', agency.id)}.ics",
        "kind_labels": agency_rules.KIND_LABELS,
        "record_steps": RECORD_STEPS,
        # Restructuring: what this agency replaced and what replaced it (models/lineage.py).
        "lineage": _lineage(session, viewer, agency),
        # The QMS profile (web/profile_pages.py): the edition every line of the page names.
        "qms": (qms := iso.get_profile(session=session, agency_code=agency.code)),
        "standard": qms["standard"],
        "mode_labels": iso.MODE_LABELS,
        "report_steps": cycles.RECEIPT_STEP_TYPES,
    }
    return render(request, "agency.html", ctx, viewer)


def _lineage(session: Session, viewer: Viewer, agency: Agency) -> dict[str, list[dict[str, Any]]]:
    """The agency's predecessors and successors; each links to its page only if it may be seen."""
    lineage = lineage_of(session=session, agency=agency)
    for rows in lineage.values():
        for row in rows:
            other = agency_rules.get_agency(session=session, code=row["code"])
            row["visible"] = other is not None and viewer.scope.can_see(other.id)
    return lineage


def _history(
    session: Session, agency: Agency, year: int
) -> list[tuple[HistoryEntry, history_text.Described]]:
    """The agency-year's history, newest first, each entry told as a sentence with its changes."""
    entries = list(reversed(cycles.history(session=session, agency_id=agency.id, year=year)))
    names = history_text.history_names(session, entries)
    return [(h, history_text.describe(h, names)) for h in entries]


def _form_context(
    step: Step, agency: Agency, today: date, action: str, values: dict[str, str]
) -> dict[str, Any]:
    return {
        "agency": agency,
        "row": step_view(step, today),
        # The path as received is decoded; quote it again so a key with "%", "?" or "#" posts back.
        "action": quote(action, safe="/:"),
        "values": values,
        "today": today,
    } | _by_record(step, agency)


def _by_record(step: Step, agency: Agency) -> dict[str, Any]:
    """For a step that a record completes (never by hand): what to say and where to go instead."""
    code = quote(agency.code, safe="")
    if step.step_type in cycles.RECEIPT_STEP_TYPES:
        return {
            "by_record": True,
            "record_note": "Báo cáo được tính là đã gửi khi đơn vị nhận ghi nhận đã nhận được. "
            "Gửi báo cáo kèm tệp tại trang Báo cáo; đơn vị nhận sẽ ghi nhận ngày nhận.",
            "records_url": "/reports",
            "records_label": "Mở trang Báo cáo",
        }
    if step.step_type == cycles.RECORD_STEP_TYPE:
        return {
            "by_record": True,
            "record_note": "Bước này hoàn thành khi đơn vị ghi nhận báo cáo kết quả khắc phục sau "
            "kiểm tra (số, ngày báo cáo), không đánh dấu trực tiếp tại đây.",
            "records_url": f"/agencies/{code}/{step.year}/inspections",
            "records_label": "Mở trang Kiểm tra HTQLCL",
        }
    return {
        "by_record": step.step_type in RECORD_STEPS,
        "record_note": "Bước này được cập nhật từ hồ sơ hành động khắc phục (ngày hoàn thành và "
        "ngày xác nhận hiệu lực), không đánh dấu trực tiếp tại đây.",
        "records_url": f"/agencies/{code}/{step.year}/audits",
        "records_label": "Mở trang Đánh giá nội bộ & hành động khắc phục",
    }


def _defaults(step: Step, today: date) -> dict[str, str]:
    return {
        "done_on": f"{step.done_on or today:%d/%m/%Y}",
        "ref": step.ref or "",
        "note": step.note or "",
    }


# What `_complete` answers when a one-click link finds its step closed by someone else meanwhile.
LINK_SPENT = "spent"


def _complete(
    session: Session,
    step: Step,
    form: dict[str, str],
    actor: str,
    today: date,
    now: datetime,
    only_if_open: bool = False,
) -> str | None:
    """Apply a completion form; return a Vietnamese error message, LINK_SPENT when `only_if_open`
    found the step no longer open, or None when stored."""
    done_on = parse_vn_date(form.get("done_on", ""))
    if done_on is None:
        return date_error("Ngày ban hành / hoàn thành", form.get("done_on", ""))
    ref, note = form.get("ref", "")[:200], form.get("note", "")[:2000]
    try:
        printable(ref, "ref")
        printable(note, "note", multiline=True)
    except ValueError:
        return "Văn bản có ký tự điều khiển không hợp lệ."
    try:
        changed = cycles.mark_done(
            session=session,
            step=step,
            done_on=done_on,
            ref=ref,
            note=note,
            actor=actor,
            today=today,
            now=now,
            only_if_open=only_if_open,
        )
    except cycles.StepError as exc:
        session.rollback()
        return vi_step_error(str(exc))
    if only_if_open and not changed:
        session.rollback()  # let go of the lock the lost compare-and-swap took
        return LINK_SPENT
    return None


# `path` because event steps carry a document number with "/" (procedure_update:512/QĐ-UBND).
@router.get("/agencies/{code}/{year}/steps/{key:path}")
def step_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
    key: str,
) -> Response:
    """The completion form of one step: document number, date and note."""
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    step = step_or_404(session, agency, year, key)
    today = local_day(settings, now)
    ctx = _form_context(step, agency, today, request.url.path, _defaults(step, today))
    return render(request, "step_form.html", ctx | {"error": None}, viewer)


@router.post("/agencies/{code}/{year}/steps/{key:path}")
def step_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
    key: str,
) -> Response:
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    step = step_or_404(session, agency, year, key)
    today = local_day(settings, now)
    error = _complete(session, step, form, f"web:{viewer.user.username}", today, now)
    if error:
        ctx = _form_context(step, agency, today, request.url.path, form)
        return render(request, "step_form.html", ctx | {"error": error}, viewer, 422)
    flash(request, f"Đã ghi nhận hoàn thành: {step.title}.")
    return RedirectResponse(f"/agencies/{quote(agency.code)}?year={year}", 303)


def _link_step(session: Session, settings: Settings, token: str, now: datetime) -> Step:
    try:
        step_id = read_link(settings, token, now)
    except LinkError as exc:
        raise HTTPException(403, str(exc)) from exc
    step = session.get(Step, step_id)
    if step is None:
        raise HTTPException(404, "Bước này không còn tồn tại.")
    return step


def _link_spent(request: Request, session: Session, step: Step) -> Response:
    """A link to a step already closed: evidence on record changes only after signing in, so a
    link forwarded or left in a mailbox cannot overwrite it. Sends to the step's own page."""
    agency = session.get(Agency, step.agency_id)
    assert agency is not None  # a step's agency is a foreign key
    closed = "được đánh dấu không áp dụng" if step.state == STEP_WAIVED else "hoàn thành"
    flash(
        request,
        f"Bước «{step.title}» đã {closed}, nên liên kết trong e-mail không dùng được nữa. "
        "Muốn sửa bằng chứng, hãy đăng nhập.",
    )
    target = (
        f"/agencies/{quote(agency.code, safe='')}/{step.year}/steps/{quote(step.key, safe='/:')}"
    )
    return RedirectResponse(target, 303)


@router.get("/l/{token}")
def link_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: OptionalViewer,
    token: str,
) -> Response:
    """A one-click link from a reminder: that step's completion form, without a password."""
    step = _link_step(session, settings, token, now)
    if step.state != STEP_OPEN:
        return _link_spent(request, session, step)
    agency = session.get(Agency, step.agency_id)
    assert agency is not None  # a step's agency is a foreign key
    today = local_day(settings, now)
    ctx = _form_context(step, agency, today, request.url.path, _defaults(step, today))
    return render(request, "step_form.html", ctx | {"error": None, "via_link": True}, viewer)


@router.post("/l/{token}")
def link_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: OptionalViewer,
    form: CsrfForm,
    token: str,
) -> Response:
    step = _link_step(session, settings, token, now)
    if step.state != STEP_OPEN:
        return _link_spent(request, session, step)
    agency = session.get(Agency, step.agency_id)
    assert agency is not None  # a step's agency is a foreign key
    today = local_day(settings, now)
    actor = f"link:{agency.secretary_email or agency.code}"
    error = _complete(session, step, form, actor, today, now, only_if_open=True)
    if error == LINK_SPENT:  # completed by someone else between the check above and the save
        session.refresh(step)
        return _link_spent(request, session, step)
    ctx = _form_context(step, agency, today, request.url.path, form)
    if error:
        ctx |= {"error": error, "via_link": True}
        return render(request, "step_form.html", ctx, viewer, 422)
    session.refresh(step)
    ctx = _form_context(step, agency, today, request.url.path, _defaults(step, today))
    return render(request, "link_done.html", ctx, viewer)


def _ics(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}.ics"'},
    )


@router.get("/ical/agency/{code}/{token}.ics")
def agency_feed(
    session: SessionDep, settings: SettingsDep, now: NowDep, code: str, token: str
) -> Response:
    """An agency's private calendar: the token in the URL is the only credential."""
    agency = None if has_control(code) else agency_rules.get_agency(session=session, code=code)
    if agency is None or not check_feed_token(settings, "agency", agency.id, token):
        raise HTTPException(404, "Không tìm thấy lịch.")
    body = ical.feed(
        session=session,
        agency_ids=[agency.id],
        name=f"ISO {agency.name}",
        today=local_day(settings, now),
        now=now,
    )
    return _ics(body, agency.code)


@router.get("/ical/user/{user_id}/{token}.ics")
def user_feed(
    session: SessionDep, settings: SettingsDep, now: NowDep, user_id: str, token: str
) -> Response:
    """A user's private calendar: every deadline of the agencies they are responsible for."""
    from models.users import User, scope_of

    try:
        user = session.get(User, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None or not user.active or not check_feed_token(settings, "user", user.id, token):
        raise HTTPException(404, "Không tìm thấy lịch.")
    scope = scope_of(session=session, user=user)
    body = ical.feed(
        session=session,
        agency_ids=scope.agency_ids,
        name=f"ISO {user.username}",
        today=local_day(settings, now),
        now=now,
    )
    return _ics(body, user.username)
