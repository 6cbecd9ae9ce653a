"""Internal audits and Sở KH&CN inspections recorded in a biên bản, and their numbered findings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, func, select
from sqlmodel import Column, Field, Session, SQLModel, col, select as orm_select

from models.iso.base import (
    AUDIT_KINDS,
    SEVERITIES,
    FieldError,
    IsoError,
    Origin,
    _atomic,
    _check_not_future,
    _complete_step,
    _file_origin,
    _history,
    _in_row,
    _next_number,
    _required_step,
    _text,
    get_agency,
    parse_severity,
    read_records,
)
from models.tables import (
    AGENCY,
    Agency,
    instant,
    table_of,
    utcnow,
)


# An internal audit (đánh giá nội bộ), or an inspection by Sở KH&CN recorded in a biên bản.
class InternalAudit(SQLModel, table=True):
    __tablename__ = "internal_audit"
    __table_args__ = (Index("ix_internal_audit_agency_year", "agency_id", "year"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    kind: str = Field(default="internal", max_length=16)
    start_on: date
    end_on: date
    # The audit plan or decision (internal), or the biên bản number (inspection).
    ref: str = Field(max_length=200)
    team: str | None = Field(default=None, max_length=2000)
    scope_units: list[str] | None = Field(default=None, sa_column=Column(JSON))
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# One finding of an audit, numbered within the agency's year so actions can name it.
class Finding(SQLModel, table=True):
    __tablename__ = "finding"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "number", name="uq_finding_agency_year_number"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    audit_id: uuid.UUID = Field(foreign_key="internal_audit.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    number: int
    severity: str = Field(max_length=16)
    clause: str | None = Field(default=None, max_length=50)
    unit: str = Field(max_length=200)
    description: str = Field(max_length=4000)


# --- internal audits and findings ---------------------------------------------------------------


@dataclass(frozen=True)
class FindingIn:
    """A finding as entered: severity in any accepted spelling (none is assumed), checked on
    recording; `origin` names its form row or file line in messages (default: its position)."""

    severity: str | None
    unit: str | None
    description: str | None
    clause: str | None = None
    origin: Origin | None = None


# A finding's fields as the audit form labels them.
FINDING_LABELS = {
    "severity": "Mức độ",
    "unit": "Bộ phận",
    "description": "Mô tả phát hiện",
    "clause": "Điều khoản",
}


def _validate_findings(findings: Sequence[FindingIn]) -> list[dict[str, Any]]:
    problems: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    for index, f in enumerate(findings):
        origin = f.origin or Origin(f"Phát hiện {index + 1}")
        row: dict[str, Any] = {}
        for name, limit, required in (
            ("severity", 0, True),
            ("unit", 200, True),
            ("description", 4000, True),
            ("clause", 50, False),
        ):
            value = getattr(f, name)
            label = origin.label(name, FINDING_LABELS[name])
            try:
                row[name] = (
                    parse_severity(value, label)
                    if name == "severity"
                    else _text(value, name, label, limit, required=required)
                )
            except IsoError as exc:
                problems.extend(_in_row(origin.name, f"findings.{index}", exc))
        rows.append(row)
    if problems:
        raise IsoError(errors=problems)
    return rows


def findings_from_file(path: Path) -> list[FindingIn]:
    """Read findings (severity, clause, unit, description) from CSV, JSON or TOML."""
    aliases = {
        "severity": ("severity", "mức độ", "loại"),
        "clause": ("clause", "điều khoản", "iso_clause"),
        "unit": ("unit", "đơn vị", "bộ phận"),
        "description": ("description", "mô tả", "nội dung"),
    }
    out = []
    known = [a for names in aliases.values() for a in names]
    for n, record in enumerate(read_records(path, "findings", known)):
        columns = {f: next((a for a in names if a in record), "") for f, names in aliases.items()}
        values = {f: record[a] if a else "" for f, a in columns.items()}
        out.append(FindingIn(**values, origin=_file_origin(path, n, columns)))
    return out


@_atomic
def record_audit(
    *,
    session: Session,
    agency_code: str,
    year: int,
    start_on: date,
    end_on: date,
    ref: str,
    team: str | None,
    scope_units: Sequence[str],
    findings: Sequence[FindingIn],
    actor: str,
    today: date,
    kind: str = "internal",
) -> InternalAudit:
    """Record an audit with its findings; an internal audit completes the year's internal_audit.

    - The step keeps the first audit that completed it: a second audit of the year leaves it.
    - An inspection (kind "inspection", ref = the biên bản) gives its actions the longer default.
    - Refuses a finding without severity, unit or description, and dates outside the year.
    """
    audit = write_audit(
        session=session,
        agency_code=agency_code,
        year=year,
        start_on=start_on,
        end_on=end_on,
        ref=ref,
        team=team,
        scope_units=scope_units,
        findings=findings,
        actor=actor,
        today=today,
        kind=kind,
    )
    session.commit()
    return audit


def write_audit(
    *,
    session: Session,
    agency_code: str,
    year: int,
    start_on: date,
    end_on: date,
    ref: str,
    team: str | None,
    scope_units: Sequence[str],
    findings: Sequence[FindingIn],
    actor: str,
    today: date,
    kind: str = "internal",
) -> InternalAudit:
    """Validate and add an audit with its findings without committing (see record_audit)."""
    agency = get_agency(session, agency_code)
    if kind not in AUDIT_KINDS:
        raise IsoError(
            f"Loại «{kind}» không có; chọn đánh giá nội bộ (internal) hoặc kiểm tra (inspection).",
            field="kind",
        )
    ref_text = _text(ref, "ref", "Số báo cáo / biên bản", 200, required=True)
    team_text = _text(team, "team", "Đoàn đánh giá", 2000)
    if end_on < start_on:
        raise IsoError(
            f"Ngày kết thúc {end_on:%d/%m/%Y} trước ngày bắt đầu {start_on:%d/%m/%Y}.",
            field="end_on",
        )
    if start_on.year != year:
        raise IsoError(
            f"Ngày bắt đầu {start_on:%d/%m/%Y} không thuộc năm {year} của chu kỳ.",
            field="start_on",
        )
    _check_not_future(end_on, today, "end_on", "Ngày kết thúc")
    units = [u for u in (_text(s, "scope_units", "Phạm vi", 200) for s in scope_units) if u]
    rows = _validate_findings(findings)
    step = _required_step(session, agency, year, "internal_audit") if kind == "internal" else None

    audit = InternalAudit(
        agency_id=agency.id,
        year=year,
        kind=kind,
        start_on=start_on,
        end_on=end_on,
        ref=ref_text or "",
        team=team_text,
        scope_units=units,
        created_by=actor,
    )
    session.add(audit)
    session.flush()
    numbers = _add_findings(session, agency, year, audit, rows, actor)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="internal_audit" if kind == "internal" else "inspection",
        entity_id=f"{end_on.isoformat()} {audit.ref}"[:100],
        action="recorded",
        old=None,
        new={
            "start_on": start_on,
            "end_on": end_on,
            "ref": audit.ref,
            "team": team_text,
            "scope_units": units,
            "findings": numbers,
        },
    )
    if step is not None:
        _complete_step(
            session=session,
            step=step,
            done_on=end_on,
            ref=audit.ref,
            note=None,
            actor=actor,
            today=today,
        )
    return audit


def _add_findings(
    session: Session,
    agency: Agency,
    year: int,
    audit: InternalAudit,
    rows: Sequence[Mapping[str, Any]],
    actor: str,
) -> list[int]:
    first = _next_number(session, Finding, agency.id, year)
    numbers = []
    for offset, row in enumerate(rows):
        number = first + offset
        numbers.append(number)
        session.add(
            Finding(
                audit_id=audit.id,
                agency_id=agency.id,
                year=year,
                number=number,
                severity=row["severity"],
                clause=row["clause"],
                unit=row["unit"],
                description=row["description"],
            )
        )
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity="finding",
            entity_id=str(number),
            action="created",
            old=None,
            new=dict(row),
        )
    return numbers


@_atomic
def add_findings(
    *,
    session: Session,
    agency_code: str,
    year: int,
    findings: Sequence[FindingIn],
    actor: str,
) -> list[int]:
    """Add findings to the agency's latest audit of the year; return their numbers."""
    agency = get_agency(session, agency_code)
    rows = _validate_findings(findings)
    audit = session.exec(
        orm_select(InternalAudit)
        .where(InternalAudit.agency_id == agency.id, InternalAudit.year == year)
        .order_by(col(InternalAudit.end_on).desc(), col(InternalAudit.created_at).desc())
    ).first()
    if audit is None:
        raise IsoError(
            f"Đơn vị {agency_code} chưa ghi nhận cuộc đánh giá nào năm {year}; "
            "hãy ghi nhận cuộc đánh giá trước.",
            field="audit",
        )
    numbers = _add_findings(session, agency, year, audit, rows, actor)
    session.commit()
    return numbers


def severity_counts(*, session: Session, agency_id: uuid.UUID, year: int) -> dict[str, int]:
    """Count the year's findings by severity (every severity present, zero if none)."""
    f = table_of(Finding).c
    rows = session.execute(
        select(f.severity, func.count())
        .where(f.agency_id == agency_id, f.year == year)
        .group_by(f.severity)
    ).all()
    counts = dict.fromkeys(SEVERITIES, 0)
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def severity_counts_for_year(*, session: Session, year: int) -> dict[str, dict[str, int]]:
    """Count every agency's findings of a year by severity, in one query (agency code → counts)."""
    f, a = table_of(Finding).c, AGENCY.c
    out: dict[str, dict[str, int]] = {}
    for code, severity, count in session.execute(
        select(a.code, f.severity, func.count())
        .join_from(table_of(Finding), AGENCY, a.id == f.agency_id)
        .where(f.year == year)
        .group_by(a.code, f.severity)
    ).tuples():
        out.setdefault(code, dict.fromkeys(SEVERITIES, 0))[severity] = int(count)
    return out


def audit_summary(*, session: Session, agency_code: str, year: int) -> dict[str, Any]:
    """Return the year's audits, findings and counts by severity as plain data."""
    agency = get_agency(session, agency_code)
    audits = session.exec(
        orm_select(InternalAudit)
        .where(InternalAudit.agency_id == agency.id, InternalAudit.year == year)
        .order_by(col(InternalAudit.start_on))
    ).all()
    findings = session.exec(
        orm_select(Finding)
        .where(Finding.agency_id == agency.id, Finding.year == year)
        .order_by(col(Finding.number))
    ).all()
    audit_of = {a.id: a for a in audits}
    return {
        "agency": agency.code,
        "year": year,
        "audits": [
            {
                "kind": a.kind,
                "start_on": a.start_on,
                "end_on": a.end_on,
                "ref": a.ref,
                "team": a.team,
                "scope_units": a.scope_units or [],
            }
            for a in audits
        ],
        "findings": [
            {
                "number": f.number,
                "severity": f.severity,
                "clause": f.clause,
                "unit": f.unit,
                "description": f.description,
                "audit_ref": audit_of[f.audit_id].ref,
            }
            for f in findings
        ],
        "counts": severity_counts(session=session, agency_id=agency.id, year=year),
    }
