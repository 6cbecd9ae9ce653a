"""Inspections by the province's inspecting unit (TT 26/2014 Arts. 33-37): the year's plan, the
biên bản with its findings, and the agency's report-back step due two months after it."""

from __future__ import annotations

import calendar as month_calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Index, UniqueConstraint, insert, select
from sqlmodel import Field, Session, SQLModel, col, select as orm_select

from models import cycles
from models.calendar import RuleSet, WorkingCalendar
from models.iso.audits import FindingIn, InternalAudit, write_audit
from models.iso.base import (
    IsoError,
    IsoRules,
    _atomic,
    _check_not_future,
    _history,
    _text,
    get_agency,
)
from models.iso.report_checks import DEFAULT_OVERSEER_CODE, check_inspector
from models.tables import AGENCY, STEP_OPEN, Agency, Step, instant, utcnow

FORMS = ("dossier", "onsite")
FORM_LABELS = {"dossier": "kiểm tra qua hồ sơ, báo cáo", "onsite": "kiểm tra trực tiếp tại trụ sở"}
# Spellings of the form that people type, compared after case folding.
FORM_ALIASES = {
    "dossier": "dossier",
    "hồ sơ": "dossier",
    "hồ sơ, báo cáo": "dossier",
    "kiểm tra hồ sơ": "dossier",
    "qua hồ sơ": "dossier",
    "onsite": "onsite",
    "on-site": "onsite",
    "trực tiếp": "onsite",
    "tại trụ sở": "onsite",
    "kiểm tra trực tiếp": "onsite",
}
REPORT_STEP = cycles.RECORD_STEP_TYPE
REPORT_BASIS = "TT 26/2014/TT-BKHCN Điều 37.2c"
PLAN_BASIS = "TT 26/2014/TT-BKHCN Điều 33, 34"
# TT 26/2014 Art. 33: every agency at least by dossier, at least a third of them on site.
ONSITE_SHARE = Fraction(1, 3)
MAX_RECORD_NUMBER = 90  # the step key "inspection_report:NUMBER" must fit 120 characters
STATUS_LABELS = {
    "planned": "Chưa đến kỳ kiểm tra",
    "not_held": "Quá kỳ, chưa kiểm tra",
    "done": "Đã kiểm tra đúng kỳ",
    "late": "Đã kiểm tra, muộn so với kế hoạch",
}
REPORT_LABELS = {
    "none": "",
    "open": "Chờ báo cáo khắc phục",
    "overdue": "Quá hạn báo cáo khắc phục",
    "done": "Đã báo cáo khắc phục",
    "done_late": "Đã báo cáo khắc phục (muộn)",
}


# The inspecting unit's plan for a year (Mẫu 19. KHKT), approved by a decision.
class InspectionPlan(SQLModel, table=True):
    __tablename__ = "inspection_plan"
    __table_args__ = (
        UniqueConstraint("inspector_id", "year", name="uq_inspection_plan_inspector_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    year: int = Field(index=True)
    # The inspecting unit: the Chi cục TĐC, or whichever agency took its place (data, not code).
    inspector_id: uuid.UUID = Field(foreign_key="agency.id")
    decision_ref: str = Field(max_length=200)
    decision_on: date
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# One agency in a plan: how and when it is inspected, and the record and report-back once held.
class PlannedInspection(SQLModel, table=True):
    __tablename__ = "planned_inspection"
    __table_args__ = (
        UniqueConstraint("plan_id", "agency_id", name="uq_planned_inspection_plan_agency"),
        Index("ix_planned_inspection_agency_year", "agency_id", "year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="inspection_plan.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    form: str = Field(max_length=16)
    planned_month: int
    planned_on: date | None = None
    # The biên bản (an InternalAudit of kind "inspection") once the inspection is held.
    audit_id: uuid.UUID | None = Field(default=None, foreign_key="internal_audit.id")
    step_key: str | None = Field(default=None, max_length=120)
    report_ref: str | None = Field(default=None, max_length=200)
    report_on: date | None = None
    created_at: datetime = instant(default_factory=utcnow)


@dataclass(frozen=True)
class PlanEntry:
    """One agency of a plan as entered: its code, the form, and the month or the day."""

    agency: str
    form: str
    month: int | None = None
    on: date | None = None


@dataclass(frozen=True)
class Coverage:
    """How much of the agencies that must run a QMS that year a plan covers."""

    required: int
    planned: int
    onsite: int

    @property
    def onsite_share(self) -> Fraction:
        return Fraction(self.onsite, self.required) if self.required else Fraction(0)

    @property
    def short(self) -> bool:
        return self.required > 0 and self.onsite_share < ONSITE_SHARE

    def warnings(self) -> list[str]:
        """The plan's shortfalls against TT 26/2014 Art. 33, in Vietnamese (empty when none)."""
        out = []
        if self.short:
            needed = -(-self.required // 3)
            out.append(
                f"Kế hoạch chỉ kiểm tra trực tiếp {self.onsite}/{self.required} cơ quan phải áp "
                f"dụng HTQLCL ({percent(self.onsite_share)}), dưới mức tối thiểu 1/3 (cần ít nhất "
                f"{needed}) theo TT 26/2014/TT-BKHCN Điều 33."
            )
        return out


def percent(share: Fraction) -> str:
    """A share written the Vietnamese way, one decimal: 1/3 → "33,3%"."""
    return f"{float(share) * 100:.1f}".replace(".", ",") + "%"


def parse_form(text: str | None, label: str = "Hình thức kiểm tra") -> str:
    """Return dossier or onsite for any accepted spelling; IsoError otherwise."""
    folded = " ".join((text or "").casefold().split())
    if not folded:
        raise IsoError(f"Chưa chọn {label}.", field="form")
    form = FORM_ALIASES.get(folded)
    if form is None:
        raise IsoError(
            f"{label} «{text}» không có; chọn qua hồ sơ (dossier) hoặc trực tiếp (onsite).",
            field="form",
        )
    return form


def planned_by(entry: PlannedInspection) -> date:
    """The last day an inspection counts as held on plan: its day, or its month's end."""
    if entry.planned_on is not None:
        return entry.planned_on
    last = month_calendar.monthrange(entry.year, entry.planned_month)[1]
    return date(entry.year, entry.planned_month, last)


def required_codes(*, session: Session, year: int, rules: RuleSet) -> list[str]:
    """Agencies that must run a QMS in the year: of the year's calendar kinds, in operation
    on some day of it (a commune closed on 30/6 or opened on 1/7 counts)."""
    a = AGENCY.c
    year_rules = cycles.rules_for_year(session=session, year=year, default=rules)
    kinds = set().union(*(s.kinds for s in year_rules.steps))
    rows = session.execute(
        select(a.code, a.active, a.valid_from, a.valid_to).where(a.kind.in_(sorted(kinds)))
    ).all()
    first, last = date(year, 1, 1), date(year, 12, 31)
    out = []
    for r in rows:
        if r.valid_from is not None and r.valid_from > last:
            continue
        if r.valid_to is not None and r.valid_to < first:
            continue
        if r.valid_to is None and not r.active:
            continue
        out.append(r.code)
    return sorted(out)


def _plan(session: Session, inspector: Agency, year: int) -> InspectionPlan | None:
    return session.exec(
        orm_select(InspectionPlan).where(
            InspectionPlan.inspector_id == inspector.id, InspectionPlan.year == year
        )
    ).one_or_none()


def _validate_entries(
    session: Session, year: int, entries: Sequence[PlanEntry]
) -> list[tuple[Agency, str, int, date | None]]:
    problems: list[IsoError] = []
    rows: list[tuple[Agency, str, int, date | None]] = []
    seen: set[str] = set()
    for index, e in enumerate(entries):
        where = f"Dòng {index + 1} ({e.agency})"
        try:
            code = (e.agency or "").strip()
            if not code:
                raise IsoError("Chưa nhập mã đơn vị được kiểm tra.", field="agency")
            if code in seen:
                raise IsoError(f"Đơn vị «{code}» có hai lần trong kế hoạch.", field="agency")
            seen.add(code)
            agency = get_agency(session, code)
            form = parse_form(e.form)
            if e.on is not None:
                if e.on.year != year:
                    raise IsoError(
                        f"Ngày dự kiến {e.on:%d/%m/%Y} không thuộc năm {year} của kế hoạch.",
                        field="on",
                    )
                if e.month is not None and e.month != e.on.month:
                    raise IsoError(
                        f"Tháng dự kiến {e.month} khác tháng của ngày dự kiến {e.on:%d/%m/%Y}.",
                        field="month",
                    )
                month = e.on.month
            elif e.month is None:
                raise IsoError("Chưa nhập tháng hoặc ngày dự kiến kiểm tra.", field="month")
            elif not 1 <= e.month <= 12:
                raise IsoError(f"Tháng dự kiến «{e.month}» phải từ 1 đến 12.", field="month")
            else:
                month = e.month
            rows.append((agency, form, month, e.on))
        except IsoError as exc:
            problems.append(
                IsoError(f"{where}: {exc.errors[0].message}", field=exc.errors[0].field)
            )
    if problems:
        raise IsoError(errors=[p.errors[0] for p in problems])
    return rows


@dataclass
class PlanResult:
    """What recording a plan did, and how far it covers the agencies (with its warnings)."""

    plan: InspectionPlan
    added: int
    changed: int
    coverage: Coverage
    warnings: list[str]


@_atomic
def record_plan(
    *,
    session: Session,
    inspector_code: str,
    year: int,
    decision_ref: str,
    decision_on: date,
    entries: Sequence[PlanEntry],
    actor: str,
    rules: RuleSet,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> PlanResult:
    """Record (or amend) the inspecting unit's plan for a year; warn, not refuse, below 1/3.

    - Entries already in the plan take the new form and month unless already held; new ones
      are added; none is removed (an inspection held stays on the record).
    - Refuses an unknown agency, a form other than dossier or on site, a month outside 1-12
      or a day outside the year, naming the row; nothing is written then.
    - Only the overseer (Sở KH&CN) or one of its units (the Chi cục TĐC) inspects, never itself.
    """
    inspector = get_agency(session, inspector_code)
    check_inspector(session, inspector, overseer_code)
    ref = _text(decision_ref, "decision_ref", "Số quyết định phê duyệt kế hoạch", 200, True) or ""
    if decision_on.year not in (year - 1, year):
        raise IsoError(
            f"Ngày quyết định {decision_on:%d/%m/%Y} phải trong năm {year} hoặc năm trước đó.",
            field="decision_on",
        )
    if not entries:
        raise IsoError("Kế hoạch chưa có đơn vị nào được kiểm tra.", field="entries")
    rows = _validate_entries(session, year, entries)
    if any(r[0].id == inspector.id for r in rows):
        raise IsoError(f"{inspector.name} không tự kiểm tra chính mình.", field="entries")
    plan = _plan(session, inspector, year)
    others = (
        session.execute(
            select(AGENCY.c.code)
            .join_from(PlannedInspection, AGENCY, AGENCY.c.id == col(PlannedInspection.agency_id))
            .where(
                col(PlannedInspection.year) == year,
                col(PlannedInspection.agency_id).in_([r[0].id for r in rows]),
                col(PlannedInspection.plan_id) != (plan.id if plan else uuid.uuid4()),
            )
        )
        .scalars()
        .all()
    )
    if others:
        raise IsoError(
            f"Đơn vị {', '.join(sorted(others))} đã có trong kế hoạch kiểm tra năm {year} của "
            "đơn vị kiểm tra khác.",
            field="entries",
        )
    if plan is None:
        plan = InspectionPlan(
            year=year,
            inspector_id=inspector.id,
            decision_ref=ref,
            decision_on=decision_on,
            created_by=actor,
        )
        session.add(plan)
        session.flush()
    else:
        plan.decision_ref, plan.decision_on = ref, decision_on
        session.add(plan)
    existing = {
        p.agency_id: p
        for p in session.exec(
            orm_select(PlannedInspection).where(PlannedInspection.plan_id == plan.id)
        ).all()
    }
    added = changed = 0
    for agency, form, month, on in rows:
        old = existing.get(agency.id)
        new = {"form": form, "planned_month": month, "planned_on": on}
        if old is None:
            session.add(
                PlannedInspection(
                    plan_id=plan.id,
                    agency_id=agency.id,
                    year=year,
                    form=form,
                    planned_month=month,
                    planned_on=on,
                )
            )
            added += 1
            before = None
        else:
            before = {
                "form": old.form,
                "planned_month": old.planned_month,
                "planned_on": old.planned_on,
            }
            if before == new or old.audit_id is not None:
                continue
            old.form, old.planned_month, old.planned_on = form, month, on
            session.add(old)
            changed += 1
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity="inspection_plan",
            entity_id=f"{inspector.code} {ref}"[:100],
            action="planned" if before is None else "updated",
            old=before,
            new={**new, "inspector": inspector.code, "decision": ref, "decision_on": decision_on},
        )
    session.flush()
    coverage = plan_coverage(session=session, plan=plan, rules=rules)
    session.commit()
    return PlanResult(plan, added, changed, coverage, coverage.warnings())


def plan_coverage(*, session: Session, plan: InspectionPlan, rules: RuleSet) -> Coverage:
    """The agencies that must run a QMS that year, and how many the plan covers (on site)."""
    required = set(required_codes(session=session, year=plan.year, rules=rules))
    a = AGENCY.c
    planned = session.execute(
        select(a.code, col(PlannedInspection.form))
        .join_from(PlannedInspection, AGENCY, a.id == col(PlannedInspection.agency_id))
        .where(col(PlannedInspection.plan_id) == plan.id)
    ).all()
    in_scope = [(code, form) for code, form in planned if code in required]
    return Coverage(
        required=len(required),
        planned=len(in_scope),
        onsite=sum(1 for _, form in in_scope if form == "onsite"),
    )


def _entry(session: Session, agency: Agency, year: int) -> PlannedInspection:
    found = session.exec(
        orm_select(PlannedInspection).where(
            PlannedInspection.agency_id == agency.id, PlannedInspection.year == year
        )
    ).all()
    if not found:
        raise IsoError(
            f"Đơn vị {agency.code} không có trong kế hoạch kiểm tra năm {year}; hãy bổ sung "
            "vào kế hoạch trước.",
            field="agency",
        )
    return found[0]


def inspector_of(*, session: Session, agency_code: str, year: int) -> Agency:
    """The inspecting unit whose plan for the year includes the agency (for authorization)."""
    entry = _entry(session, get_agency(session, agency_code), year)
    plan = session.get(InspectionPlan, entry.plan_id)
    assert plan is not None  # foreign key
    inspector = session.get(Agency, plan.inspector_id)
    assert inspector is not None  # foreign key
    return inspector


@dataclass
class RecordResult:
    """What recording a biên bản did: the audit holding the findings and the report-back step."""

    audit: InternalAudit
    step_key: str
    due: date
    nominal_due: date


@_atomic
def record_inspection(
    *,
    session: Session,
    agency_code: str,
    year: int,
    record_ref: str,
    record_on: date,
    findings: Sequence[FindingIn],
    actor: str,
    today: date,
    iso_rules: IsoRules,
    working: WorkingCalendar,
    start_on: date | None = None,
    team: str | None = None,
) -> RecordResult:
    """Record a planned inspection's biên bản and findings, and open the report-back step.

    - The findings go to the agency's year like an audit's (kind "inspection"), so corrective
      actions on them default to the biên bản + 2 months.
    - The step inspection_report:NUMBER is due 2 months after the biên bản (31/12 → end of
      February), moved to the next working day (weekend, Tết); it belongs to the biên bản's year.
    - Refuses an agency not in the year's plan, an inspection already recorded, a future date.
    """
    agency = get_agency(session, agency_code)
    entry = _entry(session, agency, year)
    ref = _text(record_ref, "record_ref", "Số biên bản", MAX_RECORD_NUMBER, True) or ""
    if any(c.isspace() and c != " " for c in ref):
        raise IsoError("Số biên bản phải nằm trên một dòng.", field="record_ref")
    if entry.audit_id is not None:
        held = session.get(InternalAudit, entry.audit_id)
        raise IsoError(
            f"Cuộc kiểm tra năm {year} của {agency.code} đã có biên bản "
            f"{held.ref if held else ''}.",
            field="record_ref",
        )
    _check_not_future(record_on, today, "record_on", "Ngày biên bản")
    plan = session.get(InspectionPlan, entry.plan_id)
    assert plan is not None  # foreign key
    inspector = session.get(Agency, plan.inspector_id)
    assert inspector is not None  # foreign key
    audit = write_audit(
        session=session,
        agency_code=agency.code,
        year=year,
        start_on=start_on or record_on,
        end_on=record_on,
        ref=ref,
        team=team or inspector.name,
        scope_units=[],
        findings=findings,
        actor=actor,
        today=today,
        kind="inspection",
    )
    nominal = iso_rules.after_inspection.after(record_on)
    due = working.on_or_after(nominal)
    key = f"{REPORT_STEP}:{ref}"
    if session.exec(
        orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == key)
    ).first():
        raise IsoError(f"Biên bản số «{ref}» đã được ghi nhận trước đây.", field="record_ref")
    session.execute(
        insert(Step),
        [
            {
                "id": uuid.uuid4(),
                "agency_id": agency.id,
                "year": year,
                "key": key,
                "step_type": REPORT_STEP,
                "title": f"Báo cáo kết quả khắc phục sau kiểm tra (biên bản {ref})"[:300],
                "legal_basis": REPORT_BASIS,
                "nominal_due": nominal,
                "due": due,
                "state": STEP_OPEN,
                "created_at": utcnow(),
            }
        ],
    )
    entry.audit_id, entry.step_key = audit.id, key
    session.add(entry)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="inspection",
        entity_id=ref,
        action="report_back_due",
        old=None,
        new={"inspector": inspector.code, "step": key, "due": due},
    )
    session.commit()
    return RecordResult(audit=audit, step_key=key, due=due, nominal_due=nominal)


@_atomic
def record_report_back(
    *,
    session: Session,
    agency_code: str,
    year: int,
    report_ref: str,
    report_on: date,
    actor: str,
    today: date,
) -> Step:
    """Record the agency's report on its corrective actions; it completes the report-back step.

    - Late if after the due date; a second report replaces the first and moves the step.
    - Refuses a report before the biên bản, in the future, or without a biên bản.
    """
    agency = get_agency(session, agency_code)
    entry = _entry(session, agency, year)
    ref = _text(report_ref, "report_ref", "Số báo cáo kết quả khắc phục", 200, True) or ""
    if entry.audit_id is None or entry.step_key is None:
        raise IsoError(
            f"Cuộc kiểm tra năm {year} của {agency.code} chưa có biên bản; chưa thể báo cáo "
            "kết quả khắc phục.",
            field="report_ref",
        )
    audit = session.get(InternalAudit, entry.audit_id)
    assert audit is not None  # foreign key
    if report_on < audit.end_on:
        raise IsoError(
            f"Ngày báo cáo {report_on:%d/%m/%Y} trước ngày biên bản {audit.end_on:%d/%m/%Y}.",
            field="report_on",
        )
    _check_not_future(report_on, today, "report_on", "Ngày báo cáo")
    step = session.exec(
        orm_select(Step).where(
            Step.agency_id == agency.id, Step.year == year, Step.key == entry.step_key
        )
    ).one()
    old = None if entry.report_ref is None else {"ref": entry.report_ref, "on": entry.report_on}
    replaces = None
    if entry.report_ref is not None and entry.report_on is not None:
        replaces = (entry.report_on, entry.report_ref)
    entry.report_ref, entry.report_on = ref, report_on
    session.add(entry)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="inspection_report",
        entity_id=audit.ref,
        action="reported" if old is None else "updated",
        old=old,
        new={"ref": ref, "on": report_on},
    )
    try:
        # check=False: this step is refused by hand (cycles.check_by_hand), not to its record.
        cycles.complete_from_record(
            session=session,
            step=step,
            done_on=report_on,
            ref=ref,
            actor=actor,
            today=today,
            replaces=replaces,
            check=False,
        )
    except cycles.StepError as exc:
        session.rollback()
        raise IsoError(str(exc), field="report_ref") from exc
    session.commit()
    return step


def _statuses(
    entry: PlannedInspection, audit: InternalAudit | None, step: Step | None, today: date
) -> tuple[str, str]:
    by = planned_by(entry)
    if audit is None:
        status = "not_held" if today > by else "planned"
    else:
        status = "late" if audit.end_on > by else "done"
    if step is None:
        report = "none"
    elif step.state == STEP_OPEN:
        report = "overdue" if today > step.due else "open"
    else:
        report = "done_late" if step.done_on and step.done_on > step.due else "done"
    return status, report


def _rows(
    session: Session, entries: Sequence[PlannedInspection], today: date
) -> list[dict[str, Any]]:
    audits = {
        a.id: a
        for a in session.exec(
            orm_select(InternalAudit).where(
                col(InternalAudit.id).in_([e.audit_id for e in entries if e.audit_id])
            )
        ).all()
    }
    agencies = {
        a.id: a
        for a in session.exec(
            orm_select(Agency).where(col(Agency.id).in_({e.agency_id for e in entries}))
        ).all()
    }
    steps = {
        (s.agency_id, s.key): s
        for s in session.exec(
            orm_select(Step).where(
                col(Step.key).in_([e.step_key for e in entries if e.step_key]),
                col(Step.agency_id).in_({e.agency_id for e in entries}),
            )
        ).all()
    }
    plans = {
        p.id: p
        for p in session.exec(
            orm_select(InspectionPlan).where(
                col(InspectionPlan.id).in_({e.plan_id for e in entries})
            )
        ).all()
    }
    inspectors = {
        a.id: a
        for a in session.exec(
            orm_select(Agency).where(col(Agency.id).in_({p.inspector_id for p in plans.values()}))
        ).all()
    }
    out = []
    for e in entries:
        audit = audits.get(e.audit_id) if e.audit_id else None
        step = steps.get((e.agency_id, e.step_key)) if e.step_key else None
        status, report = _statuses(e, audit, step, today)
        plan = plans[e.plan_id]
        agency = agencies[e.agency_id]
        out.append(
            {
                "agency": agency.code,
                "agency_name": agency.name,
                "year": e.year,
                "inspector": inspectors[plan.inspector_id].code,
                "plan_decision": plan.decision_ref,
                "form": e.form,
                "planned_month": e.planned_month,
                "planned_on": e.planned_on,
                "planned_by": planned_by(e),
                "status": status,
                "record_ref": audit.ref if audit else None,
                "record_on": audit.end_on if audit else None,
                "report_step": e.step_key,
                "report_due": step.due if step else None,
                "report_status": report,
                "report_ref": e.report_ref,
                "report_on": e.report_on,
            }
        )
    return out


def plan_summary(
    *, session: Session, inspector_code: str, year: int, today: date, rules: RuleSet
) -> dict[str, Any]:
    """The inspecting unit's plan for a year: decision, coverage, warnings and every entry."""
    inspector = get_agency(session, inspector_code)
    plan = _plan(session, inspector, year)
    required = len(required_codes(session=session, year=year, rules=rules))
    if plan is None:
        coverage = Coverage(required=required, planned=0, onsite=0)
        entries: list[dict[str, Any]] = []
        decision = None
    else:
        coverage = plan_coverage(session=session, plan=plan, rules=rules)
        found = session.exec(
            orm_select(PlannedInspection).where(PlannedInspection.plan_id == plan.id)
        ).all()
        entries = sorted(_rows(session, found, today), key=lambda r: (r["planned_by"], r["agency"]))
        decision = {"ref": plan.decision_ref, "issued_on": plan.decision_on}
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for row in entries:
        counts[row["status"]] += 1
    return {
        "inspector": inspector.code,
        "inspector_name": inspector.name,
        "year": year,
        "decision": decision,
        "required": coverage.required,
        "planned": coverage.planned,
        "onsite": coverage.onsite,
        "onsite_share": float(coverage.onsite_share),
        "warnings": coverage.warnings() if plan is not None else [],
        "counts": counts,
        "inspections": entries,
    }


def plans_of_year(*, session: Session, year: int) -> list[str]:
    """Codes of the inspecting units that have a plan for the year."""
    a = AGENCY.c
    return list(
        session.execute(
            select(a.code)
            .join_from(InspectionPlan, AGENCY, a.id == col(InspectionPlan.inspector_id))
            .where(col(InspectionPlan.year) == year)
            .order_by(a.code)
        ).scalars()
    )


def agency_inspections(
    *, session: Session, agency_code: str, year: int, today: date
) -> list[dict[str, Any]]:
    """The agency's planned inspections of the year with their record and report-back status."""
    agency = get_agency(session, agency_code)
    found = session.exec(
        orm_select(PlannedInspection).where(
            PlannedInspection.agency_id == agency.id, PlannedInspection.year == year
        )
    ).all()
    return _rows(session, found, today) if found else []
