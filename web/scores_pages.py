"""The 7.2 self-score page of an agency's year: each criterion's suggestion with its rule and
evidence, the secretary's points (with reasons) and Sở KH&CN's review, with their forms.

Who: whoever may see the agency reads it, and whoever may change it self-scores; Sở KH&CN's users
(iso.may_review) read any agency and review; anyone else gets 403. Writes go through
models/iso/scores.py, like the JSON API's.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select as orm_select

from config.settings import Settings
from models import history_text, iso
from models.iso.scheme import Scheme
from models.tables import Agency
from models.users import User
from web.deps import CsrfForm, NowDep, PageViewer, SessionDep, SettingsDep, Viewer, flash, local_day
from web.iso.pages_common import FormError, _clean
from web.pages import StepYear, agency_or_404, render

router = APIRouter(include_in_schema=False)


def access(
    session: Session, settings: Settings, viewer: Viewer, agency: Agency
) -> tuple[bool, bool]:
    """(may self-score, may review) the agency; 403 for a user who may do neither nor see it.

    Sở KH&CN's users review other agencies' scores, never their own agency's (a centre under
    Sở KH&CN is scored too, and its secretary self-scores it).
    """
    reviewer = iso.may_review(
        session=session,
        role=viewer.user.role,
        user_agency_id=viewer.user.agency_id,
        overseer_code=settings.overseer_code,
    ) and (viewer.scope.is_admin or viewer.user.agency_id != agency.id)
    if not (viewer.scope.can_see(agency.id) or reviewer):
        raise HTTPException(403, "Bạn không có quyền xem điểm tự chấm của đơn vị này.")
    return viewer.scope.can_write(agency.id), reviewer


def require_scoring(
    session: Session, settings: Settings, viewer: Viewer, agency: Agency, reviewing: bool
) -> None:
    """403 unless the viewer may write these points: the agency's self-score, or the review."""
    can_score, can_review = access(session, settings, viewer, agency)
    if not (can_review if reviewing else can_score):
        who = "Sở KH&CN" if reviewing else "đơn vị (thư ký ISO)"
        raise HTTPException(403, f"Chỉ {who} được ghi điểm này.")


def _people(session: Session, actors: list[str]) -> dict[str, str]:
    """The full names of the signed-in users among the actors (web:NAME, api:NAME)."""
    logins = {a.partition(":")[2] for a in actors if a.partition(":")[0] in ("web", "api")}
    if not logins:
        return {}
    rows = session.exec(orm_select(User).where(col(User.username).in_(logins))).all()
    return {u.username: u.full_name for u in rows if u.full_name}


def scheme_of(settings: Settings, year: int) -> Scheme:
    return iso.scheme_for_year(year, settings.scoring_dir)


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    viewer: Viewer,
    agency: Agency,
    year: int,
    today: date,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    can_score, can_review = access(session, settings, viewer, agency)
    try:
        card = iso.score_card(
            session=session,
            agency_code=agency.code,
            year=year,
            today=today,
            scheme=scheme_of(settings, year),
            periods=iso.load_iso_rules(settings.iso_rules_file).periods,
        )
    except iso.IsoError as exc:
        raise HTTPException(422, str(exc)) from exc
    actors = [a for c in card.criteria for a in (c.self_by, c.reviewed_by) if a]
    people = _people(session, actors)
    ctx = {
        "agency": agency,
        "year": year,
        "today": today,
        "card": card,
        "can_score": can_score and year <= today.year,
        "can_review": can_review and year <= today.year,
        "points_text": iso.points_text,
        "who": lambda actor: history_text.actor_name(actor or "", people),
        "error": error,
        "values": values or {},
    }
    return render(request, "scores.html", ctx, viewer, 422 if error else 200)


@router.get("/agencies/{code}/{year}/score")
def score_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    code: str,
    year: StepYear,
) -> Response:
    """The agency's 7.2 score for the year, with the self-score and review forms."""
    agency = agency_or_404(session, code)
    return _page(request, session, settings, viewer, agency, year, local_day(settings, now))


def entries(form: dict[str, str], codes: list[str], reviewing: bool) -> list[iso.ScoreIn]:
    """The criteria whose points field was filled in, with their reason (and note)."""
    prefix = "review" if reviewing else "self"
    out = []
    for code in codes:
        points = form.get(f"{prefix}_points_{code}", "").strip()
        if not points:
            continue
        reason = form.get(f"{prefix}_reason_{code}", "")
        note = None if reviewing else form.get(f"note_{code}", "")
        out.append(iso.ScoreIn(code, points, reason, note))
    if not out:
        raise FormError("Chưa nhập điểm của tiêu chí nào.")
    return out


def _submit(
    request: Request,
    session: Session,
    settings: Settings,
    viewer: Viewer,
    code: str,
    year: int,
    today: date,
    form: dict[str, str],
    reviewing: bool,
    now: datetime,
) -> Response:
    agency = agency_or_404(session, code)
    require_scoring(session, settings, viewer, agency, reviewing)
    try:
        scheme = scheme_of(settings, year)
        write = iso.review_scores if reviewing else iso.set_self_scores
        card = write(
            session=session,
            agency_code=agency.code,
            year=year,
            entries=entries(_clean(form), [c.code for c in scheme.criteria], reviewing),
            actor=f"web:{viewer.user.username}",
            today=today,
            scheme=scheme,
            periods=iso.load_iso_rules(settings.iso_rules_file).periods,
            now=now,
        )
    except (FormError, iso.IsoError) as exc:
        session.rollback()
        return _page(request, session, settings, viewer, agency, year, today, str(exc), form)
    what = "điểm thẩm định" if reviewing else "điểm tự chấm"
    flash(request, f"Đã lưu {what}; tổng điểm {card.total_text}.")
    return RedirectResponse(f"/agencies/{quote(agency.code)}/{year}/score", 303)


@router.post("/agencies/{code}/{year}/score")
def score_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    form: CsrfForm,
    code: str,
    year: StepYear,
) -> Response:
    """Save the secretary's points (a reason where they differ from the suggestion)."""
    today = local_day(settings, now)
    return _submit(request, session, settings, viewer, code, year, today, form, False, now)


@router.post("/agencies/{code}/{year}/score/review")
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
    """Save Sở KH&CN's reviewed points (a reason where they differ from the agency's)."""
    today = local_day(settings, now)
    return _submit(request, session, settings, viewer, code, year, today, form, True, now)
