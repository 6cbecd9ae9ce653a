"""Report requests (the letter that sets a reporting period and deadline), the reports agencies
submit with their file, and the receipt that completes the report step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, UniqueConstraint, insert, select
from sqlmodel import JSON, Column, Field, Session, SQLModel, col, select as orm_select

from models import cycles
from models.agencies import iter_subtree_ids
from models.calendar import WorkingCalendar
from models.iso.base import (
    IsoError,
    _atomic,
    _check_not_future,
    _history,
    _text,
    get_agency,
)
from models.iso.report_checks import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_OVERSEER_CODE,
    MAX_FILE_NAME,
    ReportFileIn,
    check_file,
    check_recipient,
    overseer_id,
)
from models.periods import Period
from models.tables import (
    AGENCY,
    STEP_DONE,
    STEP_OPEN,
    STEP_WAIVED,
    Agency,
    Step,
    instant,
    table_of,
    utcnow,
)

# The report steps a request may set; ad hoc letters make a step of their own per letter.
REPORT_KINDS = cycles.RECEIPT_STEP_TYPES
AD_HOC = "ad_hoc_report"
REPORT_KIND_LABELS = {
    "six_month_report": "Báo cáo 6 tháng",
    "annual_report": "Báo cáo năm",
    AD_HOC: "Báo cáo theo yêu cầu",
}
SUBMITTED, RECEIVED, ACCEPTED, RETURNED = "submitted", "received", "accepted", "returned"
STATUS_LABELS = {
    SUBMITTED: "Đã gửi, chờ tiếp nhận",
    RECEIVED: "Đã tiếp nhận",
    ACCEPTED: "Đã chấp nhận",
    RETURNED: "Trả lại để chỉnh sửa",
}


# A letter asking agencies for a report: its period, deadline, outline and the unit receiving it.
class ReportRequest(SQLModel, table=True):
    __tablename__ = "report_request"
    __table_args__ = (
        UniqueConstraint("unit_id", "letter_number", name="uq_report_request_unit_letter"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The unit that asks and receives (Sở KH&CN, or a district for its communes before 2025).
    unit_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    letter_number: str = Field(max_length=100)
    letter_date: date
    kind: str = Field(max_length=32)
    year: int = Field(index=True)
    step_key: str = Field(max_length=120)
    period_start: date
    period_end: date
    # The deadline the letter states (None: the calendar's), and that day moved to a working day.
    nominal_due: date | None = None
    due: date | None = None
    outline: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=500)
    # The kinds of agency the letter is addressed to ("Các Sở, Ban, ngành"), as data.
    recipient_kinds: list[str] | None = Field(default=None, sa_column=Column(JSON))
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# Which agencies a request asks.
class ReportRequestAgency(SQLModel, table=True):
    __tablename__ = "report_request_agency"

    request_id: uuid.UUID = Field(foreign_key="report_request.id", primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", primary_key=True, index=True)


# A report an agency sent for one report step, and what its recipient did with it.
class Report(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "step_key", name="uq_report_agency_year_step"),
        Index("ix_report_recipient_year", "recipient_id", "year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    year: int
    step_key: str = Field(max_length=120)
    request_id: uuid.UUID | None = Field(default=None, foreign_key="report_request.id", index=True)
    recipient_id: uuid.UUID = Field(foreign_key="agency.id")
    # Nơi nhận as the report writes it ("BCĐ ISO thị xã; Phòng Kinh tế").
    addressed_to: str | None = Field(default=None, max_length=500)
    # Number and date as written; seeds 002 and 003 leave the number (and 003 the date) blank.
    number: str | None = Field(default=None, max_length=100)
    report_date: date | None = None
    status: str = Field(default=SUBMITTED, max_length=16)
    file_name: str | None = Field(default=None, max_length=MAX_FILE_NAME)
    content_type: str | None = Field(default=None, max_length=100)
    file_size: int | None = None
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = instant(default_factory=utcnow)
    received_on: date | None = None
    received_by: str | None = Field(default=None, max_length=200)
    decided_by: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=2000)


# The report's file, apart from the report row so that lists never read it; in the database,
# so a backup carries it.
class ReportFile(SQLModel, table=True):
    __tablename__ = "report_file"

    report_id: uuid.UUID = Field(foreign_key="report.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


REQUEST = table_of(ReportRequest)
REQUEST_AGENCY = table_of(ReportRequestAgency)
REPORT = table_of(Report)


def _vn(day: date | None) -> str:
    return "" if day is None else f"{day.day}/{day.month}/{day.year}"


# --- requests -----------------------------------------------------------------------------------


@_atomic
def create_request(
    *,
    session: Session,
    unit_code: str,
    letter_number: str,
    letter_date: date,
    kind: str,
    period: Period,
    agency_codes: Iterable[str] = (),
    recipient_kinds: Iterable[str] = (),
    due: date | None = None,
    outline: str | None = None,
    title: str | None = None,
    actor: str,
    today: date,
    working: WorkingCalendar,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> ReportRequest:
    """Record a report request letter and set each asked agency's report step to its deadline.

    - `kind` six_month_report or annual_report sets that calendar step of the year the period
      ends in (created when the year's cycle is open and the agency lacks it); ad_hoc_report
      makes a step "report:LETTER" of its own. The deadline moves to the next working day.
    - The asked agencies are the codes given plus every agency of `recipient_kinds` in operation
      on the letter's date; the requesting unit never asks itself.
    - Only the overseer asks any agency; another unit asks only the agencies under it (a
      district its communes), and its `recipient_kinds` reach only those.
    """
    unit = get_agency(session, unit_code)
    number = _text(letter_number, "letter_number", "Số công văn", 100, required=True) or ""
    if any(c.isspace() and c != " " for c in number):
        raise IsoError("Số công văn phải nằm trên một dòng.", field="letter_number")
    if kind not in REPORT_KIND_LABELS:
        choices = ", ".join(f"{v} ({k})" for k, v in REPORT_KIND_LABELS.items())
        raise IsoError(f"Không có loại báo cáo «{kind}»; chọn một trong: {choices}.", field="kind")
    _check_not_future(letter_date, today, "letter_date", "Ngày công văn")
    if due is not None and due < letter_date:
        raise IsoError(
            f"Hạn gửi báo cáo {_vn(due)} trước ngày công văn {_vn(letter_date)}.", field="due"
        )
    outline_text = _text(outline, "outline", "Đề cương", 200)
    title_text = _text(title, "title", "Trích yếu", 500)
    kinds = sorted({k.strip() for k in recipient_kinds if k.strip()})
    codes = list(dict.fromkeys(c.strip() for c in agency_codes if c.strip()))
    a = AGENCY.c
    found = dict(session.execute(select(a.code, a.id).where(a.code.in_(codes))).tuples().all())
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise IsoError(
            f"Không có đơn vị mã {', '.join(f'«{c}»' for c in unknown)}.", field="agencies"
        )
    ids = dict.fromkeys(found[c] for c in codes)
    under: set[uuid.UUID] | None = None  # None: the overseer, who asks anyone
    if unit.id != overseer_id(session, overseer_code):
        under = set(iter_subtree_ids(session=session, root_id=unit.id)) - {unit.id}
        outside = [c for c in codes if found[c] not in under]
        if outside:
            raise IsoError(
                f"{unit.name} chỉ yêu cầu báo cáo các đơn vị cấp dưới; "
                f"{', '.join(f'«{c}»' for c in outside)} không thuộc đơn vị. Công văn gửi các "
                "đơn vị khác do đơn vị chủ trì (Sở KH&CN) ghi nhận.",
                field="agencies",
            )
    if kinds:
        rows = session.execute(
            select(a.id, a.active, a.valid_from, a.valid_to).where(a.kind.in_(kinds))
        ).all()
        ids |= dict.fromkeys(
            r.id
            for r in rows
            if cycles.agency_exists_on(r, letter_date) and (under is None or r.id in under)
        )
    ids.pop(unit.id, None)
    if not ids:
        raise IsoError("Công văn chưa gửi tới đơn vị nào.", field="agencies")
    exists = session.exec(
        orm_select(ReportRequest).where(
            ReportRequest.unit_id == unit.id, ReportRequest.letter_number == number
        )
    ).first()
    if exists is not None:
        raise IsoError(
            f"Công văn số «{number}» của {unit.name} đã được ghi nhận trước đây.",
            field="letter_number",
        )
    year = period.end.year
    step_key = f"report:{number}" if kind == AD_HOC else kind
    if len(step_key) > 120:
        raise IsoError("Số công văn dài quá.", field="letter_number")
    effective = working.on_or_after(due) if due is not None else None
    request = ReportRequest(
        unit_id=unit.id,
        letter_number=number,
        letter_date=letter_date,
        kind=kind,
        year=year,
        step_key=step_key,
        period_start=period.start,
        period_end=period.end,
        nominal_due=due,
        due=effective,
        outline=outline_text,
        title=title_text,
        recipient_kinds=kinds or None,
        created_by=actor,
    )
    session.add(request)
    session.flush()
    session.execute(
        insert(ReportRequestAgency), [{"request_id": request.id, "agency_id": i} for i in ids]
    )
    cycle_open = kind == AD_HOC or cycles.year_is_open(session=session, year=year)
    step_title = f"{REPORT_KIND_LABELS[kind]} gửi {unit.name}"
    if kind == AD_HOC:
        step_title = f"{step_title} theo công văn {number}"
    for agency_id in ids:
        step = session.exec(
            orm_select(Step).where(
                Step.agency_id == agency_id, Step.year == year, Step.key == step_key
            )
        ).one_or_none()
        if step is None:
            if not cycle_open:
                continue
            if effective is None:
                continue  # no calendar step and no deadline: nothing to remind
            step = Step(
                agency_id=agency_id,
                year=year,
                key=step_key,
                step_type=kind,
                title=step_title[:300],
                legal_basis=f"Công văn {number} ngày {_vn(letter_date)}"[:300],
                nominal_due=due or effective,
                due=effective,
            )
            session.add(step)
        else:
            if effective is not None:
                step.nominal_due, step.due = due or effective, effective
            step.title = step_title[:300]
            session.add(step)
        _history(
            session,
            actor=actor,
            agency_id=agency_id,
            year=year,
            entity="report_request",
            entity_id=number,
            action="requested",
            old=None,
            new={
                "letter": number,
                "letter_date": letter_date,
                "unit": unit.code,
                "period_start": period.start,
                "period_end": period.end,
                "due": effective,
                "step": step_key,
            },
        )
    session.commit()
    return request


def get_request(*, session: Session, unit_code: str, letter_number: str) -> ReportRequest:
    """A request by its unit and letter number; IsoError when there is none."""
    unit = get_agency(session, unit_code)
    request = session.exec(
        orm_select(ReportRequest).where(
            ReportRequest.unit_id == unit.id, ReportRequest.letter_number == letter_number.strip()
        )
    ).one_or_none()
    if request is None:
        raise IsoError(
            f"Không có công văn số «{letter_number}» của {unit.name}.", field="letter_number"
        )
    return request


def request_out(session: Session, request: ReportRequest) -> dict[str, Any]:
    """A request as the CLI and the API show it."""
    codes = dict(session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples().all())
    asked = session.execute(
        select(REQUEST_AGENCY.c.agency_id).where(REQUEST_AGENCY.c.request_id == request.id)
    ).scalars()
    return {
        "unit": codes[request.unit_id],
        "letter_number": request.letter_number,
        "letter_date": request.letter_date,
        "kind": request.kind,
        "kind_label": REPORT_KIND_LABELS[request.kind],
        "year": request.year,
        "step": request.step_key,
        "period_start": request.period_start,
        "period_end": request.period_end,
        "period_label": Period(request.period_start, request.period_end).label,
        "nominal_due": request.nominal_due,
        "due": request.due,
        "outline": request.outline,
        "title": request.title,
        "recipient_kinds": request.recipient_kinds or [],
        "agencies": sorted(codes[i] for i in asked),
    }


def list_requests(
    *, session: Session, unit_code: str | None = None, agency_code: str | None = None
) -> list[ReportRequest]:
    """Requests sent by a unit, or addressed to an agency (or all), oldest letter first."""
    query = orm_select(ReportRequest)
    if unit_code:
        query = query.where(ReportRequest.unit_id == get_agency(session, unit_code).id)
    if agency_code:
        agency = get_agency(session, agency_code)
        query = query.join(
            ReportRequestAgency, col(ReportRequestAgency.request_id) == col(ReportRequest.id)
        ).where(ReportRequestAgency.agency_id == agency.id)
    return list(session.exec(query.order_by(ReportRequest.letter_date)).all())  # type: ignore[arg-type]


# --- reports ------------------------------------------------------------------------------------


def _report_step(session: Session, agency: Agency, year: int, step_key: str) -> Step:
    step = session.exec(
        orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == step_key)
    ).one_or_none()
    if step is None or step.step_type not in REPORT_KINDS:
        raise IsoError(
            f"Đơn vị {agency.code} không có bước báo cáo «{step_key}» trong năm {year}.",
            field="step",
        )
    return step


def _find_report(session: Session, agency: Agency, year: int, step_key: str) -> Report | None:
    return session.exec(
        orm_select(Report).where(
            Report.agency_id == agency.id, Report.year == year, Report.step_key == step_key
        )
    ).one_or_none()


def get_report(*, session: Session, agency_code: str, year: int, step_key: str) -> Report:
    """An agency's report for a step; IsoError when it has not sent one."""
    agency = get_agency(session, agency_code)
    report = _find_report(session, agency, year, step_key)
    if report is None:
        raise IsoError(
            f"Đơn vị {agency.code} chưa gửi báo cáo «{step_key}» năm {year}.", field="step"
        )
    return report


@_atomic
def submit_report(
    *,
    session: Session,
    agency_code: str,
    year: int,
    step_key: str,
    number: str | None,
    report_date: date | None,
    actor: str,
    today: date,
    file: ReportFileIn | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    letter_number: str | None = None,
    unit_code: str | None = None,
    addressed_to: str | None = None,
    require_file: bool = True,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> Report:
    """Record an agency's report for a step, with its file; a returned report is sent again.

    - The recipient is the request's unit (the letter it answers), else `unit_code`, else the
      unit of the latest request for that step; the step stays open until the recipient records
      receipt.
    - Refuses a report already received or accepted, a future date, or a file that is not a real
      .pdf/.docx within the size limit; nothing is written then.
    """
    agency = get_agency(session, agency_code)
    step = _report_step(session, agency, year, step_key)
    number_text = _text(number, "number", "Số báo cáo", 100)
    if report_date is not None:
        _check_not_future(report_date, today, "report_date", "Ngày báo cáo")
    addressed = _text(addressed_to, "addressed_to", "Nơi nhận", 500)
    stored: tuple[str, str] | None = None
    if file is not None:
        stored = check_file(file, max_file_bytes)
    elif require_file:
        raise IsoError("Chưa chọn tệp báo cáo (.pdf hoặc .docx).", field="file")
    request = _request_for(session, agency, step, letter_number, unit_code)
    if request is not None:
        recipient_id = request.unit_id
    elif unit_code:
        recipient = get_agency(session, unit_code)
        check_recipient(session, agency, recipient, overseer_code)
        recipient_id = recipient.id
    else:
        raise IsoError(
            "Chưa có công văn yêu cầu cho bước này; hãy nêu đơn vị nhận báo cáo.", field="unit"
        )
    report = _find_report(session, agency, year, step_key)
    old: dict[str, Any] | None = None
    if report is not None:
        if report.status != RETURNED:
            raise IsoError(
                f"Báo cáo này đã gửi ({STATUS_LABELS[report.status].lower()}); chỉ gửi lại "
                "được khi đơn vị nhận trả lại.",
                field="step",
            )
        old = _report_values(report)
    else:
        report = Report(
            agency_id=agency.id, year=year, step_key=step_key, recipient_id=recipient_id,
            submitted_by=actor,
        )  # fmt: skip
    report.request_id = request.id if request is not None else None
    report.recipient_id = recipient_id
    report.addressed_to = addressed
    report.number, report.report_date = number_text, report_date
    report.status, report.received_on, report.received_by = SUBMITTED, None, None
    report.decided_by = None
    report.submitted_by, report.submitted_at = actor, utcnow()
    if stored is not None and file is not None:
        report.file_name, report.content_type = stored
        report.file_size = len(file.data)
    session.add(report)
    session.flush()
    if stored is not None and file is not None:
        blob = session.get(ReportFile, report.id)
        if blob is None:
            session.add(ReportFile(report_id=report.id, data=file.data))
        else:
            blob.data = file.data
            session.add(blob)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="report",
        entity_id=step_key,
        action="resubmitted" if old else "submitted",
        old=old,
        new=_report_values(report),
    )
    session.commit()
    return report


def _request_for(
    session: Session, agency: Agency, step: Step, letter: str | None, unit_code: str | None
) -> ReportRequest | None:
    query = (
        orm_select(ReportRequest)
        .join(ReportRequestAgency, col(ReportRequestAgency.request_id) == col(ReportRequest.id))
        .where(
            ReportRequestAgency.agency_id == agency.id,
            ReportRequest.year == step.year,
            ReportRequest.step_key == step.key,
        )
    )
    if letter:
        found = session.exec(
            query.where(ReportRequest.letter_number == letter.strip())
        ).one_or_none()
        if found is None:
            raise IsoError(
                f"Công văn số «{letter}» không yêu cầu {agency.code} gửi báo cáo này.",
                field="letter_number",
            )
        return found
    if unit_code:
        query = query.where(ReportRequest.unit_id == get_agency(session, unit_code).id)
    return session.exec(query.order_by(ReportRequest.letter_date.desc())).first()  # type: ignore[attr-defined]


def _report_values(report: Report) -> dict[str, Any]:
    return {
        "number": report.number,
        "report_date": report.report_date,
        "status": report.status,
        "file_name": report.file_name,
        "file_size": report.file_size,
        "received_on": report.received_on,
        "comment": report.comment,
    }


def _decide(
    session: Session, report: Report, actor: str, action: str, changes: dict[str, Any]
) -> None:
    old = _report_values(report)
    for name, value in changes.items():
        setattr(report, name, value)
    session.add(report)
    _history(
        session,
        actor=actor,
        agency_id=report.agency_id,
        year=report.year,
        entity="report",
        entity_id=report.step_key,
        action=action,
        old=old,
        new=_report_values(report),
    )


@_atomic
def record_receipt(
    *,
    session: Session,
    agency_code: str,
    year: int,
    step_key: str,
    received_on: date,
    actor: str,
    today: date,
) -> Report:
    """The recipient records the day it received the report; that completes the report step.

    - Refuses a date in the future or before the report's own date, and a report already
      received (returned reports are received again after they are sent again).
    """
    report = get_report(session=session, agency_code=agency_code, year=year, step_key=step_key)
    if report.status != SUBMITTED:
        raise IsoError(
            f"Báo cáo đang ở trạng thái «{STATUS_LABELS[report.status]}»; chỉ tiếp nhận báo cáo "
            "vừa gửi.",
            field="status",
        )
    _check_not_future(received_on, today, "received_on", "Ngày nhận")
    if report.report_date is not None and received_on < report.report_date:
        raise IsoError(
            f"Ngày nhận {_vn(received_on)} trước ngày báo cáo {_vn(report.report_date)}.",
            field="received_on",
        )
    step = session.exec(
        orm_select(Step).where(
            Step.agency_id == report.agency_id, Step.year == year, Step.key == step_key
        )
    ).one()
    if step.state == STEP_WAIVED:
        raise IsoError(
            f"Bước «{step.title}» đã được miễn ({step.waive_reason or 'không nêu lý do'}); "
            "mở lại bước trước khi ghi nhận đã nhận báo cáo.",
            field="received_on",
        )
    _decide(
        session, report, actor, "received",
        {"status": RECEIVED, "received_on": received_on, "received_by": actor, "comment": None},
    )  # fmt: skip
    session.flush()
    try:
        cycles.mark_done(
            session=session,
            step=step,
            done_on=received_on,
            ref=report.number or "(chưa ghi số)",
            note=f"Đơn vị nhận ghi nhận đã nhận ngày {_vn(received_on)}",
            actor=actor,
            today=today,
            check=False,
        )
    except cycles.StepError as exc:
        session.rollback()
        raise IsoError(str(exc)) from exc
    session.commit()
    return report


@_atomic
def accept_report(
    *, session: Session, agency_code: str, year: int, step_key: str, actor: str
) -> Report:
    """The recipient accepts a received report (the step stays done)."""
    report = get_report(session=session, agency_code=agency_code, year=year, step_key=step_key)
    if report.status != RECEIVED:
        raise IsoError(
            f"Chỉ chấp nhận được báo cáo đã tiếp nhận; báo cáo này đang ở trạng thái "
            f"«{STATUS_LABELS[report.status]}».",
            field="status",
        )
    _decide(session, report, actor, "accepted", {"status": ACCEPTED, "decided_by": actor})
    session.commit()
    return report


@_atomic
def return_report(
    *, session: Session, agency_code: str, year: int, step_key: str, comment: str, actor: str
) -> Report:
    """The recipient returns a report with a comment; its step opens again (and is reminded)."""
    text = _text(comment, "comment", "Ý kiến khi trả lại", 2000, required=True)
    report = get_report(session=session, agency_code=agency_code, year=year, step_key=step_key)
    if report.status not in (SUBMITTED, RECEIVED, ACCEPTED):
        raise IsoError("Báo cáo này đã được trả lại, đang chờ đơn vị gửi lại.", field="status")
    _decide(
        session, report, actor, "returned",
        {"status": RETURNED, "comment": text, "decided_by": actor, "received_on": None},
    )  # fmt: skip
    session.flush()
    step = session.exec(
        orm_select(Step).where(
            Step.agency_id == report.agency_id, Step.year == year, Step.key == step_key
        )
    ).one()
    if step.state != STEP_OPEN:
        cycles.reopen(session=session, step=step, reason=f"Báo cáo bị trả lại: {text}", actor=actor)
    session.commit()
    return report


def report_file(*, session: Session, report: Report) -> bytes | None:
    """The stored file of a report."""
    blob = session.get(ReportFile, report.id)
    return None if blob is None else blob.data


@dataclass(frozen=True)
class _NoStep:
    """An asked agency's row when it has no report step (its year's cycle is not opened)."""

    agency_id: uuid.UUID
    year: int
    key: str
    due: date | None
    state: str | None
    done_on: date | None
    title: str
    code: str
    name: str


def on_time(due: date, received_on: date | None) -> bool | None:
    """Whether a report was on time: received on or before its (working-day) deadline."""
    return None if received_on is None else received_on <= due


def report_rows(
    *,
    session: Session,
    today: date,
    request: ReportRequest | None = None,
    agency_ids: Iterable[uuid.UUID] | None = None,
    year: int | None = None,
    step_key: str | None = None,
) -> list[dict[str, Any]]:
    """One row per asked agency (of a request), or per report step: who sent, was received,
    accepted, returned, and who is late (deadline passed without receipt)."""
    s = table_of(Step).c
    query = select(
        s.agency_id, s.year, s.key, s.due, s.state, s.done_on, s.title, AGENCY.c.code,
        AGENCY.c.name,
    ).join(AGENCY, AGENCY.c.id == s.agency_id)  # fmt: skip
    if request is not None:
        asked = select(REQUEST_AGENCY.c.agency_id).where(REQUEST_AGENCY.c.request_id == request.id)
        query = query.where(
            s.agency_id.in_(asked), s.year == request.year, s.key == request.step_key
        )
    else:
        query = query.where(s.step_type.in_(REPORT_KINDS))
        if year is not None:
            query = query.where(s.year == year)
        if step_key is not None:
            query = query.where(s.key == step_key)
    if agency_ids is not None:
        query = query.where(s.agency_id.in_(list(agency_ids)))
    steps: list[Any] = list(session.execute(query.order_by(AGENCY.c.code, s.year, s.due)).all())
    if request is not None:
        # An asked agency without the step (its year's cycle not opened) is listed all the same.
        have = {st.agency_id for st in steps}
        missing = session.execute(
            select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name)
            .where(AGENCY.c.id.in_(asked), AGENCY.c.id.not_in(have))
            .order_by(AGENCY.c.code)
        ).all()
        title = f"{REPORT_KIND_LABELS[request.kind]} theo công văn {request.letter_number}"
        steps += [
            _NoStep(m.id, request.year, request.step_key, request.due, None, None, title, m.code,
                    m.name)
            for m in missing
            if agency_ids is None or m.id in set(agency_ids)
        ]  # fmt: skip
        steps.sort(key=lambda st: st.code)
    reports = {
        (r.agency_id, r.year, r.step_key): r
        for r in session.exec(
            orm_select(Report).where(
                Report.agency_id.in_({st.agency_id for st in steps})  # type: ignore[attr-defined]
            )
        ).all()
    }
    codes = dict(session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples().all())
    rows = []
    for st in steps:
        rep = reports.get((st.agency_id, st.year, st.key))
        received = rep.received_on if rep is not None else None
        if st.due is None:
            late = False
        elif received:
            late = received > st.due
        else:
            late = st.state != STEP_DONE and today > st.due
        if rep is not None:
            label = STATUS_LABELS[rep.status]
        elif st.state == STEP_DONE:
            label = "Đã hoàn thành (ghi nhận trước đây, không kèm báo cáo)"
        else:
            label = "Chưa gửi"
        rows.append(
            {
                "agency": st.code,
                "agency_name": st.name,
                "year": st.year,
                "step": st.key,
                "title": st.title,
                "due": st.due,
                "step_state": st.state,
                "status": rep.status if rep else None,
                "status_label": label,
                "number": rep.number if rep else None,
                "report_date": rep.report_date if rep else None,
                "recipient": codes.get(rep.recipient_id) if rep else None,
                "addressed_to": rep.addressed_to if rep else None,
                "file_name": rep.file_name if rep else None,
                "file_size": rep.file_size if rep else None,
                "received_on": received,
                "comment": rep.comment if rep else None,
                "on_time": None if st.due is None else on_time(st.due, received),
                "late": bool(late),
            }
        )
    return rows
