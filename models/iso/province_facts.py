"""The province's year in one row per agency, read with a fixed number of grouped queries, and the
agencies that are late with every late item: the figures of Sở KH&CN's documents.

`province_rows` never queries per agency: the step, finding, announcement, procedure, figure,
report and inspection tables are each read once for the whole province (about a dozen queries),
so the summary of 5,000 agencies stays well under a second of database time. The summary and the
shortcomings sentences made from these rows are in models/iso/province_summary.py.
"""

from __future__ import annotations

import uuid
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col, select as orm_select

from models.cycles import agency_exists_on
from models.iso.activities import IsoBudget, TrainingCourse, report_budgets
from models.iso.audits import Finding, InternalAudit
from models.iso.base import SEVERITIES
from models.iso.inspections import PlannedInspection
from models.iso.procedures import PROCEDURE, TTHC_FIGURES
from models.iso.profile import Announcement
from models.iso.report_checks import DEFAULT_OVERSEER_CODE, overseer_id
from models.iso.reporting import REQUEST_AGENCY, ReportRequest
from models.periods import Period, annual
from models.tables import AGENCY, STEP, STEP_DONE, STEP_OPEN, STEP_WAIVED, table_of

# The yearly items of the summary: item → the calendar step keys that stand for it (a unit
# building its system has build_plan where one that maintains has plan).
ITEMS: dict[str, tuple[str, ...]] = {
    "plan": ("plan", "build_plan"),
    "objectives": ("quality_objectives",),
    "audit": ("internal_audit",),
    "review": ("management_review",),
    "actions": ("corrective_actions",),
}
ANNUAL_REPORT = "annual_report"
UPDATE_STEP = "procedure_update"
# A step's status in these documents.
DONE, DONE_LATE, OVERDUE, PENDING, WAIVED = "done", "done_late", "overdue", "pending", "waived"
# Levels of Phụ lục II: the province, its districts (before 1/7/2025) and its communes.
LEVEL_TINH, LEVEL_HUYEN, LEVEL_XA = "tinh", "huyen", "xa"
LEVEL_LABELS = {LEVEL_TINH: "Cấp tỉnh", LEVEL_HUYEN: "Cấp huyện", LEVEL_XA: "Cấp xã"}
# Kinds that fix their level; the others (trung tâm, đơn vị sự nghiệp, phòng) take their parent's.
_KIND_LEVELS = {
    "ubnd_tinh": LEVEL_TINH,
    "van_phong": LEVEL_TINH,
    "so": LEVEL_TINH,
    "chi_cuc": LEVEL_TINH,
    "ubnd_huyen": LEVEL_HUYEN,
    "ubnd_xa": LEVEL_XA,
}


@dataclass(frozen=True)
class StepFact:
    """One step of an agency's year as the documents state it: its status and days late.

    `days_late` is calendar days past the (working-day) deadline: for a step done late, from the
    deadline to the day it was done; for an open step past its deadline, to `today`."""

    key: str
    title: str
    due: date
    status: str
    done_on: date | None
    days_late: int

    @property
    def done(self) -> bool:
        return self.status in (DONE, DONE_LATE)

    @property
    def on_time(self) -> bool:
        return self.status == DONE


def step_fact(
    *, key: str, title: str, due: date, state: str | None, done_on: date | None, today: date
) -> StepFact:
    """A step's status on `today`: done (on time or late), overdue, pending or waived."""
    if state == STEP_DONE:
        late = max((done_on - due).days, 0) if done_on else 0
        return StepFact(key, title, due, DONE_LATE if late else DONE, done_on, late)
    if state == STEP_WAIVED:
        return StepFact(key, title, due, WAIVED, done_on, 0)
    if today > due:
        return StepFact(key, title, due, OVERDUE, None, (today - due).days)
    return StepFact(key, title, due, PENDING, None, 0)


@dataclass
class AgencyRow:
    """One agency's year: its steps, findings, announcement, procedures, figures, report and
    inspection, as the provincial summary and Phụ lục II count them."""

    agency_id: uuid.UUID
    code: str
    name: str
    kind: str
    level: str
    parent_code: str | None
    # item (plan, objectives, audit, review, actions) → the step; absent when it has none.
    items: dict[str, StepFact] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    # The first announcement, the latest decision (announcement or re-announcement) by year end.
    first_announced_on: date | None = None
    latest_announcement_kind: str | None = None
    latest_announcement_ref: str | None = None
    latest_announcement_on: date | None = None
    reannounced_in_year: bool = False
    # Procedure updates after legal changes (QĐ 19/2014 Art. 4.4a): each update step's status.
    updates: list[StepFact] = field(default_factory=list)
    # TTHC under the agency's authority in the period (None: not entered), and documents in force
    # at the period's end: internal procedures and TTHC procedures.
    tthc_total: int | None = None
    internal_procedures: int = 0
    tthc_procedures: int = 0
    budget_allocated: int = 0
    budget_spent: int | None = None
    training_courses: int = 0
    training_person_times: int = 0
    # The annual report step (or the letter's), with its receipt; None when not asked for one.
    report: StepFact | None = None
    # The year's planned inspection: its form, the day it counts as on plan, the biên bản's day,
    # and the report-back step (due two months after the biên bản).
    inspection_form: str | None = None
    inspection_planned_by: date | None = None
    inspection_held_on: date | None = None
    followup: StepFact | None = None

    def count(self, status: str) -> int:
        return sum(1 for u in self.updates if u.status == status)


@dataclass(frozen=True)
class LateItem:
    """One late item of an agency: the step's name in words, its deadline and the days late."""

    title: str
    due: date
    days_late: int
    key: str = ""


@dataclass(frozen=True)
class LateAgency:
    """An agency that is late, with every item it is late on (oldest deadline first)."""

    agency_id: uuid.UUID
    code: str
    name: str
    kind: str
    items: tuple[LateItem, ...]

    @property
    def most_days(self) -> int:
        return max(i.days_late for i in self.items)


def _levels(agencies: dict[uuid.UUID, Any]) -> dict[uuid.UUID, str]:
    """Each agency's level: its kind's, else its parent's (a centre under a commune is cấp xã)."""
    out: dict[uuid.UUID, str] = {}

    def level(agency_id: uuid.UUID, depth: int = 0) -> str:
        if agency_id in out:
            return out[agency_id]
        a = agencies[agency_id]
        found = _KIND_LEVELS.get(a.kind)
        if found is None:
            parent = a.parent_id
            found = level(parent, depth + 1) if parent in agencies and depth < 50 else LEVEL_TINH
        out[agency_id] = found
        return found

    for agency_id in agencies:
        level(agency_id)
    return out


def _scope_day(year: int, today: date) -> date:
    """The day an agency must be in operation to count in the year: today, or the year's end."""
    return min(today, date(year, 12, 31))


def province_rows(
    *,
    session: Session,
    year: int,
    today: date,
    agency_ids: list[uuid.UUID] | None = None,
    period: Period | None = None,
    letter: ReportRequest | None = None,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> list[AgencyRow]:
    """One row per agency that runs the year's cycle (has steps that year and is in operation on
    today or the year's end), ordered by code; about a dozen grouped queries in all.

    - `period` (default the annual period named after the year) selects the TTHC figures,
      budget and training counted for it (as each agency's own report counts them, also when
      entered for a span inside it or a calendar year), and the day documents in force are
      counted.
    - The report is the year's annual report step, or with `letter` that letter's report step
      of each agency it asked (an asked agency lacking the step is open against the letter's
      deadline); agencies the letter did not ask have no report.
    - The overseer (Sở KH&CN) receives the reports and sends none: its own annual report step,
      which no one can receive (check_recipient), is not its report.
    """
    period = period or annual(year)
    a, s = AGENCY.c, STEP.c
    agencies = {
        r.id: r
        for r in session.execute(
            select(a.id, a.code, a.name, a.kind, a.parent_id, a.active, a.valid_from, a.valid_to)
        )
    }
    steps = session.execute(
        select(s.agency_id, s.key, s.step_type, s.title, s.due, s.state, s.done_on).where(
            s.year == year
        )
    ).all()
    wanted = None if agency_ids is None else set(agency_ids)
    day = _scope_day(year, today)
    # In operation on the day, checked once per agency (not once per step).
    live = {i for i, ag in agencies.items() if agency_exists_on(ag, day)}
    in_scope = {st.agency_id for st in steps} & live
    if wanted is not None:
        in_scope &= wanted
    levels = _levels(agencies)
    rows: dict[uuid.UUID, AgencyRow] = {}
    for agency_id in sorted(in_scope, key=lambda i: agencies[i].code):
        ag = agencies[agency_id]
        parent = agencies.get(ag.parent_id) if ag.parent_id else None
        rows[agency_id] = AgencyRow(
            agency_id=agency_id,
            code=ag.code,
            name=ag.name,
            kind=ag.kind,
            level=levels[agency_id],
            parent_code=parent.code if parent is not None else None,
        )
    item_of = {key: item for item, keys in ITEMS.items() for key in keys}
    report_key = letter.step_key if letter is not None else ANNUAL_REPORT
    asked: set[uuid.UUID] | None = None
    receiver = overseer_id(session, overseer_code)
    if letter is not None:
        asked = set(
            session.execute(
                select(REQUEST_AGENCY.c.agency_id).where(REQUEST_AGENCY.c.request_id == letter.id)
            ).scalars()
        )
    by_key: dict[tuple[uuid.UUID, str], StepFact] = {}
    for st in steps:
        row = rows.get(st.agency_id)
        if row is None:
            continue
        fact = step_fact(
            key=st.key, title=st.title, due=st.due, state=st.state, done_on=st.done_on,
            today=today,
        )  # fmt: skip
        by_key[(st.agency_id, st.key)] = fact
        item = item_of.get(st.key)
        if item is not None and (item not in row.items or row.items[item].status == WAIVED):
            row.items[item] = fact
        elif st.step_type == UPDATE_STEP:
            row.updates.append(fact)
        sends = st.agency_id in asked if asked is not None else st.agency_id != receiver
        if st.key == report_key and sends:
            row.report = fact
    if letter is not None and letter.due is not None:
        title = letter.title or f"Báo cáo theo công văn {letter.letter_number}"
        for agency_id in (asked or set()) & rows.keys():
            if rows[agency_id].report is None:
                rows[agency_id].report = step_fact(
                    key=letter.step_key, title=title, due=letter.due, state=STEP_OPEN,
                    done_on=None, today=today,
                )  # fmt: skip
    _add_findings(session, rows, year)
    _add_announcements(session, rows, year)
    _add_procedures(session, rows, period)
    _add_figures(session, rows, period, today)
    _add_inspections(session, rows, year, by_key)
    return list(rows.values())


def _add_findings(session: Session, rows: dict[uuid.UUID, AgencyRow], year: int) -> None:
    f, au = table_of(Finding).c, table_of(InternalAudit).c
    for agency_id, severity, n in session.execute(
        select(f.agency_id, f.severity, func.count())
        .join_from(table_of(Finding), table_of(InternalAudit), au.id == f.audit_id)
        .where(f.year == year, au.kind == "internal")
        .group_by(f.agency_id, f.severity)
    ).tuples():
        if agency_id in rows:
            rows[agency_id].findings[severity] = int(n)


def _add_announcements(session: Session, rows: dict[uuid.UUID, AgencyRow], year: int) -> None:
    an = table_of(Announcement).c
    for r in session.execute(
        select(an.agency_id, an.kind, an.ref, an.decided_on)
        .where(an.decided_on <= date(year, 12, 31))
        .order_by(an.decided_on, an.ref)
    ):
        row = rows.get(r.agency_id)
        if row is None:
            continue
        if row.first_announced_on is None:
            row.first_announced_on = r.decided_on
        # Ordered by date: the last one read is the decision in force.
        row.latest_announcement_kind, row.latest_announcement_ref = r.kind, r.ref
        row.latest_announcement_on = r.decided_on
        if r.kind == "re_announcement" and r.decided_on.year == year:
            row.reannounced_in_year = True


def _add_procedures(session: Session, rows: dict[uuid.UUID, AgencyRow], period: Period) -> None:
    """Count each agency's internal and TTHC procedures in force at the period's end: the latest
    version of each code issued by then (undated decisions count), unless abolished by then;
    counted in the database, one row per agency and kind."""
    p = PROCEDURE.c
    on = period.end
    issued = or_(p.decision_on.is_(None), p.decision_on <= on)
    latest = (
        select(p.agency_id, p.code, func.max(p.version).label("version"))
        .where(p.kind.in_(("internal", "tthc")), issued)
        .group_by(p.agency_id, p.code)
        .subquery()
    )
    for agency_id, kind, n in session.execute(
        select(p.agency_id, p.kind, func.count())
        .join(
            latest,
            and_(
                latest.c.agency_id == p.agency_id,
                latest.c.code == p.code,
                latest.c.version == p.version,
            ),
        )
        .where(or_(p.abolished_on.is_(None), p.abolished_on > on))
        .group_by(p.agency_id, p.kind)
    ).tuples():
        row = rows.get(agency_id)
        if row is None:
            continue
        if kind == "internal":
            row.internal_procedures = int(n)
        else:
            row.tthc_procedures = int(n)


def _add_figures(
    session: Session, rows: dict[uuid.UUID, AgencyRow], period: Period, today: date
) -> None:
    """TTHC, budget and training as the agency's own report counts them (models/iso/report_facts),
    one query per family for the whole province: the latest TTHC figures entered for the period
    or a span inside it (6t/2026 when the year's are not entered); the budgets
    activities.report_budgets picks (a calendar-year budget counts, a first-half one inside the
    year's is not added to it); the courses of any overlapping period held by the cut-off."""
    start, cutoff = period.start, min(period.end, today)
    t = TTHC_FIGURES.c
    for agency_id, total in session.execute(
        select(t.agency_id, t.total)
        .where(t.period_start >= start, t.period_end <= period.end)
        .order_by(t.agency_id, t.period_end, t.period_start)
    ).tuples():
        if agency_id in rows:
            rows[agency_id].tthc_total = int(total)  # ordered: the latest span is read last
    budgets: dict[uuid.UUID, list[IsoBudget]] = defaultdict(list)
    for budget in session.exec(
        orm_select(IsoBudget).where(
            col(IsoBudget.period_start) <= cutoff, col(IsoBudget.period_end) >= start
        )
    ):
        if budget.agency_id in rows:
            budgets[budget.agency_id].append(budget)
    for agency_id, found in budgets.items():
        chosen = report_budgets(found, period)
        spent = [b.spent for b in chosen if b.spent is not None]
        rows[agency_id].budget_allocated = sum(b.allocated for b in chosen)
        rows[agency_id].budget_spent = sum(spent) if spent else None
    c = table_of(TrainingCourse).c
    for agency_id, courses, persons in session.execute(
        select(c.agency_id, func.count(), func.sum(c.person_times))
        .where(
            c.period_start <= cutoff,
            c.period_end >= start,
            c.held_on >= start,
            c.held_on <= cutoff,
        )
        .group_by(c.agency_id)
    ).tuples():
        if agency_id in rows:
            rows[agency_id].training_courses = int(courses)
            rows[agency_id].training_person_times = int(persons or 0)


def _add_inspections(
    session: Session,
    rows: dict[uuid.UUID, AgencyRow],
    year: int,
    steps: dict[tuple[uuid.UUID, str], StepFact],
) -> None:
    pi, au = table_of(PlannedInspection).c, table_of(InternalAudit).c
    for r in session.execute(
        select(
            pi.agency_id, pi.form, pi.planned_month, pi.planned_on, pi.year, pi.step_key, au.end_on
        )  # fmt: skip
        .join_from(
            table_of(PlannedInspection), table_of(InternalAudit), au.id == pi.audit_id, isouter=True
        )  # fmt: skip
        .where(pi.year == year)
        .order_by(pi.agency_id, pi.created_at)
    ):
        row = rows.get(r.agency_id)
        if row is None:
            continue
        # The day it counts as held on plan (models.iso.inspections.planned_by), without
        # building a row object per agency: its day, else its month's end.
        if r.planned_on is not None:
            by = r.planned_on
        else:
            by = date(r.year, r.planned_month, monthrange(r.year, r.planned_month)[1])
        # Two plans naming one agency (two inspecting units): the on-site one, else the latest.
        if row.inspection_form == "onsite" and r.form != "onsite":
            continue
        row.inspection_form, row.inspection_planned_by = r.form, by
        row.inspection_held_on = r.end_on
        row.followup = steps.get((r.agency_id, r.step_key)) if r.step_key else None


# --- the late agencies --------------------------------------------------------------------------


def late_agencies(
    *, session: Session, year: int, today: date, letter: ReportRequest | None = None
) -> list[LateAgency]:
    """Every agency in operation today with open steps of the year past their deadline, each with
    all such steps (title, deadline, calendar days late); ordered by code.

    - A step is late only when open and `today` is after its (working-day) deadline: a step done
      late, done on time, waived, or due today is not.
    - With `letter`, each agency it asked that has not had its report received by the letter's
      deadline is late on it too, even without a report step (its cycle not opened).
    """
    a, s = AGENCY.c, STEP.c
    found: dict[uuid.UUID, list[LateItem]] = defaultdict(list)
    info: dict[uuid.UUID, Any] = {}
    for r in session.execute(
        select(
            s.agency_id,
            s.key,
            s.title,
            s.due,
            a.code,
            a.name,
            a.kind,
            a.active,
            a.valid_from,
            a.valid_to,
        )  # fmt: skip
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .where(s.year == year, s.state == STEP_OPEN, s.due < today)
    ):
        if not agency_exists_on(r, today):
            continue
        info[r.agency_id] = r
        found[r.agency_id].append(LateItem(r.title, r.due, (today - r.due).days, r.key))
    if letter is not None and letter.due is not None and today > letter.due:
        _add_letter(session, letter, today, found, info)
    out = [
        LateAgency(
            agency_id=agency_id,
            code=info[agency_id].code,
            name=info[agency_id].name,
            kind=info[agency_id].kind,
            items=tuple(sorted(items, key=lambda i: (i.due, i.title))),
        )
        for agency_id, items in found.items()
    ]
    return sorted(out, key=lambda x: x.code)


def _add_letter(
    session: Session,
    letter: ReportRequest,
    today: date,
    found: dict[uuid.UUID, list[LateItem]],
    info: dict[uuid.UUID, Any],
) -> None:
    """Add the letter's report to the asked agencies lacking its step (the others' open report
    steps are already listed by their own deadline)."""
    a, s = AGENCY.c, STEP.c
    asked = select(REQUEST_AGENCY.c.agency_id).where(REQUEST_AGENCY.c.request_id == letter.id)
    have = select(s.agency_id).where(s.year == letter.year, s.key == letter.step_key)
    assert letter.due is not None
    title = letter.title or f"Báo cáo theo công văn {letter.letter_number}"
    for r in session.execute(
        select(a.id, a.code, a.name, a.kind, a.active, a.valid_from, a.valid_to).where(
            a.id.in_(asked), a.id.not_in(have)
        )
    ):
        if agency_exists_on(r, today):
            info.setdefault(r.id, _Info(r.code, r.name, r.kind))
            found[r.id].append(
                LateItem(title, letter.due, (today - letter.due).days, letter.step_key)
            )


@dataclass(frozen=True)
class _Info:
    code: str
    name: str
    kind: str
