"""Quality objectives (mục tiêu chất lượng), the decision that issued them, and their results."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import UniqueConstraint, func, select
from sqlmodel import Field, Session, SQLModel, col, select as orm_select

from models.iso.base import (
    COMPARISON_ALIASES,
    COMPARISONS,
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
    _number,
    _required_step,
    _step,
    _text,
    achieved,
    get_agency,
    read_records,
)
from models.tables import (
    STEP_DONE,
    Agency,
    table_of,
)


# The decision that issued a year's quality objectives (e.g. QĐ 41/QĐ-UBND of 24/1/2022).
class ObjectiveDecision(SQLModel, table=True):
    __tablename__ = "objective_decision"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", name="uq_objective_decision_agency_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    ref: str = Field(max_length=200)
    issued_on: date


# One quality objective (mục tiêu chất lượng); "achieved" is computed, never stored.
class QualityObjective(SQLModel, table=True):
    __tablename__ = "quality_objective"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "number", name="uq_objective_agency_year_number"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    number: int
    indicator: str = Field(max_length=1000)
    comparison: str = Field(max_length=2)
    target: float
    unit: str = Field(default="", max_length=50)
    mid_value: float | None = None
    final_value: float | None = None


# --- quality objectives -------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveIn:
    """An objective as entered (text values, as read from a file or the command line)."""

    indicator: str | None
    comparison: str | None
    target: str | float | None
    unit: str | None = None
    mid_value: str | float | None = None
    final_value: str | float | None = None
    origin: Origin | None = None


# An objective's fields as the objectives page labels them.
OBJECTIVE_LABELS = {
    "indicator": "Chỉ tiêu",
    "comparison": "So sánh",
    "target": "Giá trị mục tiêu",
    "unit": "Đơn vị tính",
    "mid_value": "Kết quả 6 tháng",
    "final_value": "Kết quả cuối năm",
}


def objectives_from_file(path: Path) -> list[ObjectiveIn]:
    """Read objectives (indicator, comparison, target, unit, mid_value, final_value)."""
    aliases = {
        "indicator": ("indicator", "chỉ tiêu", "mục tiêu"),
        "comparison": ("comparison", "so sánh"),
        "target": ("target", "chỉ tiêu số", "giá trị mục tiêu"),
        "unit": ("unit", "đơn vị tính"),
        "mid_value": ("mid_value", "giữa năm", "kết quả 6 tháng"),
        "final_value": ("final_value", "cuối năm", "kết quả"),
    }
    out = []
    known = [a for names in aliases.values() for a in names]
    for n, record in enumerate(read_records(path, "objectives", known)):
        columns = {f: next((a for a in names if a in record), "") for f, names in aliases.items()}
        values = {f: record[a] if a else "" for f, a in columns.items()}
        out.append(ObjectiveIn(**values, origin=_file_origin(path, n, columns)))
    return out


def _validate_objective(o: ObjectiveIn, index: int, problems: list[FieldError]) -> dict[str, Any]:
    origin = o.origin or Origin(f"Mục tiêu {index + 1}")

    def label(name: str) -> str:
        return origin.label(name, OBJECTIVE_LABELS[name])

    def refused(exc: IsoError) -> None:
        problems.extend(_in_row(origin.name, f"objectives.{index}", exc))

    row: dict[str, Any] = {}
    try:
        row["indicator"] = _text(o.indicator, "indicator", label("indicator"), 1000, required=True)
    except IsoError as exc:
        refused(exc)
    comparison = (o.comparison or "").strip()
    comparison = COMPARISON_ALIASES.get(comparison, comparison)
    if comparison not in COMPARISONS:
        choices = " ".join(COMPARISONS)
        refused(
            IsoError(
                f"{label('comparison')} «{o.comparison}» không có; chọn một trong {choices}."
                if o.comparison
                else f"Chưa chọn {label('comparison')} (một trong {choices}).",
                field="comparison",
            )
        )
    row["comparison"] = comparison
    for name, required in (("target", True), ("mid_value", False), ("final_value", False)):
        try:
            row[name] = _number(getattr(o, name), name, label(name), required)
        except IsoError as exc:
            refused(exc)
    try:
        row["unit"] = _text(o.unit, "unit", label("unit"), 50) or ""
    except IsoError as exc:
        refused(exc)
    return row


@_atomic
def set_objective_decision(
    *,
    session: Session,
    agency_code: str,
    year: int,
    ref: str,
    issued_on: date,
    actor: str,
    today: date,
) -> ObjectiveDecision:
    """Record (or correct) the decision issuing the year's objectives; it completes
    quality_objectives, unless the step was already completed otherwise (it keeps that)."""
    agency = get_agency(session, agency_code)
    ref_text = _text(ref, "ref", "Số quyết định", 200, required=True) or ""
    _check_not_future(issued_on, today, "issued_on", "Ngày ban hành")
    step = _required_step(session, agency, year, "quality_objectives")
    decision = session.exec(
        orm_select(ObjectiveDecision).where(
            ObjectiveDecision.agency_id == agency.id, ObjectiveDecision.year == year
        )
    ).one_or_none()
    old = None if decision is None else {"ref": decision.ref, "issued_on": decision.issued_on}
    replaces = None if decision is None else (decision.issued_on, decision.ref)
    if decision is None:
        decision = ObjectiveDecision(
            agency_id=agency.id, year=year, ref=ref_text, issued_on=issued_on
        )
    decision.ref, decision.issued_on = ref_text, issued_on
    session.add(decision)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="objective_decision",
        entity_id=str(year),
        action="created" if old is None else "updated",
        old=old,
        new={"ref": ref_text, "issued_on": issued_on},
    )
    _complete_step(
        session=session,
        step=step,
        done_on=issued_on,
        ref=ref_text,
        note=None,
        actor=actor,
        today=today,
        replaces=replaces,
    )
    session.commit()
    return decision


@_atomic
def add_objectives(
    *,
    session: Session,
    agency_code: str,
    year: int,
    objectives: Sequence[ObjectiveIn],
    actor: str,
    today: date,
    results_on: date | None = None,
) -> list[int]:
    """Add objectives in bulk, all or nothing; return their numbers.

    - Every objective needs an indicator, a comparison and a numeric target.
    - When every objective of the year has a final value, objectives_review is completed (dated
      `results_on`, else today).
    """
    agency = get_agency(session, agency_code)
    problems: list[FieldError] = []
    rows = [_validate_objective(o, n, problems) for n, o in enumerate(objectives)]
    if not rows:
        problems.append(FieldError("objectives", "Chưa nhập mục tiêu nào."))
    if problems:
        raise IsoError(errors=problems)
    first = _next_number(session, QualityObjective, agency.id, year)
    numbers = []
    for offset, row in enumerate(rows):
        number = first + offset
        numbers.append(number)
        session.add(QualityObjective(agency_id=agency.id, year=year, number=number, **row))
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity="quality_objective",
            entity_id=str(number),
            action="created",
            old=None,
            new=row,
        )
    session.flush()
    _complete_objectives_review(session, agency, year, results_on, actor, today)
    session.commit()
    return numbers


@_atomic
def record_results(
    *,
    session: Session,
    agency_code: str,
    year: int,
    values: Mapping[int, tuple[float | None, float | None]],
    actor: str,
    today: date,
    results_on: date | None = None,
) -> list[dict[str, Any]]:
    """Set mid-year and/or final values (number → (mid, final); None keeps the stored value).

    - When every objective has a final value, objectives_review is completed, dated
      `results_on` (else today); `results_on` with values still missing is refused.
    """
    agency = get_agency(session, agency_code)
    stored = {
        o.number: o
        for o in session.exec(
            orm_select(QualityObjective).where(
                QualityObjective.agency_id == agency.id, QualityObjective.year == year
            )
        ).all()
    }
    unknown = sorted(set(values) - set(stored))
    if unknown:
        raise IsoError(
            f"Đơn vị {agency_code} không có mục tiêu {', '.join(f'#{n}' for n in unknown)} "
            f"năm {year}.",
            field="objective",
        )
    for number, (mid, final) in sorted(values.items()):
        o = stored[number]
        old = {"mid_value": o.mid_value, "final_value": o.final_value}
        o.mid_value = o.mid_value if mid is None else mid
        o.final_value = o.final_value if final is None else final
        new = {"mid_value": o.mid_value, "final_value": o.final_value}
        if new != old:
            session.add(o)
            _history(
                session,
                actor=actor,
                agency_id=agency.id,
                year=year,
                entity="quality_objective",
                entity_id=str(number),
                action="results",
                old=old,
                new={**new, "achieved": achieved(o.comparison, o.target, o.final_value)},
            )
    session.flush()
    _complete_objectives_review(session, agency, year, results_on, actor, today)
    session.commit()
    return list_objectives(session=session, agency_code=agency_code, year=year)


def _complete_objectives_review(
    session: Session, agency: Agency, year: int, results_on: date | None, actor: str, today: date
) -> None:
    """Complete objectives_review once every objective has its final value.

    - Dated `results_on`, or today when the last final value is entered without a date.
    - An explicit `results_on` while values are missing is refused; without one, nothing happens.
    - A step already done keeps its completion: results entered or corrected later never move
      it (a wrong date is corrected on the step itself).
    """
    o = table_of(QualityObjective).c
    total, missing = session.execute(
        select(func.count(), func.count() - func.count(o.final_value)).where(
            o.agency_id == agency.id, o.year == year
        )
    ).one()
    if missing or not total:
        if results_on is None:
            return
        raise IsoError(
            f"Còn {missing} mục tiêu chưa có kết quả cuối năm; chỉ ghi nhận ngày đánh giá kết quả "
            "khi mọi mục tiêu đã có kết quả."
            if total
            else f"Đơn vị {agency.code} chưa có mục tiêu chất lượng nào năm {year}.",
            field="results_on",
        )
    step = _step(session, agency, year, "objectives_review")
    if step is None:
        if results_on is None:
            return
        raise IsoError(
            f"Đơn vị {agency.code} chưa có bước đánh giá kết quả mục tiêu năm {year}: "
            "chưa mở chu kỳ.",
            field="year",
        )
    if step.state == STEP_DONE:
        return
    on = results_on or today
    decision = session.exec(
        orm_select(ObjectiveDecision).where(
            ObjectiveDecision.agency_id == agency.id, ObjectiveDecision.year == year
        )
    ).one_or_none()
    _complete_step(
        session=session,
        step=step,
        done_on=on,
        ref=f"Kết quả MTCL {decision.ref}" if decision else f"Kết quả MTCL {year}",
        note=None,
        actor=actor,
        today=today,
    )


def list_objectives(*, session: Session, agency_code: str, year: int) -> list[dict[str, Any]]:
    """Return the year's objectives with "achieved" computed from the final value."""
    agency = get_agency(session, agency_code)
    objectives = session.exec(
        orm_select(QualityObjective)
        .where(QualityObjective.agency_id == agency.id, QualityObjective.year == year)
        .order_by(col(QualityObjective.number))
    ).all()
    return [
        {
            "number": o.number,
            "indicator": o.indicator,
            "comparison": o.comparison,
            "target": o.target,
            "unit": o.unit,
            "mid_value": o.mid_value,
            "final_value": o.final_value,
            "mid_on_track": achieved(o.comparison, o.target, o.mid_value),
            "achieved": achieved(o.comparison, o.target, o.final_value),
        }
        for o in objectives
    ]
