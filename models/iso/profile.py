"""The QMS profile of an agency (hồ sơ HTQLCL), its ISO steering committee and announcements."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, col, select as orm_select

from models import cycles
from models.calendar import MODES, RuleSet
from models.iso.base import (
    FieldError,
    IsoError,
    _atomic,
    _check_not_future,
    _complete_step,
    _history,
    _in_row,
    _text,
    get_agency,
)
from models.tables import AGENCY, STEP_OPEN, Step, instant, table_of, utcnow

# Editions of TCVN ISO 9001 an agency's QMS may follow; a new edition is added here when Bộ KH&CN
# guides the move to it (QĐ 19/2014 Art. 4, last paragraph).
EDITIONS = ("2008", "2015")
MODE_LABELS = {"build": "xây dựng mới", "maintain": "duy trì, cải tiến"}
ANNOUNCEMENT_KINDS = ("announcement", "re_announcement")
ANNOUNCEMENT_LABELS = {"announcement": "công bố", "re_announcement": "công bố lại"}
# Roles in the steering committee, as decisions name them.
COMMITTEE_ROLES = ("Trưởng ban", "Phó Trưởng ban", "Thành viên", "Thư ký")
# Steps a committee decision completes: the calendar's, and a leadership change's (events).
COMMITTEE_STEPS = ("steering_committee", "build_committee", "steering_committee_reform")
# Steps an announcement decision completes: the first build's, and a scope change's (events).
ANNOUNCEMENT_STEPS = ("announce", "re_announcement")
FIRST_YEAR = 1995  # ISO 9001 came to Vietnamese administration after 2000; earlier is a typo


def edition_label(edition: str | None) -> str:
    """The standard as pages name it: "TCVN ISO 9001:2015", or "TCVN ISO 9001" with no edition."""
    return f"TCVN ISO 9001:{edition}" if edition else "TCVN ISO 9001"


# The QMS profile of an agency: one row per agency, every change in the history.
class QmsProfile(SQLModel, table=True):
    __tablename__ = "iso_profile"

    agency_id: uuid.UUID = Field(foreign_key="agency.id", primary_key=True)
    edition: str = Field(max_length=8)
    mode: str = Field(max_length=16)
    first_applied_year: int | None = None
    converted_year: int | None = None
    system_ref: str | None = Field(default=None, max_length=200)
    system_issued_on: date | None = None
    system_year: int | None = None
    scope: str | None = Field(default=None, max_length=4000)
    updated_at: datetime = instant(default_factory=utcnow)


# A decision setting up or re-forming the ISO steering committee; the latest is in force.
class SteeringCommittee(SQLModel, table=True):
    __tablename__ = "iso_steering_committee"
    __table_args__ = (UniqueConstraint("agency_id", "ref", name="uq_iso_committee_agency_ref"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    ref: str = Field(max_length=200)
    decided_on: date
    note: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# A member of a steering committee, in the decision's order.
class CommitteeMember(SQLModel, table=True):
    __tablename__ = "iso_committee_member"

    committee_id: uuid.UUID = Field(foreign_key="iso_steering_committee.id", primary_key=True)
    position: int = Field(primary_key=True)
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)
    role: str = Field(max_length=50)


# An announcement (công bố) or re-announcement (công bố lại) of conformity, QĐ 19/2014 Art. 4.3.
class Announcement(SQLModel, table=True):
    __tablename__ = "iso_announcement"
    __table_args__ = (UniqueConstraint("agency_id", "ref", name="uq_iso_announcement_agency_ref"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    kind: str = Field(max_length=20)
    ref: str = Field(max_length=200)
    decided_on: date = Field(index=True)
    edition: str = Field(max_length=8)
    basis: str | None = Field(default=None, max_length=2000)
    notice_ref: str | None = Field(default=None, max_length=200)
    notice_on: date | None = None
    notice_to_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id")
    posted_on: date | None = None
    created_by: str = Field(max_length=200)
    updated_at: datetime = instant(default_factory=utcnow)


COMMITTEE = table_of(SteeringCommittee)
PROFILE_FIELDS = (
    "edition",
    "mode",
    "first_applied_year",
    "converted_year",
    "system_ref",
    "system_issued_on",
    "system_year",
    "scope",
)


@dataclass(frozen=True)
class MemberIn:
    """A committee member as entered: name, position (chức vụ) and role in the committee."""

    name: str
    title: str = ""
    role: str = "Thành viên"


# --- the profile --------------------------------------------------------------------------------


def _year(value: int | None, field: str, label: str, today: date) -> int | None:
    if value is None:
        return None
    if not FIRST_YEAR <= value <= today.year:
        raise IsoError(
            f"{label} {value} không hợp lệ (từ {FIRST_YEAR} đến {today.year}).", field=field
        )
    return value


def _edition(value: str | None, field: str = "edition") -> str:
    if value is None or not value.strip():
        choices = ", ".join(edition_label(e) for e in EDITIONS)
        raise IsoError(f"Chưa chọn phiên bản tiêu chuẩn; chọn {choices}.", field=field)
    text = (value or "").strip().removeprefix("TCVN").strip().removeprefix("ISO").strip()
    text = text.removeprefix("9001").strip().lstrip(":").strip()
    if text not in EDITIONS:
        choices = ", ".join(edition_label(e) for e in EDITIONS)
        raise IsoError(f"Phiên bản tiêu chuẩn «{value}» không có; chọn {choices}.", field=field)
    return text


def _mode(value: str | None) -> str:
    text = (value or "").strip().casefold()
    by_label = {label: mode for mode, label in MODE_LABELS.items()}
    mode = text if text in MODES else by_label.get(text)
    if mode is None:
        choices = ", ".join(f"{MODE_LABELS[m]} ({m})" for m in MODES)
        raise IsoError(f"Hình thức «{value}» không có; chọn {choices}.", field="mode")
    return mode


@_atomic
def set_profile(
    *, session: Session, agency_code: str, values: dict[str, Any], actor: str, today: date
) -> QmsProfile:
    """Create or change an agency's QMS profile; only the fields in `values` change.

    - A new profile needs the edition; its mode defaults to maintaining.
    - Every error is collected first (naming each field by its label); nothing is written then.
    """
    agency = get_agency(session, agency_code)
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise IsoError(f"Không có trường {', '.join(sorted(unknown))}.", field="profile")
    profile = session.get(QmsProfile, agency.id)
    old = None if profile is None else {f: getattr(profile, f) for f in PROFILE_FIELDS}
    merged: dict[str, Any] = dict(old or dict.fromkeys(PROFILE_FIELDS) | {"mode": "maintain"})
    merged |= values
    errors: list[FieldError] = []
    checks: dict[str, Callable[[Any], Any]] = {
        "edition": _edition,
        "mode": lambda v: _mode(v or "maintain"),
        "first_applied_year": lambda v: _year(v, "first_applied_year", "Năm áp dụng", today),
        "converted_year": lambda v: _year(v, "converted_year", "Năm chuyển đổi", today),
        "system_ref": lambda v: _text(v, "system_ref", "Số quyết định ban hành HTQLCL", 200),
        "system_year": lambda v: _year(v, "system_year", "Năm ban hành HTQLCL", today),
        "scope": lambda v: _text(v, "scope", "Phạm vi áp dụng", 4000),
    }
    for name, check in checks.items():
        try:
            merged[name] = check(merged.get(name))
        except IsoError as exc:
            errors.extend(exc.errors)
    issued = merged.get("system_issued_on")
    if issued is not None:
        try:
            _check_not_future(issued, today, "system_issued_on", "Ngày ban hành HTQLCL")
            if merged.get("system_year") not in (None, issued.year):
                raise IsoError(
                    f"Năm ban hành HTQLCL {merged['system_year']} khác năm của ngày ban hành "
                    f"{issued:%d/%m/%Y}.",
                    field="system_year",
                )
            merged["system_year"] = issued.year
        except IsoError as exc:
            errors.extend(exc.errors)
    first, converted = merged.get("first_applied_year"), merged.get("converted_year")
    if first is not None and converted is not None and converted < first:
        errors.append(
            FieldError(
                "converted_year",
                f"Năm chuyển đổi sang 2015 ({converted}) trước năm áp dụng ISO 9001:2008 "
                f"({first}).",
            )
        )
    if errors:
        raise IsoError(errors=errors)
    if profile is None:
        profile = QmsProfile(agency_id=agency.id, **merged)
    elif all(old is not None and old[f] == merged[f] for f in PROFILE_FIELDS):
        return profile
    else:
        for name in PROFILE_FIELDS:
            setattr(profile, name, merged[name])
        profile.updated_at = utcnow()
    session.add(profile)
    changed = {f: merged[f] for f in PROFILE_FIELDS if old is None or old[f] != merged[f]}
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=today.year,
        entity="qms_profile",
        entity_id=agency.code,
        action="recorded" if old is None else "updated",
        old=None if old is None else {f: old[f] for f in changed},
        new=changed,
    )
    session.commit()
    return profile


# --- the steering committee ---------------------------------------------------------------------


def _members(members: Sequence[MemberIn]) -> list[MemberIn]:
    errors: list[FieldError] = []
    out = []
    for i, m in enumerate(members):
        row: list[FieldError] = []
        name = title = ""
        try:
            name = _text(m.name, "name", "Họ và tên", 200, required=True) or ""
        except IsoError as exc:
            row.extend(exc.errors)
        try:
            title = _text(m.title, "title", "Chức vụ", 200) or ""
        except IsoError as exc:
            row.extend(exc.errors)
        role = " ".join((m.role or "").split())
        found = next((r for r in COMMITTEE_ROLES if r.casefold() == role.casefold()), None)
        if found is None:
            row.append(
                FieldError(
                    "role", f"Vai trò «{m.role}» không có; chọn {', '.join(COMMITTEE_ROLES)}."
                )
            )
        if row:
            errors.extend(_in_row(f"Thành viên {i + 1}", f"members.{i}", IsoError(errors=row)))
        else:
            out.append(MemberIn(name, title, found or role))
    if errors:
        raise IsoError(errors=errors)
    return out


@_atomic
def record_committee(
    *,
    session: Session,
    agency_code: str,
    ref: str,
    decided_on: date,
    members: Sequence[MemberIn],
    actor: str,
    today: date,
    note: str | None = None,
) -> SteeringCommittee:
    """Record a decision setting up or re-forming the steering committee, with its members.

    - The latest decision is the committee in force; earlier ones stay readable.
    - Recording the same number again corrects that decision (its members are replaced).
    - It completes the agency's open committee steps that it answers (see complete_steps).
    """
    agency = get_agency(session, agency_code)
    errors: list[FieldError] = []
    number = ""
    try:
        number = _text(ref, "ref", "Số quyết định", 200, required=True) or ""
    except IsoError as exc:
        errors.extend(exc.errors)
    try:
        _check_not_future(decided_on, today, "decided_on", "Ngày quyết định")
    except IsoError as exc:
        errors.extend(exc.errors)
    note_text = None
    try:
        note_text = _text(note, "note", "Ghi chú", 2000)
    except IsoError as exc:
        errors.extend(exc.errors)
    rows: list[MemberIn] = []
    try:
        rows = _members(members)
    except IsoError as exc:
        errors.extend(exc.errors)
    if errors:
        raise IsoError(errors=errors)
    committee = session.exec(
        orm_select(SteeringCommittee).where(
            SteeringCommittee.agency_id == agency.id, SteeringCommittee.ref == number
        )
    ).one_or_none()
    old = None
    if committee is None:
        committee = SteeringCommittee(
            agency_id=agency.id, ref=number, decided_on=decided_on, created_by=actor
        )
    else:
        old = {
            "decided_on": committee.decided_on,
            "note": committee.note,
            "members": _member_list(session, committee.id),
        }
        for member in session.exec(
            orm_select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
        ):
            session.delete(member)
        session.flush()
    committee.decided_on, committee.note = decided_on, note_text
    session.add(committee)
    session.flush()
    for i, m in enumerate(rows):
        session.add(
            CommitteeMember(
                committee_id=committee.id, position=i + 1, name=m.name, title=m.title, role=m.role
            )
        )
    new = {
        "decided_on": decided_on,
        "note": note_text,
        "members": [{"name": m.name, "title": m.title, "role": m.role} for m in rows],
    }
    if old != new:
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=decided_on.year,
            entity="steering_committee",
            entity_id=number,
            action="recorded" if old is None else "updated",
            old=old,
            new=new,
        )
    complete_steps(
        session=session,
        agency_id=agency.id,
        step_types=COMMITTEE_STEPS,
        done_on=decided_on,
        ref=number,
        actor=actor,
        today=today,
    )
    session.commit()
    return committee


def _member_list(session: Session, committee_id: uuid.UUID) -> list[dict[str, str]]:
    return [
        {"name": m.name, "title": m.title, "role": m.role}
        for m in session.exec(
            orm_select(CommitteeMember)
            .where(CommitteeMember.committee_id == committee_id)
            .order_by(col(CommitteeMember.position))
        )
    ]


def complete_steps(
    *,
    session: Session,
    agency_id: uuid.UUID,
    step_types: Iterable[str],
    done_on: date,
    ref: str,
    actor: str,
    today: date,
) -> int:
    """Complete the agency's open steps of these types that a record dated `done_on` answers.

    A calendar step counts from its year's earliest date; an event's step (key TYPE:NUMBER)
    from its event's effective date. Nothing is committed here.
    """
    from models.iso.events import Event  # the events module imports nothing of this one

    steps = session.exec(
        orm_select(Step).where(
            Step.agency_id == agency_id,
            col(Step.step_type).in_(list(step_types)),
            Step.state == STEP_OPEN,
            col(Step.year).in_([done_on.year, done_on.year + 1]),
        )
    ).all()
    done = 0
    for step in steps:
        if ":" in step.key:
            number = step.key.split(":", 1)[1]
            start = session.execute(
                select(table_of(Event).c.effective_on).where(table_of(Event).c.number == number)
            ).scalar()
            if start is None or done_on < start:
                continue
        elif done_on < cycles.earliest_done(session=session, step=step):
            continue
        _complete_step(
            session=session,
            step=step,
            done_on=done_on,
            ref=ref,
            note=None,
            actor=actor,
            today=today,
        )
        done += 1
    return done


# --- announcements ------------------------------------------------------------------------------


@_atomic
def record_announcement(
    *,
    session: Session,
    agency_code: str,
    kind: str,
    ref: str,
    decided_on: date,
    actor: str,
    today: date,
    edition: str | None = None,
    basis: str | None = None,
    notice_ref: str | None = None,
    notice_on: date | None = None,
    notice_to: str | None = None,
    posted_on: date | None = None,
) -> Announcement:
    """Record (or correct, by its number) an announcement or re-announcement decision.

    - The notice goes to an agency named by its code (Sở KH&CN, or before 1/7/2025 a district).
    - The edition defaults to the profile's; the open announce / re-announcement step is done.
    """
    agency = get_agency(session, agency_code)
    errors: list[FieldError] = []

    def keep(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except IsoError as exc:
            errors.extend(exc.errors)
            return None

    if kind not in ANNOUNCEMENT_KINDS:
        errors.append(FieldError("kind", f"Loại «{kind}» không có; chọn công bố hoặc công bố lại."))
    number = keep(_text, ref, "ref", "Số quyết định công bố", 200, True) or ""
    keep(_check_not_future, decided_on, today, "decided_on", "Ngày quyết định công bố")
    profile = session.get(QmsProfile, agency.id)
    if edition is None and profile is None:
        errors.append(
            FieldError("edition", "Chưa có hồ sơ HTQLCL: hãy nêu phiên bản tiêu chuẩn công bố.")
        )
        chosen = ""
    else:
        chosen = keep(_edition, edition if edition is not None else profile and profile.edition)
    basis_text = keep(_text, basis, "basis", "Căn cứ", 2000)
    notice_number = keep(_text, notice_ref, "notice_ref", "Số văn bản thông báo", 200)
    recipient_id = None
    if notice_to:
        recipient_id = session.execute(
            select(AGENCY.c.id).where(AGENCY.c.code == notice_to.strip())
        ).scalar()
        if recipient_id is None:
            errors.append(FieldError("notice_to", f"Không có đơn vị nhận mã «{notice_to}»."))
    if (notice_number or notice_on) and not (notice_number and notice_on and notice_to):
        errors.append(
            FieldError(
                "notice_ref",
                "Văn bản thông báo cần đủ số, ngày và đơn vị nhận (mã đơn vị, ví dụ SKHCN).",
            )
        )
    for day, name, label in (
        (notice_on, "notice_on", "Ngày thông báo"),
        (posted_on, "posted_on", "Ngày niêm yết"),
    ):
        if day is not None:
            keep(_check_not_future, day, today, name, label)
            if day < decided_on:
                errors.append(
                    FieldError(
                        name,
                        f"{label} {day:%d/%m/%Y} trước ngày quyết định công bố "
                        f"{decided_on:%d/%m/%Y}.",
                    )
                )
    if errors:
        raise IsoError(errors=errors)
    found = session.exec(
        orm_select(Announcement).where(
            Announcement.agency_id == agency.id, Announcement.ref == number
        )
    ).one_or_none()
    values = {
        "kind": kind,
        "decided_on": decided_on,
        "edition": chosen,
        "basis": basis_text,
        "notice_ref": notice_number,
        "notice_on": notice_on,
        "notice_to_id": recipient_id,
        "posted_on": posted_on,
    }
    old = None if found is None else {k: getattr(found, k) for k in values}
    if found is None:
        found = Announcement(agency_id=agency.id, ref=number, created_by=actor, **values)
    elif old == values:
        return found
    else:
        for k, v in values.items():
            setattr(found, k, v)
        found.updated_at = utcnow()
    session.add(found)

    def shown(v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return None
        out = {k: x for k, x in v.items() if k != "notice_to_id"}
        out["notice_to"] = _code(session, v["notice_to_id"])
        return out

    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=decided_on.year,
        entity="announcement",
        entity_id=number,
        action="recorded" if old is None else "updated",
        old=shown(old),
        new=shown(values),
    )
    complete_steps(
        session=session,
        agency_id=agency.id,
        step_types=ANNOUNCEMENT_STEPS,
        done_on=decided_on,
        ref=number,
        actor=actor,
        today=today,
    )
    session.commit()
    return found


def _code(session: Session, agency_id: uuid.UUID | None) -> str | None:
    if agency_id is None:
        return None
    return session.execute(select(AGENCY.c.code).where(AGENCY.c.id == agency_id)).scalar()


# --- reading ------------------------------------------------------------------------------------


def get_profile(*, session: Session, agency_code: str) -> dict[str, Any]:
    """The agency's profile, committee decisions (latest first, the first in force) and
    announcements (oldest first), as plain data; None profile fields while none is recorded."""
    agency = get_agency(session, agency_code)
    profile = session.get(QmsProfile, agency.id)
    data: dict[str, Any] = dict.fromkeys(PROFILE_FIELDS)
    if profile is not None:
        data = {f: getattr(profile, f) for f in PROFILE_FIELDS}
    committees = [
        {
            "ref": c.ref,
            "decided_on": c.decided_on,
            "note": c.note,
            "in_force": i == 0,
            "members": _member_list(session, c.id),
        }
        for i, c in enumerate(
            session.exec(
                orm_select(SteeringCommittee)
                .where(SteeringCommittee.agency_id == agency.id)
                .order_by(col(SteeringCommittee.decided_on).desc())
            )
        )
    ]
    announcements = [
        {
            "kind": a.kind,
            "ref": a.ref,
            "decided_on": a.decided_on,
            "edition": a.edition,
            "basis": a.basis,
            "notice_ref": a.notice_ref,
            "notice_on": a.notice_on,
            "notice_to": _code(session, a.notice_to_id),
            "posted_on": a.posted_on,
        }
        for a in session.exec(
            orm_select(Announcement)
            .where(Announcement.agency_id == agency.id)
            .order_by(col(Announcement.decided_on))
        )
    ]
    return {
        "agency": agency.code,
        "agency_name": agency.name,
        "recorded": profile is not None,
        **data,
        "standard": edition_label(data["edition"]),
        "committees": committees,
        "announcements": announcements,
        "latest_announcement": announcements[-1] if announcements else None,
    }


def editions(*, session: Session, agency_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The edition in force of each agency that has a profile, for pages and e-mails."""
    p = table_of(QmsProfile).c
    ids = list(agency_ids)
    if not ids:
        return {}
    return dict(
        session.execute(select(p.agency_id, p.edition).where(p.agency_id.in_(ids))).tuples().all()
    )


# --- what the calendar asks of an agency --------------------------------------------------------


@dataclass(frozen=True)
class CycleFacts:
    """What opening a year needs to know of an agency: its mode and committee decision dates."""

    mode: str
    committees: tuple[tuple[date, str], ...]  # (decided_on, number), oldest first

    def has_committee_before(self, day: date) -> bool:
        return any(d < day for d, _ in self.committees)

    def committee_between(self, first: date, last: date) -> tuple[date, str] | None:
        """The first committee decision dated from `first` to `last`, as (date, number)."""
        return next(((d, ref) for d, ref in self.committees if first <= d <= last), None)


def cycle_facts(
    *, session: Session, agencies: Sequence[Any], year: int, rules: RuleSet
) -> dict[uuid.UUID, CycleFacts]:
    """Each agency's mode in the year (its profile's, else the calendar's default: an agency
    that came into operation during the year builds) and its committee decision dates."""
    ids = [a.id for a in agencies]
    p = table_of(QmsProfile).c
    modes: dict[uuid.UUID, str] = dict(
        session.execute(select(p.agency_id, p.mode).where(p.agency_id.in_(ids))).tuples().all()
    )
    dates: dict[uuid.UUID, list[tuple[date, str]]] = {}
    c = COMMITTEE.c
    for agency_id, day, ref in session.execute(
        select(c.agency_id, c.decided_on, c.ref)
        .where(c.agency_id.in_(ids))
        .order_by(c.decided_on, c.ref)
    ):
        dates.setdefault(agency_id, []).append((day, ref))
    out = {}
    for a in agencies:
        new = a.valid_from is not None and date(year, 1, 1) < a.valid_from <= date(year, 12, 31)
        default = rules.new_agency_mode if new else rules.default_mode
        out[a.id] = CycleFacts(modes.get(a.id, default), tuple(dates.get(a.id, ())))
    return out
