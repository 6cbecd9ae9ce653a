"""Legal, scope and leadership changes, and the deadline steps they start for agencies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint, func, insert, select
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models import cycles
from models.calendar import WorkingCalendar
from models.iso.base import (
    EVENT_KIND_LABELS,
    EVENT_KINDS,
    EVENT_STEPS,
    MAX_EVENT_NUMBER,
    IsoError,
    IsoRules,
    _atomic,
    _text,
)
from models.tables import (
    AGENCY,
    STEP,
    STEP_OPEN,
    HistoryEntry,
    Step,
    instant,
    table_of,
    utcnow,
)


# A legal change, scope change or leadership change that starts a deadline for some agencies.
class Event(SQLModel, table=True):
    __tablename__ = "iso_event"
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_iso_event_kind_number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=32)
    number: str = Field(max_length=MAX_EVENT_NUMBER)
    title: str = Field(default="", max_length=500)
    effective_on: date
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# Which agencies an event affects.
class EventAgency(SQLModel, table=True):
    __tablename__ = "iso_event_agency"

    event_id: uuid.UUID = Field(foreign_key="iso_event.id", primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", primary_key=True, index=True)


EVENT_AGENCY = table_of(EventAgency)


# --- events -------------------------------------------------------------------------------------


@dataclass
class EventResult:
    """What recording an event did."""

    event: Event
    steps_created: int
    due: date
    nominal_due: date


@_atomic
def record_event(
    *,
    session: Session,
    kind: str,
    number: str,
    effective_on: date,
    agency_codes: Iterable[str],
    actor: str,
    rules: IsoRules,
    working: WorkingCalendar,
    title: str | None = None,
) -> EventResult:
    """Record an event and give every affected agency its step, in bulk and all or nothing.

    - legal_change → procedure_update:NUMBER, due effective date + 3 months (calendar months);
      scope_change and restructuring → re_announcement:NUMBER; leadership_change →
      steering_committee_reform:NUMBER.
    - The due date is moved to the next working day; the step belongs to the effective year.
    - Refuses an unknown kind, an unknown agency (naming every one), or a number already recorded.
    """
    if kind not in EVENT_KINDS:
        choices = ", ".join(f"{EVENT_KIND_LABELS[k]} ({k})" for k in EVENT_KINDS)
        raise IsoError(f"Không có loại sự kiện «{kind}»; dùng một trong: {choices}.", field="kind")
    ref = _text(number, "number", "Số văn bản", MAX_EVENT_NUMBER, required=True) or ""
    if any(c.isspace() and c != " " for c in ref):
        # The number becomes part of a step key, which commands, URLs and the API take.
        raise IsoError(
            "Số văn bản phải nằm trên một dòng (không xuống dòng, không có tab).", field="number"
        )
    title_text = _text(title, "title", "Trích yếu", 500) or ""
    codes = list(dict.fromkeys(c.strip() for c in agency_codes if c.strip()))
    if not codes:
        raise IsoError("Chưa nêu đơn vị nào chịu tác động.", field="agencies")
    a = AGENCY.c
    ids = dict(session.execute(select(a.code, a.id).where(a.code.in_(codes))).tuples().all())
    unknown = [c for c in codes if c not in ids]
    if unknown:
        raise IsoError(
            f"Không có đơn vị mã {', '.join(f'«{c}»' for c in unknown)}.", field="agencies"
        )
    exists = session.exec(
        orm_select(Event).where(Event.kind == kind, Event.number == ref)
    ).one_or_none()
    if exists is not None:
        raise IsoError(
            f"{EVENT_KIND_LABELS[kind]} số «{ref}» đã được ghi nhận trước đây.", field="number"
        )

    step_type, step_title, basis = EVENT_STEPS[kind]
    nominal = rules.event_offset(kind).after(effective_on)
    due = working.on_or_after(nominal)
    key = f"{step_type}:{ref}"
    year = effective_on.year
    taken = session.execute(
        select(a.code)
        .join_from(STEP, AGENCY, STEP.c.agency_id == a.id)
        .where(STEP.c.key == key, STEP.c.year == year, a.id.in_(list(ids.values())))
    ).scalars()
    clash = sorted(taken)
    if clash:
        # A scope change and a restructuring both start a re-announcement step named by number.
        raise IsoError(
            f"Đơn vị {', '.join(clash)} đã có bước «{key}» năm {year}; số văn bản «{ref}» đã "
            "được dùng cho một sự kiện khác.",
            field="number",
        )
    event = Event(
        kind=kind, number=ref, title=title_text, effective_on=effective_on, created_by=actor
    )
    session.add(event)
    session.flush()
    now = utcnow()
    agency_ids = [ids[c] for c in codes]
    session.execute(
        insert(EventAgency), [{"event_id": event.id, "agency_id": i} for i in agency_ids]
    )
    session.execute(
        insert(Step),
        [
            {
                "id": uuid.uuid4(),
                "agency_id": i,
                "year": year,
                "key": key,
                "step_type": step_type,
                "title": f"{step_title} {ref}"[:300],
                "legal_basis": basis,
                "nominal_due": nominal,
                "due": due,
                "state": STEP_OPEN,
                "created_at": now,
            }
            for i in agency_ids
        ],
    )
    new = {
        "kind": kind,
        "number": ref,
        "title": title_text,
        "effective_on": effective_on.isoformat(),
        "step": key,
        "due": due.isoformat(),
    }
    session.execute(
        insert(HistoryEntry),
        [
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor": actor,
                "agency_id": i,
                "year": year,
                "entity": "event",
                "entity_id": ref,
                "action": "recorded",
                "old": None,
                "new": new,
            }
            for i in agency_ids
        ],
    )
    session.commit()
    return EventResult(event=event, steps_created=len(agency_ids), due=due, nominal_due=nominal)


def active_agency_codes(
    *, session: Session, on: date, kinds: Iterable[str] | None = None
) -> list[str]:
    """Codes of every agency in operation on a day, optionally of the given kinds."""
    a = AGENCY.c
    query = select(a.code, a.active, a.valid_from, a.valid_to).order_by(a.code)
    if kinds is not None:
        query = query.where(a.kind.in_(list(kinds)))
    return [r.code for r in session.execute(query) if cycles.agency_exists_on(r, on)]


def list_events(*, session: Session, year: int | None = None) -> list[dict[str, Any]]:
    """Return events with their affected-agency count and how many steps are still open."""
    e = table_of(Event).c
    query = select(table_of(Event)).order_by(e.effective_on, e.number, e.kind)
    if year is not None:
        query = query.where(func.extract("year", e.effective_on) == year)
    events = session.execute(query).all()
    ea = EVENT_AGENCY.c
    counts = dict(
        session.execute(
            select(ea.event_id, func.count())
            .where(ea.event_id.in_([ev.id for ev in events]))
            .group_by(ea.event_id)
        )
        .tuples()
        .all()
    )
    s = STEP.c
    keys = [f"{EVENT_STEPS[ev.kind][0]}:{ev.number}" for ev in events]
    open_by_key = dict(
        session.execute(
            select(s.key, func.count()).where(s.state == STEP_OPEN, s.key.in_(keys)).group_by(s.key)
        )
        .tuples()
        .all()
    )
    out = []
    for ev, key in zip(events, keys, strict=True):
        out.append(
            {
                "kind": ev.kind,
                "number": ev.number,
                "title": ev.title,
                "effective_on": ev.effective_on,
                "agencies": counts.get(ev.id, 0),
                "step": key,
                "open_steps": open_by_key.get(key, 0),
            }
        )
    return out
