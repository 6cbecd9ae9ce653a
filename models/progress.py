"""A year's progress counted in the database: per step, per kind of agency and per parent, each
step done on time, done late, overdue (models.overdue's rule), pending, waived or stopped."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from models.tables import AGENCY, STEP, STEP_DONE, STEP_WAIVED
from models.users import Scope

DONE, LATE, OVERDUE, PENDING, WAIVED, STOPPED = (
    "done",
    "late",
    "overdue",
    "pending",
    "waived",
    "stopped",
)
# In the order the bars draw them.
STATUSES = (DONE, LATE, OVERDUE, PENDING, STOPPED, WAIVED)
# The one line that gathers the steps started by events and records (key != step_type).
EVENTS = "events"
EVENTS_TITLE = "Việc phát sinh (văn bản mới, hành động khắc phục…)"


@dataclass
class Counts:
    """Steps by status; `total` leaves out the waived ones, as the percentages do."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    def add(self, status: str, n: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + n

    def __getitem__(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def total(self) -> int:
        return sum(n for s, n in self.by_status.items() if s != WAIVED)

    def percent(self, status: str) -> float:
        return 100.0 * self[status] / self.total if self.total else 0.0


@dataclass
class Line:
    """One bar of the overview: a step, a kind of agency or a parent, and its counts."""

    key: str
    title: str
    counts: Counts = field(default_factory=Counts)
    due: date | None = None


@dataclass(frozen=True)
class AgencyRow:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None


@dataclass
class Selection:
    """The agencies a viewer sees after the kind and parent filters; `all_rows` names parents."""

    agencies: dict[uuid.UUID, AgencyRow]
    all_rows: dict[uuid.UUID, AgencyRow]
    unrestricted: bool

    def where(self, query: Select[Any]) -> Select[Any]:
        """Keep the selected agencies' steps (no IN list when nothing is left out)."""
        if self.unrestricted:
            return query
        return query.where(STEP.c.agency_id.in_(list(self.agencies)))

    def parent_of(self, agency: AgencyRow) -> AgencyRow | None:
        return self.all_rows.get(agency.parent_id) if agency.parent_id else None


@dataclass
class Overview:
    year: int
    today: date
    steps: list[Line]
    kinds: list[Line]
    parents: list[Line]
    totals: Counts
    overdue_agencies: int
    agencies: int


def select_agencies(
    *,
    session: Session,
    scope: Scope,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
) -> Selection:
    """Return the agencies the scope sees, of that kind, in the parent's subtree; one query."""
    rows = {
        r.id: AgencyRow(r.id, r.code, r.name, r.kind, r.parent_id)
        for r in session.execute(
            select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.kind, AGENCY.c.parent_id)
        )
    }
    keep: set[uuid.UUID] | None = None
    if parent_id is not None:
        children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
        for r in rows.values():
            children.setdefault(r.parent_id, []).append(r.id)
        keep, queue = set(), [parent_id]
        while queue:
            current = queue.pop()
            if current not in keep:
                keep.add(current)
                queue.extend(children.get(current, []))
    chosen = {
        i: r
        for i, r in rows.items()
        if scope.can_see(i) and (keep is None or i in keep) and (kind is None or r.kind == kind)
    }
    return Selection(chosen, rows, unrestricted=len(chosen) == len(rows))


def in_operation(today: date) -> ColumnElement[bool]:
    """models.cycles.agency_exists_on as SQL: the agency is in operation today."""
    a = AGENCY.c
    return and_(
        or_(a.valid_from.is_(None), a.valid_from <= today),
        or_(
            and_(a.valid_to.is_not(None), a.valid_to >= today),
            and_(a.valid_to.is_(None), a.active.is_(True)),
        ),
    )


def status_of(today: date) -> ColumnElement[str]:
    """A step's status as SQL; overdue as models.overdue counts it (open, past its deadline,
    agency in operation), and an open past step of an agency gone is "stopped"."""
    s = STEP.c
    return case(
        (s.state == STEP_DONE, case((s.done_on > s.due, LATE), else_=DONE)),
        (s.state == STEP_WAIVED, WAIVED),
        (s.due >= today, PENDING),
        (in_operation(today), OVERDUE),
        else_=STOPPED,
    )


def line_key() -> ColumnElement[str]:
    """The calendar step's key, or EVENTS for the steps events and records start."""
    return case((STEP.c.key == STEP.c.step_type, STEP.c.key), else_=EVENTS)


def overview(*, session: Session, selection: Selection, year: int, today: date) -> Overview:
    """Count the year's steps of the selection per step, kind and parent; four grouped queries."""
    s = STEP.c
    status = status_of(today).label("status")
    base = selection.where(
        select().select_from(STEP).join(AGENCY, AGENCY.c.id == s.agency_id).where(s.year == year)
    )
    key = line_key().label("line")
    steps: dict[str, Line] = {}
    for r in session.execute(
        base.add_columns(key, status, func.count(), func.min(s.due), func.min(s.title)).group_by(
            key, status
        )
    ):
        title = EVENTS_TITLE if r[0] == EVENTS else r[4]
        line = steps.setdefault(r[0], Line(r[0], title, due=r[3]))
        line.due = min(line.due, r[3]) if line.due else r[3]
        line.counts.add(r[1], r[2])
    kinds: dict[str, Line] = {}
    for kind, st, n in session.execute(
        base.add_columns(AGENCY.c.kind, status, func.count()).group_by(AGENCY.c.kind, status)
    ):
        kinds.setdefault(kind, Line(kind, kind)).counts.add(st, n)
    parents: dict[str, Line] = {}
    for parent_id, st, n in session.execute(
        base.add_columns(AGENCY.c.parent_id, status, func.count()).group_by(
            AGENCY.c.parent_id, status
        )
    ):
        parent = selection.all_rows.get(parent_id) if parent_id else None
        code = parent.code if parent else ""
        parents.setdefault(code, Line(code, parent.name if parent else "")).counts.add(st, n)
    late_agencies = session.execute(
        base.add_columns(func.count(func.distinct(s.agency_id))).where(status == OVERDUE)
    ).scalar_one()
    totals = Counts()
    for line in steps.values():
        for st, n in line.counts.by_status.items():
            totals.add(st, n)
    ordered = sorted(steps.values(), key=lambda x: (x.key == EVENTS, x.due or today, x.key))
    return Overview(
        year=year,
        today=today,
        steps=ordered,
        kinds=sorted(kinds.values(), key=lambda x: x.key),
        parents=sorted(parents.values(), key=lambda x: (-x.counts[OVERDUE], x.key)),
        totals=totals,
        overdue_agencies=int(late_agencies),
        agencies=len(selection.agencies),
    )


@dataclass(frozen=True)
class StepRow:
    """One step behind a count, with its agency and the agency's parent."""

    code: str
    name: str
    parent_name: str | None
    key: str
    title: str
    due: date
    status: str
    done_on: date | None
    ref: str | None
    days: int  # overdue (days past the deadline) or late (days after it); else 0


def steps_behind(
    *,
    session: Session,
    selection: Selection,
    year: int,
    today: date,
    line: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    parent_code: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[StepRow]]:
    """The steps behind one count: their number and one page of them, by agency code then due.

    `parent_code` keeps the agencies directly under it ("" : those with no parent)."""
    s, a = STEP.c, AGENCY.c
    parent = AGENCY.alias("parent")
    state = status_of(today)
    query = selection.where(
        select()
        .select_from(STEP)
        .join(AGENCY, a.id == s.agency_id)
        .outerjoin(parent, parent.c.id == a.parent_id)
        .where(s.year == year)
    )
    if line is not None:
        query = query.where(line_key() == line)
    if status is not None:
        query = query.where(state == status)
    if kind is not None:
        query = query.where(a.kind == kind)
    if parent_code == "":
        query = query.where(a.parent_id.is_(None))
    elif parent_code is not None:
        query = query.where(parent.c.code == parent_code)
    total = session.execute(query.add_columns(func.count())).scalar_one()
    rows = query.add_columns(
        a.code, a.name, parent.c.name, s.key, s.title, s.due, state, s.done_on, s.ref
    ).order_by(a.code, s.due, s.key)
    if limit is not None:
        rows = rows.offset(offset).limit(limit)
    out = []
    for r in session.execute(rows):
        days = 0
        if r[6] == OVERDUE:
            days = (today - r[5]).days
        elif r[6] == LATE and r[7] is not None:
            days = (r[7] - r[5]).days
        out.append(StepRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], days))
    return int(total), out


def matrix_cells(
    *, session: Session, agency_ids: Iterable[uuid.UUID], year: int, today: date
) -> dict[uuid.UUID, dict[str, tuple[str, int]]]:
    """The calendar steps' status of these agencies: agency → step key → (status, days)."""
    s = STEP.c
    ids = list(agency_ids)
    out: dict[uuid.UUID, dict[str, tuple[str, int]]] = {i: {} for i in ids}
    if not ids:
        return out
    query = (
        select(s.agency_id, s.key, status_of(today), s.due, s.done_on)
        .join_from(STEP, AGENCY, AGENCY.c.id == s.agency_id)
        .where(s.year == year, s.key == s.step_type, s.agency_id.in_(ids))
    )
    for agency_id, key, st, due, done_on in session.execute(query):
        days = (today - due).days if st in (OVERDUE, STOPPED) else 0
        if st == LATE and done_on is not None:
            days = (done_on - due).days
        out[agency_id][key] = (st, days)
    return out


def fold(text: str) -> str:
    """Lower case without Vietnamese marks, for a search that ignores accents: "Sở" → "so"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()
