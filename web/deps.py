"""What every request shares: the database session, the clock, the signed-in user and CSRF."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from models.users import Scope, User, scope_of, user_for_token

Clock = Callable[[], datetime]


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in; answered with a redirect."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One Session per request, closed when the response is done."""
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        yield session


def get_now(request: Request) -> datetime:
    """The request's instant: the edge reads the (injectable) clock once."""
    clock: Clock = request.app.state.clock
    return clock()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]


def local_day(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.zone).date()


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and what they may see and change."""

    user: User
    scope: Scope


def _viewer(session: Session, user: User | None) -> Viewer | None:
    if user is None or not user.active:
        return None
    return Viewer(user, scope_of(session=session, user=user))


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session (and CSRF token) for the user, under their current session epoch."""
    request.session.clear()
    request.session["uid"] = str(user.id)
    request.session["ep"] = user.session_epoch


def optional_page_viewer(request: Request, session: SessionDep) -> Viewer | None:
    """The signed-in user, if the session cookie names an active one at its current epoch.

    The cookie is only signed, so a copy outlives logout on the client; the epoch stored with
    the user is what logout, a password change or disabling raise, and it refuses the copy.
    """
    raw, epoch = request.session.get("uid"), request.session.get("ep")
    if not raw or not isinstance(epoch, int):
        return None
    try:
        user = session.get(User, uuid.UUID(str(raw)))
    except ValueError:
        return None
    if user is None or user.session_epoch != epoch:
        return None
    return _viewer(session, user)


def page_viewer(viewer: Annotated[Viewer | None, Depends(optional_page_viewer)]) -> Viewer:
    if viewer is None:
        raise LoginRequired
    return viewer


_bearer = HTTPBearer(auto_error=False, description="An API token from `isocycle users token`.")


def api_viewer(
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Viewer:
    """The API caller, from `Authorization: Bearer <token>`; 401 without a valid token."""
    user = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = user_for_token(session=session, token=credentials.credentials[:200], now=now)
    viewer = _viewer(session, user)
    if viewer is None:
        raise HTTPException(
            401, "missing or invalid API token", headers={"WWW-Authenticate": "Bearer"}
        )
    return viewer


PageViewer = Annotated[Viewer, Depends(page_viewer)]
OptionalViewer = Annotated[Viewer | None, Depends(optional_page_viewer)]
ApiViewer = Annotated[Viewer, Depends(api_viewer)]


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_form(request: Request) -> dict[str, str]:
    """Return the posted form after checking its CSRF token; 403 when it is missing or wrong."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang.")
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang.")
    return {k: v for k, v in form.items() if isinstance(v, str)}


CsrfForm = Annotated[dict[str, str], Depends(csrf_form)]


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def pop_flash(request: Request) -> Any:
    return request.session.pop("flash", None)
