"""A year's progress counted in the database: per step, per kind of agency and per parent, each
step done on time, done late, overdue (models.overdue's rule), pending, waived or stopped."""

from __future__ import annotations

import functools
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from models.tables import AGENCY, STEP, STEP_DONE, STEP_OPEN, STEP_WAIVED
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
    code: str
    name: str
    kind: str
    parent_code: str | None
    parent_name: str | None


@dataclass
class Selection:
    """The agencies a viewer sees after the kind and parent filters, by code."""

    agencies: dict[str, AgencyRow]
    unrestricted: bool

    def where(self, query: Select[Any]) -> Select[Any]:
        """Keep the selected agencies' steps; no IN list when none is left out."""
        if self.unrestricted:
            return query
        return query.where(STEP.c.agency_id.in_(ids_of(self.agencies)))


@dataclass
class Overview:
    year: int
    today: date
    steps: list[Line]
    kinds: list[Line]
    parents: list[Line]
    totals: Counts
    agencies: int


def select_agencies(
    *,
    session: Session,
    scope: Scope,
    kind: str | None = None,
    parent_code: str | None = None,
) -> Selection:
    """Return the agencies the scope sees, of that kind, in the parent's subtree; one query.

    Agencies are keyed by code: turning 5,000 ids into UUID objects would cost more than the
    rest of the dashboard's counting."""
    parent = AGENCY.alias("parent")
    a, up = AGENCY.c, parent.c
    query = select(a.code, a.name, a.kind, up.code, up.name).outerjoin_from(
        AGENCY, parent, up.id == a.parent_id
    )
    if scope.agency_ids is not None:
        query = query.where(a.id.in_(list(scope.agency_ids)))
    rows = {r[0]: AgencyRow(*r) for r in session.execute(query)}
    keep: set[str] | None = None
    if parent_code is not None:
        children: dict[str | None, list[str]] = {}
        for r in rows.values():
            children.setdefault(r.parent_code, []).append(r.code)
        keep, queue = set(), [parent_code]
        while queue:
            current = queue.pop()
            if current not in keep:
                keep.add(current)
                queue.extend(children.get(current, []))
    chosen = {
        c: r
        for c, r in rows.items()
        if (keep is None or c in keep) and (kind is None or r.kind == kind)
    }
    unrestricted = scope.agency_ids is None and keep is None and kind is None
    return Selection(chosen, unrestricted=unrestricted)


def ids_of(codes: Iterable[str]) -> Select[Any]:
    """The agencies' ids as a subquery, so that the step index on agency_id serves the IN."""
    return select(AGENCY.c.id).where(AGENCY.c.code.in_(list(codes)))


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


def status_is(status: str, today: date) -> ColumnElement[bool]:
    """status_of(today) == status in plain terms, which the (year, state, due) index serves."""
    s = STEP.c
    done_late = and_(s.done_on.is_not(None), s.done_on > s.due)
    return {
        DONE: and_(s.state == STEP_DONE, ~done_late),
        LATE: and_(s.state == STEP_DONE, done_late),
        WAIVED: s.state == STEP_WAIVED,
        PENDING: and_(s.state == STEP_OPEN, s.due >= today),
        OVERDUE: and_(s.state == STEP_OPEN, s.due < today, in_operation(today)),
        STOPPED: and_(s.state == STEP_OPEN, s.due < today, ~in_operation(today)),
    }[status]


def line_key() -> ColumnElement[str]:
    """The calendar step's key, or EVENTS for the steps events and records start."""
    return case((STEP.c.key == STEP.c.step_type, STEP.c.key), else_=EVENTS)


def line_title(*, session: Session, year: int, line: str) -> str | None:
    """The title of a line of the overview (a calendar step's key or EVENTS), None if the year
    has no such step."""
    if line == EVENTS:
        query = select(STEP.c.id).where(STEP.c.year == year, STEP.c.key != STEP.c.step_type)
        return EVENTS_TITLE if session.execute(query.limit(1)).first() else None
    query = select(STEP.c.title).where(STEP.c.year == year, STEP.c.key == line)
    return session.execute(query.limit(1)).scalar()


def overview(*, session: Session, selection: Selection, year: int, today: date) -> Overview:
    """Count the year's steps of the selection per step, kind and parent in one grouped pass."""
    s, a = STEP.c, AGENCY.c
    status = status_of(today).label("status")
    key = line_key().label("line")
    query = selection.where(
        select(key, a.kind, a.parent_id, status, func.count(), func.min(s.due), func.min(s.title))
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .where(s.year == year)
        .group_by(key, a.kind, a.parent_id, status)
    )
    steps: dict[str, Line] = {}
    kinds: dict[str, Line] = {}
    by_parent: dict[uuid.UUID | None, Counts] = {}
    totals = Counts()
    for line_id, kind, parent_id, st, n, due, title in session.execute(query):
        line = steps.get(line_id)
        if line is None:
            title = EVENTS_TITLE if line_id == EVENTS else title
            line = steps[line_id] = Line(line_id, title, due=due)
        line.due = min(line.due, due) if line.due else due
        line.counts.add(st, n)
        kinds.setdefault(kind, Line(kind, kind)).counts.add(st, n)
        by_parent.setdefault(parent_id, Counts()).add(st, n)
        totals.add(st, n)
    names = {
        r.id: (r.code, r.name)
        for r in session.execute(
            select(a.id, a.code, a.name).where(a.id.in_([p for p in by_parent if p]))
        )
    }
    parents = [Line(*names.get(p, ("", "")), counts=c) for p, c in by_parent.items()]
    ordered = sorted(steps.values(), key=lambda x: (x.key == EVENTS, x.due or today, x.key))
    return Overview(
        year=year,
        today=today,
        steps=ordered,
        kinds=sorted(kinds.values(), key=lambda x: x.key),
        parents=sorted(parents, key=lambda x: (-x.counts[OVERDUE], x.key)),
        totals=totals,
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
        query = query.where(status_is(status, today))
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
    *, session: Session, codes: Iterable[str], year: int, today: date
) -> dict[str, dict[str, tuple[str, int]]]:
    """The calendar steps' status of these agencies: agency code → step key → (status, days)."""
    s = STEP.c
    wanted = list(codes)
    out: dict[str, dict[str, tuple[str, int]]] = {c: {} for c in wanted}
    if not wanted:
        return out
    query = (
        select(AGENCY.c.code, s.key, status_of(today), s.due, s.done_on)
        .join_from(STEP, AGENCY, AGENCY.c.id == s.agency_id)
        .where(s.year == year, s.key == s.step_type, s.agency_id.in_(ids_of(wanted)))
    )
    for code, key, st, due, done_on in session.execute(query):
        days = (today - due).days if st in (OVERDUE, STOPPED) else 0
        if st == LATE and done_on is not None:
            days = (done_on - due).days
        out[code][key] = (st, days)
    return out


@functools.lru_cache(maxsize=65536)  # the same names on every search: fold each once
def fold(text: str) -> str:
    """Lower case without Vietnamese marks, for a search that ignores accents: "Sở" → "so"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


@dataclass
class LateAgency:
    """An agency with overdue steps: how many, the oldest's days past due, and their titles."""

    id: uuid.UUID
    code: str
    name: str
    count: int
    max_overdue: int
    steps: list[str] = field(default_factory=list)


# The overdue list's orders: most days overdue first (default), fewest first, most steps, code.
LATE_ORDERS = ("-days", "days", "count", "code")


def late_agencies(
    *,
    session: Session,
    selection: Selection,
    year: int,
    today: date,
    sort: str = "-days",
    offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[LateAgency]]:
    """The selection's agencies with an overdue step (models.overdue's rule): how many, and one
    page of them in the order asked with the titles of their overdue steps; two queries."""
    s, a = STEP.c, AGENCY.c
    # Overdue as status_is says, without joining each step to its agency: the agencies out
    # of operation are few, and read once.
    gone = select(a.id).where(~in_operation(today))
    base = selection.where(
        select().where(
            s.year == year, s.state == STEP_OPEN, s.due < today, s.agency_id.not_in(gone)
        )
    )
    per_agency = (
        base.add_columns(
            s.agency_id,
            func.count().label("n"),
            func.min(s.due).label("oldest"),
            # The number of agencies rides along each row (a window over the groups).
            func.count().over().label("total"),
        )
        .group_by(s.agency_id)
        .subquery()
    )
    g = per_agency.c
    order = {
        "-days": (g.oldest.asc(), a.code.desc()),
        "days": (g.oldest.desc(), a.code),
        "count": (g.n.desc(), a.code),
    }.get(sort, (a.code,))
    query = (
        select(a.id, a.code, a.name, g.n, g.oldest, g.total)
        .join_from(per_agency, AGENCY, a.id == g.agency_id)
        .order_by(*order)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    total: int | None = 0
    rows = {}
    for r in session.execute(query):
        total = r.total
        rows[r.id] = LateAgency(r.id, r.code, r.name, r.n, (today - r.oldest).days)
    if not rows and offset:  # past the last page: count without it
        total = session.execute(base.add_columns(func.count(func.distinct(s.agency_id)))).scalar()
    if rows:
        for agency_id, title in session.execute(
            base.add_columns(s.agency_id, s.title)
            .where(s.agency_id.in_(list(rows)))
            .order_by(s.due, s.key)
        ):
            rows[agency_id].steps.append(title)
    return int(total or 0), list(rows.values())
