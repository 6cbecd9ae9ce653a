"""Everything an agency's 6-month or annual report states, read from isocycle's records up to the
period's end (or today, if earlier): `agency_facts` returns plain data that a renderer formats.

The outline is Sở KH&CN's đề cương (seed 004) as the agencies answer it (seeds 001 and 003): who
the agency is, the plan and the request letter it answers, TTHC and dossier figures, the
announcement, the directing documents, the steering committee, objectives, internal audit,
corrective actions, procedure updates after legal changes, management review, internal
procedures, its own units, training, budget, own inspections, the 2008 → 2015 conversion, the
shortcomings ("tồn tại") that the evidence shows, and for a 6-month report the steps still due in
the second half of the year. Nothing here formats a number or a date for a reader.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col, select as orm_select

from models.iso.actions import CorrectiveAction, is_closed
from models.iso.activities import (
    DirectingDocument,
    IsoBudget,
    OwnInspection,
    TrainingCourse,
    report_budgets,
)
from models.iso.audits import Finding, InternalAudit
from models.iso.base import EVENT_STEPS, achieved, get_agency
from models.iso.dossiers import DossierStats
from models.iso.events import Event
from models.iso.objectives import ObjectiveDecision, QualityObjective
from models.iso.procedures import PROCEDURE, TthcFigures
from models.iso.profile import (
    MODE_LABELS,
    Announcement,
    QmsProfile,
    SteeringCommittee,
    edition_label,
)
from models.iso.reporting import Report, ReportRequest, ReportRequestAgency
from models.iso.reviews import ManagementReview
from models.periods import Period
from models.tables import STEP_DONE, STEP_WAIVED, Agency, Step
from models.vn_format import vn_date

ANNUAL, SIX_MONTH = "annual", "six_month"
_BUILD_STEPS = ("build_plan", "build_committee")
VARIANT_STEPS = {ANNUAL: "annual_report", SIX_MONTH: "six_month_report"}
# Steps whose lateness the report states through their own records (each corrective action,
# each legal change), so the generic "done late" list leaves them out.
_OWN_LISTS = ("corrective_action", "action_verification", EVENT_STEPS["legal_change"][0])


@dataclass(frozen=True)
class DocRef:
    """A document as a report cites it: its number (ký hiệu), date and what it is about."""

    number: str
    issued_on: date | None
    title: str = ""


@dataclass(frozen=True)
class RequestFacts:
    """The letter asking for this report (công văn yêu cầu báo cáo)."""

    unit_name: str
    letter_number: str
    letter_date: date
    due: date | None
    title: str | None


@dataclass(frozen=True)
class AnnouncementFacts:
    """An announcement (công bố) or re-announcement (công bố lại) decision."""

    kind: str
    ref: str
    decided_on: date
    basis: str | None


@dataclass(frozen=True)
class ObjectiveFacts:
    """A quality objective: target, the period's result (mid-year or final) and whether met."""

    number: int
    indicator: str
    comparison: str
    target: float
    unit: str
    result: float | None
    achieved: bool | None


@dataclass(frozen=True)
class AuditFacts:
    """An internal audit held by the cut-off, and its findings by severity."""

    start_on: date
    end_on: date
    ref: str
    major: int
    minor: int
    observation: int


@dataclass(frozen=True)
class ActionFacts:
    """Corrective actions of the year as of the cut-off: opened, closed, overdue."""

    opened: int
    closed: int
    late: int
    overdue: list[tuple[int, str, date, int]] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateFacts:
    """A procedure update a legal change required: its deadline and when it was done."""

    event: str
    title: str
    effective_on: date | None
    due: date
    done_on: date | None
    days_late: int

    @property
    def on_time(self) -> bool:
        return self.done_on is not None and self.days_late == 0


@dataclass(frozen=True)
class ReviewFacts:
    """A management review (xem xét của lãnh đạo)."""

    held_on: date
    minutes_ref: str
    decisions: str | None


@dataclass(frozen=True)
class UnitFacts:
    """An agency or one of its units as the appendices list it."""

    code: str
    name: str
    kind: str
    edition: str | None
    mode: str | None
    first_applied_year: int | None
    converted_year: int | None
    system_ref: str | None
    system_issued_on: date | None
    system_year: int | None
    first_announcement: AnnouncementFacts | None
    latest_announcement: AnnouncementFacts | None
    audits: list[tuple[date, date]]
    counts: dict[str, int]

    @property
    def applied(self) -> bool:
        """Whether the unit runs a QMS at all (a profile, a year or an announcement on record)."""
        return bool(self.edition or self.first_applied_year or self.converted_year) or (
            self.latest_announcement is not None
        )


@dataclass(frozen=True)
class PlannedStep:
    """A step of the year still ahead (the 6-month report's plan for the second half)."""

    title: str
    due: date
    state: str


@dataclass
class AgencyFacts:
    """Everything the report and its appendices state, as data (no formatting)."""

    code: str
    name: str
    kind: str
    parent_name: str | None
    abbreviation: str | None
    head_name: str | None
    secretary_name: str | None
    year: int
    variant: str
    period: Period
    cutoff: date
    standard: str
    mode: str
    mode_label: str
    plan: DocRef | None
    request: RequestFacts | None
    sent_number: str | None
    sent_date: date | None
    addressed_to: str | None
    tthc: dict[str, Any] | None
    dossiers: dict[str, Any] | None
    first_announcement: AnnouncementFacts | None
    latest_announcement: AnnouncementFacts | None
    announcements_in_period: list[AnnouncementFacts]
    directing_documents: list[DocRef]
    committee: DocRef | None
    objective_decision: DocRef | None
    objectives: list[ObjectiveFacts]
    audits: list[AuditFacts]
    actions: ActionFacts
    procedure_updates: list[UpdateFacts]
    reviews: list[ReviewFacts]
    procedure_counts: dict[str, int]
    internal_decisions: list[DocRef]
    units: list[UnitFacts]
    self_unit: UnitFacts
    training: dict[str, Any]
    budget: dict[str, Any]
    inspections: dict[str, Any]
    shortcomings: list[str]
    second_half: list[PlannedStep]

    @property
    def building(self) -> bool:
        """Whether the agency is building a new QMS (xây dựng mới) rather than maintaining one."""
        return self.mode == "build"

    @property
    def objectives_achieved(self) -> int:
        return sum(o.achieved is True for o in self.objectives)

    @property
    def findings(self) -> dict[str, int]:
        """The period's audit findings by severity, all audits together."""
        return {
            "major": sum(a.major for a in self.audits),
            "minor": sum(a.minor for a in self.audits),
            "observation": sum(a.observation for a in self.audits),
        }

    @property
    def conversion_rows(self) -> list[UnitFacts]:
        """The agency and its units, for the 2008 → 2015 conversion table (Phụ lục IIA)."""
        return [self.self_unit, *self.units]


# --- reading ------------------------------------------------------------------------------------


def _in(period_start: date, cutoff: date, day: date | None) -> bool:
    return day is not None and period_start <= day <= cutoff


def _announcement(row: Announcement | None) -> AnnouncementFacts | None:
    if row is None:
        return None
    return AnnouncementFacts(row.kind, row.ref, row.decided_on, row.basis)


def _announcements(
    session: Session, ids: Sequence[uuid.UUID], cutoff: date
) -> dict[uuid.UUID, list[Announcement]]:
    out: dict[uuid.UUID, list[Announcement]] = {i: [] for i in ids}
    rows = session.exec(
        orm_select(Announcement)
        .where(col(Announcement.agency_id).in_(ids), Announcement.decided_on <= cutoff)
        .order_by(col(Announcement.decided_on))
    ).all()
    for row in rows:
        out[row.agency_id].append(row)
    return out


def _units(
    session: Session, agency: Agency, children: list[Agency], year: int, cutoff: date
) -> list[UnitFacts]:
    """The agency and each child unit: profile, announcements, audits and document counts."""
    every = [agency, *children]
    ids = [a.id for a in every]
    profiles = {
        p.agency_id: p
        for p in session.exec(orm_select(QmsProfile).where(col(QmsProfile.agency_id).in_(ids)))
    }
    announced = _announcements(session, ids, cutoff)
    audits: dict[uuid.UUID, list[tuple[date, date]]] = {i: [] for i in ids}
    for a in session.exec(
        orm_select(InternalAudit)
        .where(
            col(InternalAudit.agency_id).in_(ids),
            InternalAudit.year == year,
            InternalAudit.start_on <= cutoff,
        )
        .order_by(col(InternalAudit.start_on))
    ):
        audits[a.agency_id].append((a.start_on, a.end_on))
    counts = _procedure_counts(session, ids, cutoff)
    out = []
    for unit in every:
        profile = profiles.get(unit.id)
        rows = announced[unit.id]
        out.append(
            UnitFacts(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                edition=profile.edition if profile else None,
                mode=profile.mode if profile else None,
                first_applied_year=profile.first_applied_year if profile else None,
                converted_year=profile.converted_year if profile else None,
                system_ref=profile.system_ref if profile else None,
                system_issued_on=profile.system_issued_on if profile else None,
                system_year=profile.system_year if profile else None,
                first_announcement=_announcement(rows[0] if rows else None),
                latest_announcement=_announcement(rows[-1] if rows else None),
                audits=audits[unit.id],
                counts=counts[unit.id],
            )
        )
    return out


def _own_units(session: Session, agency: Agency, year: int) -> list[Agency]:
    """The agency's child units that run a QMS of their own: a profile, or steps in the year (a
    phòng sharing its UBND xã's system has neither)."""
    children = list(
        session.exec(
            orm_select(Agency)
            .where(Agency.parent_id == agency.id, Agency.active == True)  # noqa: E712
            .order_by(col(Agency.name))
        ).all()
    )
    if not children:
        return []
    ids = [c.id for c in children]
    with_profile = set(
        session.exec(
            orm_select(QmsProfile.agency_id).where(col(QmsProfile.agency_id).in_(ids))
        ).all()
    )
    with_steps = set(
        session.exec(
            orm_select(Step.agency_id)
            .where(col(Step.agency_id).in_(ids), Step.year == year)
            .distinct()
        ).all()
    )
    return [c for c in children if c.id in with_profile | with_steps]


def _procedure_counts(
    session: Session, ids: Sequence[uuid.UUID], on: date
) -> dict[uuid.UUID, dict[str, int]]:
    """Documents in force on a day per agency (the version in force of each code), one query."""
    p = PROCEDURE.c
    rows = session.execute(
        select(p.agency_id, p.kind, p.code, p.version, p.decision_on, p.abolished_on)
        .where(p.agency_id.in_(ids))
        .order_by(p.agency_id, p.code, p.version)
    ).all()
    latest: dict[tuple[uuid.UUID, str], Any] = {}
    for r in rows:
        if r.decision_on is None or r.decision_on <= on:
            latest[(r.agency_id, r.code)] = r
    out = {i: {"guideline": 0, "internal": 0, "tthc": 0} for i in ids}
    for (agency_id, _code), r in latest.items():
        if r.abolished_on is None or r.abolished_on > on:
            out[agency_id][r.kind] += 1
    return out


def _internal_decisions(session: Session, agency_id: uuid.UUID, on: date) -> list[DocRef]:
    """The decisions issuing the internal procedures in force, most procedures first."""
    p = PROCEDURE.c
    rows = session.execute(
        select(p.decision_ref, p.decision_on, func.count())
        .where(
            p.agency_id == agency_id,
            p.kind == "internal",
            p.abolished_on.is_(None) | (p.abolished_on > on),
            p.decision_on.is_(None) | (p.decision_on <= on),
        )
        .group_by(p.decision_ref, p.decision_on)
        .order_by(func.count().desc(), p.decision_ref)
    ).all()
    return [DocRef(r[0], r[1], f"{r[2]} quy trình") for r in rows]


def _request(
    session: Session, agency: Agency, year: int, step_key: str, report: Report | None
) -> RequestFacts | None:
    """The letter this report answers: the one the sent report names, else the latest asking it."""
    request = None
    if report is not None and report.request_id is not None:
        request = session.get(ReportRequest, report.request_id)
    if request is None:
        request = session.exec(
            orm_select(ReportRequest)
            .join(ReportRequestAgency, col(ReportRequestAgency.request_id) == ReportRequest.id)
            .where(
                ReportRequestAgency.agency_id == agency.id,
                ReportRequest.year == year,
                ReportRequest.step_key == step_key,
            )
            .order_by(col(ReportRequest.letter_date).desc())
        ).first()
    if request is None:
        return None
    unit = session.get(Agency, request.unit_id)
    return RequestFacts(
        unit_name=unit.name if unit else "",
        letter_number=request.letter_number,
        letter_date=request.letter_date,
        due=request.due,
        title=request.title,
    )


def _plan(documents: list[DocRef], steps: list[Step], cutoff: date) -> DocRef | None:
    """The year's ISO plan: a Kế hoạch among the directing documents, else the plan step's ref."""
    for doc in documents:
        if "/KH" in doc.number.upper():
            return doc
    for st in steps:
        if (
            st.step_type in ("plan", "build_plan")
            and st.ref
            and st.done_on
            and st.done_on <= cutoff
        ):
            return DocRef(st.ref, st.done_on, st.title)
    return None


def _objectives(
    session: Session, agency_id: uuid.UUID, year: int, variant: str
) -> tuple[DocRef | None, list[ObjectiveFacts]]:
    decision = session.exec(
        orm_select(ObjectiveDecision).where(
            ObjectiveDecision.agency_id == agency_id, ObjectiveDecision.year == year
        )
    ).first()
    rows = session.exec(
        orm_select(QualityObjective)
        .where(QualityObjective.agency_id == agency_id, QualityObjective.year == year)
        .order_by(col(QualityObjective.number))
    ).all()
    out = []
    for o in rows:
        # A 6-month report states the mid-year result; the annual one the final result.
        result = o.mid_value if variant == SIX_MONTH else o.final_value
        out.append(
            ObjectiveFacts(
                number=o.number,
                indicator=o.indicator,
                comparison=o.comparison,
                target=o.target,
                unit=o.unit,
                result=result,
                achieved=achieved(o.comparison, o.target, result),
            )
        )
    doc = DocRef(decision.ref, decision.issued_on) if decision else None
    return doc, out


def _audits(session: Session, agency_id: uuid.UUID, year: int, cutoff: date) -> list[AuditFacts]:
    audits = session.exec(
        orm_select(InternalAudit)
        .where(
            InternalAudit.agency_id == agency_id,
            InternalAudit.year == year,
            InternalAudit.kind == "internal",
            InternalAudit.start_on <= cutoff,
        )
        .order_by(col(InternalAudit.start_on))
    ).all()
    f = Finding.__table__.c  # type: ignore[attr-defined]
    counts: dict[tuple[uuid.UUID, str], int] = {
        (r[0], r[1]): int(r[2])
        for r in session.execute(
            select(f.audit_id, f.severity, func.count())
            .where(f.agency_id == agency_id, f.year == year)
            .group_by(f.audit_id, f.severity)
        ).all()
    }
    return [
        AuditFacts(
            start_on=a.start_on,
            end_on=a.end_on,
            ref=a.ref,
            major=counts.get((a.id, "major"), 0),
            minor=counts.get((a.id, "minor"), 0),
            observation=counts.get((a.id, "observation"), 0),
        )
        for a in audits
    ]


def _actions(session: Session, agency_id: uuid.UUID, year: int, cutoff: date) -> ActionFacts:
    """Actions on findings of audits held by the cut-off; closed and overdue as on that day."""
    rows = list(
        session.exec(
            orm_select(CorrectiveAction)
            .join(Finding, col(Finding.id) == CorrectiveAction.finding_id)
            .join(InternalAudit, col(InternalAudit.id) == Finding.audit_id)
            .where(
                CorrectiveAction.agency_id == agency_id,
                CorrectiveAction.year == year,
                InternalAudit.start_on <= cutoff,
            )
            .order_by(col(CorrectiveAction.number))
        ).all()
    )
    closed = [
        a for a in rows if is_closed(a) and a.verified_on is not None and a.verified_on <= cutoff
    ]
    overdue = []
    late = 0
    for a in rows:
        done = a.done_on if a.done_on is not None and a.done_on <= cutoff else None
        if done is None and cutoff > a.due:
            overdue.append((a.number, a.description, a.due, (cutoff - a.due).days))
            late += 1
        elif done is not None and done > a.due:
            late += 1
    return ActionFacts(opened=len(rows), closed=len(closed), late=late, overdue=overdue)


def _updates(session: Session, steps: list[Step], cutoff: date) -> list[UpdateFacts]:
    kind = EVENT_STEPS["legal_change"][0]
    mine = [s for s in steps if s.step_type == kind and s.state != STEP_WAIVED]
    numbers = [s.key.split(":", 1)[1] for s in mine if ":" in s.key]
    events = {
        e.number: e
        for e in session.exec(
            orm_select(Event).where(Event.kind == "legal_change", col(Event.number).in_(numbers))
        )
    }
    out = []
    for s in sorted(mine, key=lambda x: (x.due, x.key)):
        number = s.key.split(":", 1)[1] if ":" in s.key else s.key
        event = events.get(number)
        if event is not None and event.effective_on > cutoff:
            continue
        done = s.done_on if s.state == STEP_DONE and s.done_on and s.done_on <= cutoff else None
        end = done if done is not None else cutoff
        out.append(
            UpdateFacts(
                event=number,
                title=event.title if event else s.title,
                effective_on=event.effective_on if event else None,
                due=s.due,
                done_on=done,
                days_late=max((end - s.due).days, 0),
            )
        )
    return out


def _shortcomings(
    steps: list[Step],
    actions: ActionFacts,
    updates: list[UpdateFacts],
    objectives: list[ObjectiveFacts],
    cutoff: date,
) -> list[str]:
    """The "tồn tại" the evidence shows, one sentence each, worst first within each kind."""
    out: list[str] = []
    for s in sorted(steps, key=lambda x: x.due):
        if s.step_type in _OWN_LISTS or s.state == STEP_WAIVED or s.due > cutoff:
            continue
        if s.state == STEP_DONE and s.done_on and s.done_on <= cutoff:
            if s.done_on > s.due:
                out.append(
                    f"{s.title}: hoàn thành ngày {vn_date(s.done_on)}, chậm "
                    f"{(s.done_on - s.due).days} ngày so với hạn {vn_date(s.due)}."
                )
        elif cutoff > s.due:
            out.append(
                f"{s.title}: chưa thực hiện, quá hạn {(cutoff - s.due).days} ngày "
                f"(hạn {vn_date(s.due)})."
            )
    for number, description, due, days in actions.overdue:
        out.append(
            f"Hành động khắc phục số {number} ({description}): quá hạn {days} ngày "
            f"(hạn {vn_date(due)})."
        )
    for u in updates:
        if u.days_late:
            said = (
                f"cập nhật ngày {vn_date(u.done_on)}, chậm {u.days_late} ngày"
                if u.done_on
                else f"chưa cập nhật, quá hạn {u.days_late} ngày"
            )
            out.append(
                f"Cập nhật quy trình theo văn bản {u.event} quá 3 tháng kể từ ngày có hiệu lực: "
                f"{said} (hạn {vn_date(u.due)})."
            )
    for o in objectives:
        if o.achieved is False:
            out.append(f"Mục tiêu chất lượng số {o.number} ({o.indicator}) không đạt.")
    return out


def agency_facts(
    *, session: Session, agency_code: str, period: Period, today: date, variant: str | None = None
) -> AgencyFacts:
    """Everything the agency's report for `period` states, up to the period's end (or today).

    - `variant` "annual" or "six_month"; by default six_month when the period ends in June.
    - The year is the one the period ends in (the cycle year the report steps belong to).
    """
    agency = get_agency(session, agency_code)
    if variant is None:
        variant = SIX_MONTH if period.end.month in (6, 7) else ANNUAL
    year = period.end.year
    cutoff = min(period.end, today)
    start = period.start
    parent = session.get(Agency, agency.parent_id) if agency.parent_id else None
    children = _own_units(session, agency, year)
    steps = list(
        session.exec(orm_select(Step).where(Step.agency_id == agency.id, Step.year == year)).all()
    )
    step_key = VARIANT_STEPS[variant]
    report = session.exec(
        orm_select(Report).where(
            Report.agency_id == agency.id, Report.year == year, Report.step_key == step_key
        )
    ).first()

    def in_period(model: Any) -> list[Any]:
        """Figures entered for the report's period or a span inside it."""
        return list(
            session.exec(
                orm_select(model).where(
                    model.agency_id == agency.id,
                    model.period_start >= start,
                    model.period_end <= period.end,
                )
            ).all()
        )

    def overlapping(model: Any) -> list[Any]:
        """Dated records (or a year's budget) of any period that overlaps the report's: a
        6-month report counts the annual period's records dated by the cut-off."""
        return list(
            session.exec(
                orm_select(model).where(
                    model.agency_id == agency.id,
                    model.period_start <= cutoff,
                    model.period_end >= start,
                )
            ).all()
        )

    documents = sorted(
        (
            DocRef(d.number, d.issued_on, d.title)
            for d in overlapping(DirectingDocument)
            if start <= d.issued_on <= cutoff
        ),
        key=lambda d: (d.issued_on or date.min, d.number),
    )
    courses = [c for c in overlapping(TrainingCourse) if start <= c.held_on <= cutoff]
    checks = [i for i in overlapping(OwnInspection) if start <= i.held_on <= cutoff]
    budgets = report_budgets(overlapping(IsoBudget), period)
    tthc_rows = sorted(in_period(TthcFigures), key=lambda r: (r.period_end, r.period_start))
    dossier_rows = sorted(in_period(DossierStats), key=lambda r: (r.period_end, r.period_start))
    tthc = None
    if tthc_rows:
        t = tthc_rows[-1]
        tthc = {
            "total": t.total,
            "amended": t.amended,
            "new": t.new,
            "abolished": t.abolished,
            "decisions": t.decisions,
        }
    dossiers = None
    if dossier_rows:
        d = dossier_rows[-1]
        dossiers = {
            "period_start": d.period_start,
            "period_end": d.period_end,
            "received": d.received,
            "on_time": d.on_time,
            "late": d.late,
            "pending": d.pending,
            "with_results": d.with_results,
        }
    committee = session.exec(
        orm_select(SteeringCommittee)
        .where(SteeringCommittee.agency_id == agency.id, SteeringCommittee.decided_on <= cutoff)
        .order_by(col(SteeringCommittee.decided_on).desc())
    ).first()
    units = _units(session, agency, children, year, cutoff)
    self_unit, child_units = units[0], units[1:]
    announced = _announcements(session, [agency.id], cutoff)[agency.id]
    decision, objectives = _objectives(session, agency.id, year, variant)
    actions = _actions(session, agency.id, year, cutoff)
    updates = _updates(session, steps, cutoff)
    reviews = [
        ReviewFacts(r.held_on, r.minutes_ref, r.decisions)
        for r in session.exec(
            orm_select(ManagementReview)
            .where(
                ManagementReview.agency_id == agency.id,
                ManagementReview.year == year,
                ManagementReview.held_on <= cutoff,
            )
            .order_by(col(ManagementReview.held_on))
        )
    ]
    # No profile: the year's steps tell (a unit formed during the year got the build steps).
    building = any(s.step_type in _BUILD_STEPS for s in steps)
    mode = self_unit.mode or ("build" if building else "maintain")
    allocated = sum(b.allocated for b in budgets)
    spent_values = [b.spent for b in budgets if b.spent is not None]
    second_half = []
    if variant == SIX_MONTH:
        second_half = [
            PlannedStep(s.title, s.due, s.state)
            for s in sorted(steps, key=lambda x: (x.due, x.title))
            if s.due > period.end and s.state != STEP_WAIVED and s.step_type != step_key
        ]
    return AgencyFacts(
        code=agency.code,
        name=agency.name,
        kind=agency.kind,
        parent_name=parent.name if parent else None,
        abbreviation=agency.abbreviation,
        head_name=agency.head_name,
        secretary_name=agency.secretary_name,
        year=year,
        variant=variant,
        period=period,
        cutoff=cutoff,
        standard=edition_label(self_unit.edition),
        mode=mode,
        mode_label=MODE_LABELS[mode],
        plan=_plan(documents, steps, cutoff),
        request=_request(session, agency, year, step_key, report),
        sent_number=report.number if report else None,
        sent_date=report.report_date if report else None,
        addressed_to=report.addressed_to if report else None,
        tthc=tthc,
        dossiers=dossiers,
        first_announcement=_announcement(announced[0] if announced else None),
        latest_announcement=_announcement(announced[-1] if announced else None),
        announcements_in_period=[
            a for a in map(_announcement, announced) if a and _in(start, cutoff, a.decided_on)
        ],
        directing_documents=documents,
        committee=DocRef(committee.ref, committee.decided_on) if committee else None,
        objective_decision=decision,
        objectives=objectives,
        audits=_audits(session, agency.id, year, cutoff),
        actions=actions,
        procedure_updates=updates,
        reviews=reviews,
        procedure_counts=self_unit.counts,
        internal_decisions=_internal_decisions(session, agency.id, cutoff),
        units=child_units,
        self_unit=self_unit,
        training={
            "held": sum(c.mode == "held" for c in courses),
            "attended": sum(c.mode == "attended" for c in courses),
            "person_times": sum(c.person_times for c in courses),
            "courses": [
                DocRef("", c.held_on, c.title) for c in sorted(courses, key=lambda c: c.held_on)
            ],
        },
        budget={
            "recorded": bool(budgets),
            "allocated": allocated,
            "spent": sum(spent_values) if spent_values else None,
            "notes": [b.note for b in budgets if b.note],
        },
        inspections={
            "count": len(checks),
            "units": len({i.unit.casefold() for i in checks}),
        },
        shortcomings=_shortcomings(steps, actions, updates, objectives, cutoff),
        second_half=second_half,
    )
