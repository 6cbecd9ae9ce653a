"""Training, budget, directing documents and the agency's own inspections, per reporting period.

These are the figures of a report's sections on training (lượt người), budget (TT 116/2015
caps), directing documents (văn bản chỉ đạo) and the inspections an agency runs on its own units
(seed 001: "04 cuộc, 04 đơn vị"). Each row keeps the period it belongs to (period_start,
period_end), so a report for a period finds exactly the figures entered for it.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select as orm_select

from config.settings import CONFIG_DIR
from models.iso.base import IsoError, _atomic, _check_not_future, _history, _text, get_agency
from models.periods import Period
from models.tables import Agency

DEFAULT_BUDGET_CAPS = CONFIG_DIR / "budget_caps.toml"
TRAINING_MODES = ("held", "attended")
TRAINING_MODE_LABELS = {"held": "Cơ quan tổ chức", "attended": "Được mời tham gia"}
MAX_PERSON_TIMES = 100_000
MAX_AMOUNT = 10**12  # one thousand billion đồng: far above any agency's ISO budget


# A training course the agency held or sent staff to, with its person-times (lượt người).
class TrainingCourse(SQLModel, table=True):
    __tablename__ = "training_course"
    __table_args__ = (
        Index("ix_training_agency_period", "agency_id", "period_start", "period_end"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    period_start: date
    period_end: date
    title: str = Field(max_length=500)
    organiser: str = Field(default="", max_length=300)
    mode: str = Field(max_length=16)
    held_on: date
    person_times: int


# The ISO budget of a period: allocated and spent, in whole đồng, for one purpose (a cap key).
class IsoBudget(SQLModel, table=True):
    __tablename__ = "iso_budget"
    __table_args__ = (
        UniqueConstraint(
            "agency_id", "period_start", "period_end", "purpose", name="uq_iso_budget_period"
        ),
        Index("ix_iso_budget_agency_period", "agency_id", "period_start", "period_end"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    period_start: date
    period_end: date
    purpose: str = Field(max_length=64)
    allocated: int = Field(sa_type=BigInteger)
    spent: int | None = Field(default=None, sa_type=BigInteger)
    note: str | None = Field(default=None, max_length=2000)


# A directing document (văn bản chỉ đạo) the agency issued for its QMS.
class DirectingDocument(SQLModel, table=True):
    __tablename__ = "directing_document"
    __table_args__ = (
        Index("ix_directing_agency_period", "agency_id", "period_start", "period_end"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    period_start: date
    period_end: date
    # The seeds list a biên bản without a number, so the number may be empty.
    number: str = Field(default="", max_length=200)
    title: str = Field(max_length=1000)
    issued_on: date


# An inspection the agency ran on one of its own units (kiểm tra do cơ quan chủ trì thực hiện).
class OwnInspection(SQLModel, table=True):
    __tablename__ = "own_inspection"
    __table_args__ = (
        Index("ix_own_inspection_agency_period", "agency_id", "period_start", "period_end"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    period_start: date
    period_end: date
    held_on: date
    unit: str = Field(max_length=300)
    ref: str = Field(default="", max_length=200)


# --- budget caps (config/budget_caps.toml) ------------------------------------------------------


@dataclass(frozen=True)
class BudgetCap:
    """One TT 116/2015 cap: its purpose key, label, amount (đồng a year), kinds and source."""

    key: str
    label: str
    amount: int
    kinds: tuple[str, ...]
    source: str

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


def load_budget_caps(path: Path = DEFAULT_BUDGET_CAPS) -> list[BudgetCap]:
    """Read the budget caps from a TOML file; errors name the file and the cap."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise IsoError(f"{path}: không có tệp mức chi.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise IsoError(f"{path}: không phải TOML hợp lệ ({exc}).") from exc
    caps = []
    for n, spec in enumerate(data.get("cap", []), start=1):
        where = f"{path}: mức chi thứ {n}"
        amount = spec.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise IsoError(f"{where}: amount phải là số nguyên dương (đồng).")
        if not spec.get("key") or not spec.get("label") or not spec.get("source"):
            raise IsoError(f"{where}: cần key, label và source (căn cứ).")
        caps.append(
            BudgetCap(
                key=str(spec["key"]),
                label=str(spec["label"]),
                amount=amount,
                kinds=tuple(str(k) for k in spec.get("kinds", [])),
                source=str(spec["source"]),
            )
        )
    return caps


def purposes(caps: list[BudgetCap]) -> dict[str, str]:
    """Each budget purpose key with its label, in the file's order."""
    return {c.key: c.label for c in caps}


def vnd(amount: int | None) -> str:
    """An amount the Vietnamese way: 10000000 → "10.000.000 đồng"."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", ".") + " đồng"


def cap_for(caps: list[BudgetCap], purpose: str, kind: str) -> BudgetCap | None:
    """The cap of this purpose for this agency kind, if the file has one."""
    return next((c for c in caps if c.key == purpose and c.applies_to(kind)), None)


def budget_warnings(
    caps: list[BudgetCap], purpose: str, kind: str, allocated: int, spent: int | None
) -> list[str]:
    """Vietnamese warnings for amounts above the cap (a warning, never a refusal)."""
    cap = cap_for(caps, purpose, kind)
    if cap is None:
        return []
    out = []
    for label, amount in (("Kinh phí được cấp", allocated), ("Kinh phí đã sử dụng", spent)):
        if amount is not None and amount > cap.amount:
            out.append(
                f"{label} {vnd(amount)} vượt mức chi {vnd(cap.amount)} một năm cho "
                f"«{cap.label}» ({cap.source})."
            )
    return out


# --- validation helpers -------------------------------------------------------------------------


def _vn(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def _in_period(day: date, period: Period, field: str, label: str) -> None:
    if not period.contains(day):
        raise IsoError(
            f"{label} {_vn(day)} nằm ngoài kỳ báo cáo {period.label}.",
            field=field,
        )


def _whole(
    value: int | str | None, field: str, label: str, limit: int, required: bool
) -> int | None:
    """A whole number ≥ 0 as typed ("24", "10.000.000", "10 000 000"), or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise IsoError(f"Chưa nhập {label}.", field=field)
        return None
    if isinstance(value, bool):
        raise IsoError(f"{label[:1].upper()}{label[1:]} phải là số nguyên.", field=field)
    if isinstance(value, int):
        number = value
    else:
        cleaned = value.strip().removesuffix("đồng").removesuffix("đ").strip()
        cleaned = cleaned.replace(".", "").replace(" ", "").replace("\u00a0", "")
        if not cleaned.isdigit() or not cleaned.isascii():
            raise IsoError(
                f"{label[:1].upper()}{label[1:]} «{value}» phải là số nguyên (ví dụ 10.000.000).",
                field=field,
            )
        number = int(cleaned)
    if number < 0 or number > limit:
        raise IsoError(
            f"{label[:1].upper()}{label[1:]} phải từ 0 đến {limit:,}.".replace(",", "."),
            field=field,
        )
    return number


def _rows(model: type[Any], session: Session, agency: Agency, period: Period) -> list[Any]:
    return list(
        session.exec(
            orm_select(model).where(
                model.agency_id == agency.id,
                model.period_start == period.start,
                model.period_end == period.end,
            )
        ).all()
    )


def _year(period: Period) -> int:
    # History rows are filed under the year the period ends in (the report's year).
    return period.end.year


# --- writes -------------------------------------------------------------------------------------


@_atomic
def add_training(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    title: str,
    organiser: str | None,
    mode: str,
    held_on: date,
    person_times: int | str | None,
    actor: str,
    today: date,
) -> TrainingCourse:
    """Record a training course held or attended in the period, with its person-times."""
    agency = get_agency(session, agency_code)
    title_text = _text(title, "title", "Tên lớp tập huấn", 500, required=True) or ""
    organiser_text = _text(organiser, "organiser", "Đơn vị tổ chức", 300) or ""
    folded = (mode or "").strip().casefold()
    aliases = {"held": "held", "tổ chức": "held", "attended": "attended", "tham gia": "attended"}
    aliases |= {v.casefold(): k for k, v in TRAINING_MODE_LABELS.items()}
    if folded not in aliases:
        raise IsoError(
            f"Hình thức «{mode}» không có; chọn «Cơ quan tổ chức» hoặc «Được mời tham gia».",
            field="mode",
        )
    _check_not_future(held_on, today, "held_on", "Ngày tập huấn")
    _in_period(held_on, period, "held_on", "Ngày tập huấn")
    count = _whole(person_times, "person_times", "số lượt người", MAX_PERSON_TIMES, True)
    assert count is not None  # required=True
    course = TrainingCourse(
        agency_id=agency.id,
        period_start=period.start,
        period_end=period.end,
        title=title_text,
        organiser=organiser_text,
        mode=aliases[folded],
        held_on=held_on,
        person_times=count,
    )
    session.add(course)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=_year(period),
        entity="training_course",
        entity_id=str(course.id),
        action="created",
        old=None,
        new={
            "period": period.key,
            "title": title_text,
            "organiser": organiser_text,
            "mode": course.mode,
            "held_on": held_on,
            "person_times": count,
        },
    )
    session.commit()
    return course


@_atomic
def set_budget(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    allocated: int | str | None,
    spent: int | str | None,
    actor: str,
    purpose: str = "duy_tri",
    note: str | None = None,
    caps: list[BudgetCap] | None = None,
) -> list[str]:
    """Record (or correct) the period's budget for one purpose; return warnings above its cap."""
    agency = get_agency(session, agency_code)
    caps = load_budget_caps() if caps is None else caps
    known = purposes(caps)
    if purpose not in known:
        choices = ", ".join(f"{k} ({v})" for k, v in known.items())
        raise IsoError(f"Mục chi «{purpose}» không có; chọn một trong: {choices}.", field="purpose")
    amount = _whole(allocated, "allocated", "kinh phí được cấp", MAX_AMOUNT, True)
    assert amount is not None  # required=True
    used = _whole(spent, "spent", "kinh phí đã sử dụng", MAX_AMOUNT, False)
    note_text = _text(note, "note", "Ghi chú", 2000)
    row = session.exec(
        orm_select(IsoBudget).where(
            IsoBudget.agency_id == agency.id,
            IsoBudget.period_start == period.start,
            IsoBudget.period_end == period.end,
            IsoBudget.purpose == purpose,
        )
    ).one_or_none()
    old = (
        None if row is None else {"allocated": row.allocated, "spent": row.spent, "note": row.note}
    )
    if row is None:
        row = IsoBudget(
            agency_id=agency.id,
            period_start=period.start,
            period_end=period.end,
            purpose=purpose,
            allocated=amount,
        )
    row.allocated, row.spent, row.note = amount, used, note_text
    session.add(row)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=_year(period),
        entity="iso_budget",
        entity_id=f"{period.key}:{purpose}",
        action="created" if old is None else "updated",
        old=old,
        new={"allocated": amount, "spent": used, "note": note_text},
    )
    session.commit()
    return budget_warnings(caps, purpose, agency.kind, amount, used)


@_atomic
def add_directing_document(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    number: str | None,
    title: str,
    issued_on: date,
    actor: str,
    today: date,
) -> DirectingDocument:
    """Record a directing document (văn bản chỉ đạo) issued in the period."""
    agency = get_agency(session, agency_code)
    number_text = _text(number, "number", "Số văn bản", 200) or ""
    title_text = _text(title, "title", "Trích yếu", 1000, required=True) or ""
    _check_not_future(issued_on, today, "issued_on", "Ngày ban hành")
    _in_period(issued_on, period, "issued_on", "Ngày ban hành")
    if number_text and any(
        d.number.casefold() == number_text.casefold()
        for d in _rows(DirectingDocument, session, agency, period)
    ):
        raise IsoError(f"Văn bản số {number_text} đã có trong kỳ báo cáo này.", field="number")
    doc = DirectingDocument(
        agency_id=agency.id,
        period_start=period.start,
        period_end=period.end,
        number=number_text,
        title=title_text,
        issued_on=issued_on,
    )
    session.add(doc)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=_year(period),
        entity="directing_document",
        entity_id=number_text or str(doc.id),
        action="created",
        old=None,
        new={
            "period": period.key,
            "number": number_text,
            "title": title_text,
            "issued_on": issued_on,
        },
    )
    session.commit()
    return doc


@_atomic
def add_own_inspection(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    held_on: date,
    unit: str,
    ref: str | None,
    actor: str,
    today: date,
) -> OwnInspection:
    """Record an inspection the agency ran on one of its own units in the period."""
    agency = get_agency(session, agency_code)
    unit_text = _text(unit, "unit", "Đơn vị được kiểm tra", 300, required=True) or ""
    ref_text = _text(ref, "ref", "Số biên bản, kết luận", 200) or ""
    _check_not_future(held_on, today, "held_on", "Ngày kiểm tra")
    _in_period(held_on, period, "held_on", "Ngày kiểm tra")
    row = OwnInspection(
        agency_id=agency.id,
        period_start=period.start,
        period_end=period.end,
        held_on=held_on,
        unit=unit_text,
        ref=ref_text,
    )
    session.add(row)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=_year(period),
        entity="own_inspection",
        entity_id=str(row.id),
        action="created",
        old=None,
        new={"period": period.key, "held_on": held_on, "unit": unit_text, "ref": ref_text},
    )
    session.commit()
    return row


# --- reads --------------------------------------------------------------------------------------


def activities_summary(
    *, session: Session, agency_code: str, period: Period, caps: list[BudgetCap] | None = None
) -> dict[str, Any]:
    """The period's training, budget, directing documents and own inspections, with their counts."""
    agency = get_agency(session, agency_code)
    caps = load_budget_caps() if caps is None else caps
    labels = purposes(caps)
    courses = sorted(
        _rows(TrainingCourse, session, agency, period), key=lambda c: (c.held_on, c.title)
    )
    budgets = sorted(_rows(IsoBudget, session, agency, period), key=lambda b: b.purpose)
    docs = sorted(
        _rows(DirectingDocument, session, agency, period), key=lambda d: (d.issued_on, d.number)
    )
    checks = sorted(
        _rows(OwnInspection, session, agency, period), key=lambda i: (i.held_on, i.unit)
    )
    return {
        "agency": agency.code,
        "period": {
            "start": period.start,
            "end": period.end,
            "key": period.key,
            "label": period.label,
        },
        "training": {
            "courses": [
                {
                    "title": c.title,
                    "organiser": c.organiser,
                    "mode": c.mode,
                    "held_on": c.held_on,
                    "person_times": c.person_times,
                }
                for c in courses
            ],
            "held": sum(1 for c in courses if c.mode == "held"),
            "attended": sum(1 for c in courses if c.mode == "attended"),
            "person_times": sum(c.person_times for c in courses),
        },
        "budget": [
            {
                "purpose": b.purpose,
                "purpose_label": labels.get(b.purpose, b.purpose),
                "allocated": b.allocated,
                "spent": b.spent,
                "note": b.note,
                "cap": (cap.amount if (cap := cap_for(caps, b.purpose, agency.kind)) else None),
                "cap_source": cap.source if cap else None,
                "warnings": budget_warnings(caps, b.purpose, agency.kind, b.allocated, b.spent),
            }
            for b in budgets
        ],
        "directing_documents": {
            "count": len(docs),
            "items": [
                {"number": d.number, "title": d.title, "issued_on": d.issued_on} for d in docs
            ],
        },
        "inspections": {
            "count": len(checks),
            "units": len({i.unit.casefold() for i in checks}),
            "items": [{"held_on": i.held_on, "unit": i.unit, "ref": i.ref} for i in checks],
        },
    }


def budget_total(summary: dict[str, Any]) -> tuple[int, int | None]:
    """The period's allocated total and spent total (None when no spending is recorded)."""
    allocated = sum(b["allocated"] for b in summary["budget"])
    spent_values = [b["spent"] for b in summary["budget"] if b["spent"] is not None]
    return allocated, (sum(spent_values) if spent_values else None)


def report_budgets(rows: list[IsoBudget], period: Period) -> list[IsoBudget]:
    """The budgets a report of `period` states, per purpose: those of periods inside it, less any
    inside another (a first-half budget is a part of its year's, not more money); with none
    inside, the one sharing most days with it (a year's budget for a 6-month report)."""
    out: list[IsoBudget] = []
    for purpose in sorted({b.purpose for b in rows}):
        mine = [b for b in rows if b.purpose == purpose]
        inside = [b for b in mine if period.contains(b.period_start) and b.period_end <= period.end]
        out += [
            b
            for b in inside
            if not any(
                o is not b and o.period_start <= b.period_start and b.period_end <= o.period_end
                for o in inside
            )
        ]
        if not inside:
            out.append(
                max(
                    mine,
                    key=lambda b: min(b.period_end, period.end) - max(b.period_start, period.start),
                )
            )
    return out


def count_rows(session: Session, model: type[SQLModel], agency: Agency, period: Period) -> int:
    """How many rows of a family the agency holds for the period (for idempotent loaders)."""
    return len(_rows(model, session, agency, period))


__all__ = [
    "DEFAULT_BUDGET_CAPS",
    "TRAINING_MODES",
    "TRAINING_MODE_LABELS",
    "BudgetCap",
    "DirectingDocument",
    "IsoBudget",
    "OwnInspection",
    "TrainingCourse",
    "activities_summary",
    "add_directing_document",
    "add_own_inspection",
    "add_training",
    "budget_total",
    "budget_warnings",
    "cap_for",
    "count_rows",
    "load_budget_caps",
    "purposes",
    "set_budget",
    "vnd",
]
