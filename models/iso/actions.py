"""Corrective actions (hành động khắc phục) and the check of their effectiveness (hiệu lực)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import UniqueConstraint, insert, select
from sqlmodel import Field, Session, SQLModel, col, select as orm_select

from models import cycles
from models.calendar import WorkingCalendar
from models.iso.audits import Finding, InternalAudit
from models.iso.base import (
    ACTION_BASIS,
    ACTION_BASIS_INSPECTION,
    ACTION_STEP,
    VERIFY_STEP,
    IsoError,
    IsoRules,
    _atomic,
    _check_not_future,
    _fail_step,
    _history,
    _next_number,
    _required_step,
    _step,
    _text,
    get_agency,
)
from models.tables import (
    STEP_DONE,
    STEP_OPEN,
    Agency,
    Step,
    instant,
    table_of,
    utcnow,
)


# A corrective action (hành động khắc phục) and its effectiveness check (xác nhận hiệu lực).
class CorrectiveAction(SQLModel, table=True):
    __tablename__ = "corrective_action"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "number", name="uq_action_agency_year_number"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    number: int
    finding_id: uuid.UUID = Field(foreign_key="finding.id", index=True)
    description: str = Field(max_length=4000)
    owner_name: str = Field(max_length=200)
    owner_email: str | None = Field(default=None, max_length=254)
    due: date
    done_on: date | None = None
    verify_due: date
    verified_on: date | None = None
    verified_by: str | None = Field(default=None, max_length=200)
    # None until checked; False sends the action back to be done again.
    effective: bool | None = None
    created_at: datetime = instant(default_factory=utcnow)


# --- corrective actions -------------------------------------------------------------------------


def _action(session: Session, agency: Agency, year: int, number: int) -> CorrectiveAction:
    action = session.exec(
        orm_select(CorrectiveAction).where(
            CorrectiveAction.agency_id == agency.id,
            CorrectiveAction.year == year,
            CorrectiveAction.number == number,
        )
    ).one_or_none()
    if action is None:
        raise IsoError(
            f"Đơn vị {agency.code} không có hành động khắc phục #{number} năm {year}.",
            field="action",
        )
    return action


def _action_state(action: CorrectiveAction) -> dict[str, Any]:
    return {
        "description": action.description,
        "owner_name": action.owner_name,
        "owner_email": action.owner_email,
        "due": action.due,
        "done_on": action.done_on,
        "verify_due": action.verify_due,
        "verified_on": action.verified_on,
        "verified_by": action.verified_by,
        "effective": action.effective,
    }


def is_closed(action: CorrectiveAction) -> bool:
    """Closed means carried out and confirmed effective."""
    return action.done_on is not None and action.verified_on is not None and bool(action.effective)


@_atomic
def add_action(
    *,
    session: Session,
    agency_code: str,
    year: int,
    finding_number: int,
    owner_name: str,
    owner_email: str | None,
    description: str,
    actor: str,
    rules: IsoRules,
    working: WorkingCalendar,
    due: date | None = None,
) -> CorrectiveAction:
    """Open a corrective action on a finding, with its two steps (action and verification).

    - The due date defaults to audit end + 30 days, or biên bản + 2 months after an inspection,
      moved to the next working day; a due date before the audit is refused.
    """
    agency = get_agency(session, agency_code)
    finding = session.exec(
        orm_select(Finding).where(
            Finding.agency_id == agency.id, Finding.year == year, Finding.number == finding_number
        )
    ).one_or_none()
    if finding is None:
        raise IsoError(
            f"Đơn vị {agency_code} không có phát hiện #{finding_number} năm {year}.",
            field="finding",
        )
    audit = session.get(InternalAudit, finding.audit_id)
    assert audit is not None  # a finding always belongs to an audit (foreign key)
    owner = _text(owner_name, "owner_name", "Người phụ trách", 200, required=True) or ""
    text = _text(description, "description", "Nội dung hành động", 4000, required=True) or ""
    email = None
    if owner_email:
        try:
            email = validate_email(owner_email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise IsoError(
                f"E-mail người phụ trách «{owner_email}» không phải địa chỉ e-mail hợp lệ.",
                field="owner_email",
            ) from exc
    inspection = audit.kind == "inspection"
    if due is None:
        offset = rules.after_inspection if inspection else rules.after_audit
        nominal = offset.after(audit.end_on)
        due = working.on_or_after(nominal)
    else:
        nominal = due
        if due < audit.start_on:
            raise IsoError(
                f"Hạn hoàn thành {due:%d/%m/%Y} trước cuộc đánh giá {audit.ref} "
                f"({audit.start_on:%d/%m/%Y}); hành động không thể đến hạn trước khi phát hiện.",
                field="due",
            )
    verify_nominal = rules.verification.after(due)
    verify_due = working.on_or_after(verify_nominal)
    number = _next_number(session, CorrectiveAction, agency.id, year)
    action = CorrectiveAction(
        agency_id=agency.id,
        year=year,
        number=number,
        finding_id=finding.id,
        description=text,
        owner_name=owner,
        owner_email=email,
        due=due,
        verify_due=verify_due,
    )
    session.add(action)
    now = utcnow()
    basis = ACTION_BASIS_INSPECTION if inspection else ACTION_BASIS
    session.execute(
        insert(Step),
        [
            {
                "id": uuid.uuid4(),
                "agency_id": agency.id,
                "year": year,
                "key": f"{ACTION_STEP}:{number}",
                "step_type": ACTION_STEP,
                "title": f"Hành động khắc phục #{number}: {text}"[:300],
                "legal_basis": basis,
                "nominal_due": nominal,
                "due": due,
                "assignee_name": owner,
                "assignee_email": email,
                "state": STEP_OPEN,
                "created_at": now,
            },
            {
                "id": uuid.uuid4(),
                "agency_id": agency.id,
                "year": year,
                "key": f"{VERIFY_STEP}:{number}",
                "step_type": VERIFY_STEP,
                "title": f"Xác nhận hiệu lực hành động khắc phục #{number}",
                "legal_basis": basis,
                "nominal_due": verify_nominal,
                "due": verify_due,
                "state": STEP_OPEN,
                "created_at": now,
            },
        ],
    )
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="corrective_action",
        entity_id=str(number),
        action="created",
        old=None,
        new={"finding": finding_number, **_action_state(action)},
    )
    session.flush()
    _sync_year_step(session, agency, year, actor)
    session.commit()
    return action


@_atomic
def complete_action(
    *,
    session: Session,
    agency_code: str,
    year: int,
    number: int,
    done_on: date,
    actor: str,
    today: date,
    ref: str | None = None,
) -> CorrectiveAction:
    """Record that an action was carried out; its step is done (late if after its due date)."""
    agency = get_agency(session, agency_code)
    action = _action(session, agency, year, number)
    _check_not_future(done_on, today, "done_on", "Ngày hoàn thành")
    audit_start = session.execute(
        select(table_of(InternalAudit).c.start_on)
        .join_from(
            table_of(InternalAudit),
            table_of(Finding),
            table_of(Finding).c.audit_id == table_of(InternalAudit).c.id,
        )
        .where(table_of(Finding).c.id == action.finding_id)
    ).scalar_one()
    if done_on < audit_start:
        raise IsoError(
            f"Ngày hoàn thành {done_on:%d/%m/%Y} trước cuộc đánh giá ({audit_start:%d/%m/%Y}).",
            field="done_on",
        )
    step = _required_step(session, agency, year, f"{ACTION_STEP}:{number}")
    verify = _required_step(session, agency, year, f"{VERIFY_STEP}:{number}")
    old = _action_state(action)
    action.done_on = done_on
    # Doing it again after an ineffective check starts a new check.
    action.verified_on, action.verified_by, action.effective = None, None, None
    session.add(action)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="corrective_action",
        entity_id=str(number),
        action="done",
        old=old,
        new=_action_state(action),
    )
    try:
        if verify.state == STEP_DONE:
            cycles.reopen(
                session=session,
                step=verify,
                reason="hành động khắc phục được thực hiện lại",
                actor=actor,
            )
        cycles.mark_done(
            session=session,
            step=step,
            done_on=done_on,
            ref=_text(ref, "ref", "Số văn bản", 200) or f"HĐKH #{number}",
            note=None,
            actor=actor,
            today=today,
            check=False,
        )
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc
    _sync_year_step(session, agency, year, actor)
    session.commit()
    return action


@_atomic
def verify_action(
    *,
    session: Session,
    agency_code: str,
    year: int,
    number: int,
    verified_on: date,
    verified_by: str,
    effective: bool,
    actor: str,
    today: date,
    rules: IsoRules,
    working: WorkingCalendar,
    new_due: date | None = None,
) -> CorrectiveAction:
    """Record the effectiveness check of a done action.

    - Effective: the action is closed, and the year's corrective_actions step completes once
      every action is.
    - Not effective: the action goes back to open with a new due date (given, or the default
      offset after the check), and its verification falls due again after that.
    """
    agency = get_agency(session, agency_code)
    action = _action(session, agency, year, number)
    by = _text(verified_by, "verified_by", "Người xác nhận", 200, required=True)
    if action.done_on is None:
        raise IsoError(
            f"Hành động khắc phục #{number} chưa được thực hiện; ghi nhận hoàn thành trước khi "
            "xác nhận hiệu lực.",
            field="action",
        )
    if verified_on < action.done_on:
        raise IsoError(
            f"Ngày xác nhận {verified_on:%d/%m/%Y} trước ngày hoàn thành hành động "
            f"({action.done_on:%d/%m/%Y}).",
            field="verified_on",
        )
    _check_not_future(verified_on, today, "verified_on", "Ngày xác nhận")
    due = new_due or working.on_or_after(rules.after_audit.after(verified_on))
    if not effective and due < verified_on:
        raise IsoError(
            f"Hạn mới {due:%d/%m/%Y} trước ngày xác nhận ({verified_on:%d/%m/%Y}).",
            field="new_due",
        )
    step = _required_step(session, agency, year, f"{ACTION_STEP}:{number}")
    verify = _required_step(session, agency, year, f"{VERIFY_STEP}:{number}")
    old = _action_state(action)
    action.verified_on, action.verified_by, action.effective = verified_on, by, effective
    try:
        if effective:
            cycles.mark_done(
                session=session,
                step=verify,
                done_on=verified_on,
                ref=f"Xác nhận hiệu lực #{number}",
                note=f"{by}: có hiệu lực",
                actor=actor,
                today=today,
                check=False,
            )
        else:
            action.done_on, action.due = None, due
            action.verify_due = working.on_or_after(rules.verification.after(due))
            cycles.reopen(
                session=session,
                step=step,
                reason=f"chưa có hiệu lực (người xác nhận: {by})",
                actor=actor,
            )
            step.due = step.nominal_due = due
            verify.due = verify.nominal_due = action.verify_due
            session.add_all([step, verify])
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc
    session.add(action)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="corrective_action",
        entity_id=str(number),
        action="verified" if effective else "not_effective",
        old=old,
        new=_action_state(action),
    )
    _sync_year_step(session, agency, year, actor)
    session.commit()
    return action


def _sync_year_step(session: Session, agency: Agency, year: int, actor: str) -> None:
    """Complete the year's corrective_actions step when every action is closed.

    - Once done it stays done: an action added later (a second audit, an inspection) or found
      not effective has its own steps, due and reminded, and never turns the year's step late.
    - A waived step is reopened while an action is not closed.
    """
    step = _step(session, agency, year, "corrective_actions")
    if step is None or step.state == STEP_DONE:
        return
    session.flush()
    actions = session.exec(
        orm_select(CorrectiveAction).where(
            CorrectiveAction.agency_id == agency.id, CorrectiveAction.year == year
        )
    ).all()
    if not actions:
        return
    if all(is_closed(a) for a in actions):
        last = max(a.verified_on for a in actions if a.verified_on is not None)
        cycles.complete_from_record(
            session=session,
            step=step,
            done_on=last,
            ref=f"{len(actions)}/{len(actions)} HĐKH đã xác nhận hiệu lực",
            actor=actor,
            today=last,
            check=False,
        )
    elif step.state != STEP_OPEN:
        open_count = sum(not is_closed(a) for a in actions)
        cycles.reopen(
            session=session,
            step=step,
            reason=f"còn {open_count} hành động khắc phục chưa xác nhận hiệu lực",
            actor=actor,
        )


def list_actions(
    *, session: Session, agency_code: str, year: int, today: date
) -> list[dict[str, Any]]:
    """Return the year's actions with their finding, status and days overdue."""
    agency = get_agency(session, agency_code)
    f = table_of(Finding).c
    numbers = dict(
        session.execute(select(f.id, f.number).where(f.agency_id == agency.id, f.year == year))
        .tuples()
        .all()
    )
    actions = session.exec(
        orm_select(CorrectiveAction)
        .where(CorrectiveAction.agency_id == agency.id, CorrectiveAction.year == year)
        .order_by(col(CorrectiveAction.number))
    ).all()
    out = []
    for a in actions:
        if is_closed(a):
            status = "closed"
        elif a.done_on is not None:
            status = "awaiting_verification"
        else:
            status = "overdue" if today > a.due else "open"
        out.append(
            {
                "number": a.number,
                "finding": numbers.get(a.finding_id),
                "description": a.description,
                "owner_name": a.owner_name,
                "owner_email": a.owner_email,
                "due": a.due,
                "done_on": a.done_on,
                "verify_due": a.verify_due,
                "verified_on": a.verified_on,
                "verified_by": a.verified_by,
                "effective": a.effective,
                "status": status,
                "days_late": max((a.done_on - a.due).days, 0) if a.done_on else 0,
                "days_overdue": max((today - a.due).days, 0) if a.done_on is None else 0,
            }
        )
    return out
