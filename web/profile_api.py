"""The JSON API for an agency's QMS profile, ISO steering committee and announcements.

Same authorization as the other ISO records: whoever may see the agency reads, whoever may change
it writes. Refusals answer 422 with `detail` (Vietnamese) and `errors` (field path, message).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from models import iso
from web.api import CodePath
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import WRITE, Body, Day, _readable, _refused, _writable

router = APIRouter(prefix="/api/v1", tags=["profile"])


class MemberBody(Body):
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200, description="Position (chức vụ).")
    role: str = Field(default="Thành viên", max_length=50, description="Role in the committee.")


class CommitteeOut(BaseModel):
    ref: str
    decided_on: date
    note: str | None
    in_force: bool
    members: list[MemberBody]


class AnnouncementOut(BaseModel):
    kind: str = Field(description="announcement (công bố) or re_announcement (công bố lại).")
    ref: str
    decided_on: date
    edition: str
    basis: str | None
    notice_ref: str | None
    notice_on: date | None
    notice_to: str | None = Field(description="Agency code of the recipient.")
    posted_on: date | None


class ProfileOut(BaseModel):
    agency: str
    agency_name: str
    recorded: bool
    edition: str | None
    standard: str = Field(description='"TCVN ISO 9001:2015", or "TCVN ISO 9001" with no profile.')
    mode: str | None = Field(description="build (xây dựng mới) or maintain (duy trì, cải tiến).")
    first_applied_year: int | None
    converted_year: int | None
    system_ref: str | None
    system_issued_on: date | None
    system_year: int | None
    scope: str | None
    committees: list[CommitteeOut] = Field(description="Latest first; the first is in force.")
    announcements: list[AnnouncementOut] = Field(description="Oldest first.")
    latest_announcement: AnnouncementOut | None


class ProfileIn(Body):
    """Only the fields sent change; send null to clear an optional field."""

    edition: Literal["2008", "2015"] | None = None
    mode: Literal["build", "maintain"] | None = None
    first_applied_year: int | None = Field(default=None, ge=1900, le=2100)
    converted_year: int | None = Field(default=None, ge=1900, le=2100)
    system_ref: str | None = Field(default=None, max_length=200)
    system_issued_on: Day | None = None
    system_year: int | None = Field(default=None, ge=1900, le=2100)
    scope: str | None = Field(default=None, max_length=4000)


class CommitteeIn(Body):
    ref: str = Field(max_length=200, description="Decision number.")
    decided_on: Day
    note: str | None = Field(default=None, max_length=2000)
    members: list[MemberBody] = Field(default_factory=list, max_length=100)


class AnnouncementIn(Body):
    kind: Literal["announcement", "re_announcement"] = "announcement"
    ref: str = Field(max_length=200)
    decided_on: Day
    edition: Literal["2008", "2015"] | None = Field(default=None, description="Default: profile.")
    basis: str | None = Field(default=None, max_length=2000)
    notice_ref: str | None = Field(default=None, max_length=200)
    notice_on: Day | None = None
    notice_to: str | None = Field(default=None, max_length=64, description="Agency code.")
    posted_on: Day | None = None


@router.get("/agencies/{code}/profile", response_model=ProfileOut, responses={403: {}, 404: {}})
def get_profile(session: SessionDep, viewer: ApiViewer, code: CodePath) -> dict[str, Any]:
    """The agency's QMS profile, steering committee decisions and announcements."""
    agency = _readable(session, viewer, code)
    return iso.get_profile(session=session, agency_code=agency.code)


@router.patch("/agencies/{code}/profile", response_model=ProfileOut, responses=WRITE)
def patch_profile(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    body: ProfileIn,
) -> dict[str, Any]:
    """Create or change the profile (a new one needs the edition); each change in the history."""
    agency = _writable(session, viewer, code)
    try:
        iso.set_profile(
            session=session,
            agency_code=agency.code,
            values=body.model_dump(exclude_unset=True),
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.get_profile(session=session, agency_code=agency.code)


@router.post(
    "/agencies/{code}/profile/committees",
    response_model=ProfileOut,
    status_code=201,
    responses=WRITE,
)
def post_committee(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    body: CommitteeIn,
) -> dict[str, Any]:
    """Record a steering committee decision with its members (the same number corrects it)."""
    agency = _writable(session, viewer, code)
    try:
        iso.record_committee(
            session=session,
            agency_code=agency.code,
            ref=body.ref,
            decided_on=body.decided_on,
            note=body.note,
            members=[iso.MemberIn(**m.model_dump()) for m in body.members],
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.get_profile(session=session, agency_code=agency.code)


@router.post(
    "/agencies/{code}/profile/announcements",
    response_model=ProfileOut,
    status_code=201,
    responses=WRITE,
)
def post_announcement(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    body: AnnouncementIn,
) -> dict[str, Any]:
    """Record (or correct) an announcement or re-announcement; it completes the open step."""
    agency = _writable(session, viewer, code)
    try:
        iso.record_announcement(
            session=session,
            agency_code=agency.code,
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            **body.model_dump(),
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return iso.get_profile(session=session, agency_code=agency.code)
