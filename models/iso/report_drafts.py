"""What only a person writes in an agency's report (thuận lợi, khó khăn, kiến nghị…), and its
number, date, signer and recipients: one draft per agency, year and period, kept until the report
is generated. A field left empty stays a marked placeholder in the document."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models.iso.base import FieldError, IsoError, _atomic, _history, _text, get_agency
from models.tables import instant, utcnow

VARIANTS = ("annual", "six_month")
VARIANT_LABELS = {"annual": "báo cáo năm", "six_month": "báo cáo 6 tháng"}


@dataclass(frozen=True)
class ProseField:
    """A text the person writes: its field, the label the page shows and the document's hint."""

    name: str
    label: str
    hint: str
    limit: int = 8000


# In the order the report states them (the outline, seed 004: 1.1, 5.1, 5.3, 5.4, 5.5).
PROSE = (
    ProseField(
        "advantages", "Thuận lợi", "những thuận lợi trong xây dựng, áp dụng, duy trì HTQLCL"
    ),
    ProseField(
        "difficulties", "Khó khăn", "những khó khăn trong xây dựng, áp dụng, duy trì HTQLCL"
    ),
    ProseField("effectiveness", "Hiệu quả", "hiệu quả của việc áp dụng HTQLCL tại đơn vị"),
    ProseField("causes", "Nguyên nhân", "nguyên nhân của những tồn tại"),
    ProseField("directions", "Phương hướng", "kế hoạch, phương hướng thời gian tới"),
    ProseField("recommendations", "Kiến nghị, đề xuất", "kiến nghị, đề xuất"),
)
# The signature block and the document's number: short lines.
HEADER_FIELDS = {
    "number": ("Số báo cáo", 100),
    "signer": ("Người ký", 200),
    "sign_for": ("Ký thay (KT.)", 100),
    "sign_title": ("Chức vụ người ký", 100),
}
RECIPIENTS_LIMIT = 2000
FIELDS = (*(p.name for p in PROSE), *HEADER_FIELDS, "report_date", "recipients")


# A report's draft: the prose and signature block the secretary typed for one period.
class ReportDraft(SQLModel, table=True):
    __tablename__ = "report_draft"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "variant", name="uq_report_draft_period"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    year: int
    variant: str = Field(max_length=16)
    advantages: str | None = Field(default=None, max_length=8000)
    difficulties: str | None = Field(default=None, max_length=8000)
    effectiveness: str | None = Field(default=None, max_length=8000)
    causes: str | None = Field(default=None, max_length=8000)
    directions: str | None = Field(default=None, max_length=8000)
    recommendations: str | None = Field(default=None, max_length=8000)
    number: str | None = Field(default=None, max_length=100)
    report_date: date | None = None
    signer: str | None = Field(default=None, max_length=200)
    sign_for: str | None = Field(default=None, max_length=100)
    sign_title: str | None = Field(default=None, max_length=100)
    recipients: str | None = Field(default=None, max_length=RECIPIENTS_LIMIT)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = instant(default_factory=utcnow)


def _variant(value: str) -> str:
    if value not in VARIANTS:
        raise IsoError(
            f"Kỳ báo cáo «{value}» không có; chọn báo cáo năm hoặc báo cáo 6 tháng.",
            field="variant",
        )
    return value


def get_draft(*, session: Session, agency_code: str, year: int, variant: str) -> ReportDraft | None:
    """The agency's draft for that year and period, or None while nothing is typed."""
    agency = get_agency(session, agency_code)
    return session.exec(
        orm_select(ReportDraft).where(
            ReportDraft.agency_id == agency.id,
            ReportDraft.year == year,
            ReportDraft.variant == _variant(variant),
        )
    ).one_or_none()


def recipient_lines(text: str | None) -> list[str]:
    """The recipients one per line, without the "- " and ";" the document adds back."""
    out = []
    for line in (text or "").splitlines():
        clean = line.strip().lstrip("-–+•").strip().rstrip(";.").strip()
        if clean:
            out.append(clean)
    return out


@_atomic
def save_draft(
    *,
    session: Session,
    agency_code: str,
    year: int,
    variant: str,
    values: dict[str, str | date | None],
    actor: str,
    today: date,
) -> ReportDraft:
    """Create or change the draft; only the fields in `values` change, an empty text clears one.

    - Every error is collected first, each naming its field by the page's label; nothing is
      written then.
    """
    agency = get_agency(session, agency_code)
    variant = _variant(variant)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise IsoError(f"Không có trường {', '.join(sorted(unknown))}.", field="draft")
    clean: dict[str, str | date | None] = {}
    errors: list[FieldError] = []
    limits = {p.name: (p.label, p.limit) for p in PROSE} | HEADER_FIELDS
    limits["recipients"] = ("Nơi nhận", RECIPIENTS_LIMIT)
    for name, value in values.items():
        try:
            if name == "report_date":
                if value is not None and not isinstance(value, date):
                    raise IsoError("Ngày báo cáo không hợp lệ.", field=name)
                if isinstance(value, date) and value.year > today.year + 1:
                    raise IsoError(f"Ngày báo cáo {value:%d/%m/%Y} quá xa.", field=name)
                clean[name] = value
            else:
                label, limit = limits[name]
                clean[name] = _text(value if isinstance(value, str) else None, name, label, limit)
        except IsoError as exc:
            errors.extend(exc.errors)
    if errors:
        raise IsoError(errors=errors)
    row = session.exec(
        orm_select(ReportDraft).where(
            ReportDraft.agency_id == agency.id,
            ReportDraft.year == year,
            ReportDraft.variant == variant,
        )
    ).one_or_none()
    old = None
    if row is None:
        row = ReportDraft(agency_id=agency.id, year=year, variant=variant, updated_by=actor)
    else:
        old = {k: getattr(row, k) for k in clean}
    changed = {k: v for k, v in clean.items() if old is None or old.get(k) != v}
    for k, v in clean.items():
        setattr(row, k, v)
    row.updated_by, row.updated_at = actor, utcnow()
    session.add(row)
    if changed or old is None:
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity="report_draft",
            entity_id=f"{VARIANT_LABELS[variant]} {year}",  # the sentence names it
            action="updated" if old else "recorded",
            old={k: old[k] for k in changed} if old else None,
            new=changed,
        )
    session.commit()
    return row
