"""iCal feeds: every deadline of an agency (or of a user's agencies) as all-day events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlmodel import Session

from models.cycles import STATUS_LABELS, step_status
from models.tables import AGENCY, STEP

# Events are named by a one-way digest of the step's id: a feed is shared with calendar services,
# and a step id is half of what a forged one-click link needs.
_UID_NAMESPACE = uuid.UUID("1b0e3c55-7f5e-4c1e-9d1a-3a6f0f1e2c90")


def event_uid(step_id: uuid.UUID) -> str:
    """The event's UID: stable for the step, and not its id."""
    return f"{uuid.uuid5(_UID_NAMESPACE, str(step_id))}@isocycle"


def feed(
    *,
    session: Session,
    agency_ids: Iterable[uuid.UUID] | None,
    name: str,
    today: date,
    now: datetime,
) -> bytes:
    """Return an .ics calendar with one all-day event per step from last year on.

    `agency_ids` None means every agency (an admin's feed).
    """
    a, s = AGENCY.c, STEP.c
    query = (
        select(a.code, a.name, s.agency_id, s.id, s.title, s.due, s.state, s.legal_basis, s.ref)
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .where(s.year >= today.year - 1)
        .order_by(s.due, a.code)
    )
    cal = Calendar()
    cal.add("prodid", "-//isocycle//ISO 9001 deadlines//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    wanted = None if agency_ids is None else set(agency_ids)
    for r in session.execute(query):
        if wanted is not None and r.agency_id not in wanted:
            continue
        event = Event()
        event.add("uid", event_uid(r.id))
        event.add("dtstamp", now)
        event.add("dtstart", r.due)
        event.add("dtend", r.due + timedelta(days=1))
        status = STATUS_LABELS[step_status(r.state, r.due, today)]
        event.add("summary", f"[{r.code}] {r.title} ({status})")
        description = f"{r.name}\nTrạng thái: {status}"
        if r.legal_basis:
            description += f"\nCăn cứ: {r.legal_basis}"
        if r.ref:
            description += f"\nVăn bản: {r.ref}"
        event.add("description", description)
        cal.add_component(event)
    return bytes(cal.to_ical())
