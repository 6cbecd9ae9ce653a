"""The ISO cycle in depth: audits, findings, corrective actions, reviews, objectives, events.

Every deadline these records create is a `Step` row (so the reminder engine reminds it), and every
change leaves a `HistoryEntry`. Each public function validates everything first and then writes
in one transaction: a refused call writes nothing.
"""

from __future__ import annotations

import calendar as month_calendar
import csv
import functools
import io
import json
import math
import tomllib
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import JSON, Index, UniqueConstraint, func, insert, select
from sqlmodel import Column, Field, Session, SQLModel, col
from sqlmodel import select as orm_select

from config.settings import DEFAULT_ISO_RULES
from models import cycles, textfiles
from models.calendar import WorkingCalendar
from models.tables import (
    AGENCY,
    STEP,
    STEP_DONE,
    STEP_OPEN,
    Agency,
    HistoryEntry,
    Step,
    instant,
    table_of,
    utcnow,
)

SEVERITIES = ("major", "minor", "observation")
SEVERITY_LABELS = {
    "major": "không phù hợp nặng",
    "minor": "không phù hợp nhẹ",
    "observation": "điểm lưu ý",
}
# Spellings secretaries use, compared after case folding.
SEVERITY_ALIASES = {
    "major": "major",
    "nặng": "major",
    "không phù hợp nặng": "major",
    "kph nặng": "major",
    "minor": "minor",
    "nhẹ": "minor",
    "không phù hợp nhẹ": "minor",
    "kph nhẹ": "minor",
    "observation": "observation",
    "lưu ý": "observation",
    "điểm lưu ý": "observation",
}
AUDIT_KINDS = ("internal", "inspection")
COMPARISONS = (">=", "<=", "=", ">", "<")
COMPARISON_ALIASES = {"≥": ">=", "≤": "<=", "==": "="}
EVENT_KINDS = ("legal_change", "scope_change", "leadership_change")
EVENT_KIND_LABELS = {
    "legal_change": "Văn bản pháp luật thay đổi",
    "scope_change": "Điều chỉnh phạm vi áp dụng",
    "leadership_change": "Thay đổi lãnh đạo",
}
# Event kind → (step type, title prefix, legal basis) of the step each affected agency gets.
EVENT_STEPS = {
    "legal_change": (
        "procedure_update",
        "Cập nhật HTQLCL theo văn bản",
        "QĐ 19/2014/QĐ-TTg Điều 4.4a",
    ),
    "scope_change": (
        "re_announcement",
        "Công bố lại HTQLCL khi điều chỉnh phạm vi",
        "QĐ 19/2014/QĐ-TTg Điều 4.4c",
    ),
    "leadership_change": (
        "steering_committee_reform",
        "Kiện toàn Ban chỉ đạo ISO",
        "TT 26/2014/TT-BKHCN Điều 7.2b",
    ),
}
# The steps an action owns; models.cycles refuses to complete them by hand.
ACTION_STEP, VERIFY_STEP = cycles.MANAGED_STEP_TYPES
ACTION_BASIS = "QĐ 19/2014/QĐ-TTg Điều 4.2b"
ACTION_BASIS_INSPECTION = "TT 26/2014/TT-BKHCN Điều 37.2c"
MAX_EVENT_NUMBER = 90  # the step key "steering_committee_reform:NUMBER" must fit 120 characters


P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class FieldError:
    """One refused value: its field path (findings.0.unit) and a Vietnamese message naming it."""

    field: str
    message: str


class IsoError(ValueError):
    """A refused ISO record: Vietnamese messages naming each field by its label (and its row).

    `errors` keeps each message with its field path, for the API's machine-readable answer.
    """

    def __init__(
        self, message: str = "", *, field: str = "", errors: Sequence[FieldError] = ()
    ) -> None:
        self.errors = list(errors) or [FieldError(field, message)]
        super().__init__(" ".join(e.message for e in self.errors))


@dataclass(frozen=True)
class Origin:
    """Where an entered record came from: its name in messages ("Phát hiện 3", "dòng 4") and,
    for a file, the title its header gave each field."""

    name: str
    columns: Mapping[str, str] = dataclass_field(default_factory=dict)

    def label(self, field: str, label: str) -> str:
        title = self.columns.get(field)
        return f"cột «{title}»" if title else label


def _in_row(name: str, path: str, exc: IsoError) -> list[FieldError]:
    """The errors of one row of a form or file, each prefixed with the row's name."""
    return [
        FieldError(f"{path}.{e.field}", f"{name}: {e.message[:1].lower()}{e.message[1:]}")
        for e in exc.errors
    ]


# --- tables -------------------------------------------------------------------------------------


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


# A corrective action (hành động khắc phục) and its effectiveness check (xác nhận hiệu quả).
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


# A management review (xem xét của lãnh đạo) with inputs prefilled from the data.
class ManagementReview(SQLModel, table=True):
    __tablename__ = "management_review"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", name="uq_management_review_agency_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    held_on: date
    minutes_ref: str = Field(max_length=200)
    inputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    decisions: str | None = Field(default=None, max_length=8000)
    override_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = instant(default_factory=utcnow)
    updated_at: datetime = instant(default_factory=utcnow)


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


# A legal change, scope change or leadership change that starts a deadline for some agencies.
class Event(SQLModel, table=True):
    __tablename__ = "iso_event"
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_iso_event_kind_number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=32)
    number: str = Field(max_length=MAX_EVENT_NUMBER)
    title: str = Field(default="", max_length=500)
    effective_on: date
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# Which agencies an event affects.
class EventAgency(SQLModel, table=True):
    __tablename__ = "iso_event_agency"

    event_id: uuid.UUID = Field(foreign_key="iso_event.id", primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", primary_key=True, index=True)


EVENT_AGENCY = table_of(EventAgency)
HISTORY_TABLE = table_of(HistoryEntry)


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """A deadline offset: calendar months first, then days."""

    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(days=self.days)


@dataclass(frozen=True)
class IsoRules:
    """The configurable default deadlines (config/iso_rules.toml)."""

    after_audit: Offset = Offset(days=30)
    after_inspection: Offset = Offset(months=2)
    verification: Offset = Offset(days=30)
    events: Mapping[str, Offset] | None = None

    def event_offset(self, kind: str) -> Offset:
        defaults = {
            "legal_change": Offset(months=3),
            "scope_change": Offset(days=30),
            "leadership_change": Offset(days=30),
        }
        return (self.events or {}).get(kind, defaults[kind])


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise IsoError(f"{where}: must be a whole number >= 0, got {value!r}")
    return value


def load_iso_rules(path: Path = DEFAULT_ISO_RULES) -> IsoRules:
    """Read the ISO deadline offsets from a TOML file; errors name the file and field."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise IsoError(f"{path}: no such ISO rules file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise IsoError(f"{path}: not valid TOML ({exc})") from exc
    actions = data.get("corrective_actions", {})
    events: dict[str, Offset] = {}
    for kind, spec in data.get("events", {}).items():
        if kind not in EVENT_KINDS:
            raise IsoError(f"{path}: events.{kind}: unknown event kind")
        events[kind] = Offset(
            months=_int(spec.get("months", 0), f"{path}: events.{kind}.months"),
            days=_int(spec.get("days", 0), f"{path}: events.{kind}.days"),
        )
    where = f"{path}: corrective_actions"
    return IsoRules(
        after_audit=Offset(
            days=_int(actions.get("after_audit_days", 30), f"{where}.after_audit_days")
        ),
        after_inspection=Offset(
            months=_int(
                actions.get("after_inspection_months", 2), f"{where}.after_inspection_months"
            )
        ),
        verification=Offset(
            days=_int(actions.get("verification_days", 30), f"{where}.verification_days")
        ),
        events=events,
    )


def add_months(day: date, months: int) -> date:
    """Add calendar months, keeping the day but not past the month's end (31/1 + 3 → 30/4)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def achieved(comparison: str, target: float, value: float | None) -> bool | None:
    """Whether a value meets the target; None while there is no value."""
    if value is None:
        return None
    if comparison == ">=":
        return value >= target or math.isclose(value, target)
    if comparison == "<=":
        return value <= target or math.isclose(value, target)
    if comparison == "=":
        return math.isclose(value, target, abs_tol=1e-9)
    if comparison == ">":
        return value > target and not math.isclose(value, target)
    if comparison == "<":
        return value < target and not math.isclose(value, target)
    raise ValueError(f"unknown comparison {comparison!r}")


def parse_severity(text: str | None, label: str = "Mức độ") -> str:
    """Return major, minor or observation for any accepted spelling; IsoError otherwise."""
    folded = " ".join(unicodedata.normalize("NFC", text or "").casefold().split())
    if not folded:
        raise IsoError(f"Chưa chọn {label}; chọn {_severity_help()}.", field="severity")
    severity = SEVERITY_ALIASES.get(folded)
    if severity is None:
        raise IsoError(
            f"{label} «{text}» không có trong danh mục; chọn {_severity_help()}.", field="severity"
        )
    return severity


def _severity_help() -> str:
    return "một trong: " + ", ".join(SEVERITY_LABELS[s] for s in SEVERITIES)


# --- reading files ------------------------------------------------------------------------------


def read_records(path: Path, table: str, known: Iterable[str] = ()) -> list[dict[str, str]]:
    """Read rows from CSV (header row), JSON (a list, or {table: [...]}) or TOML ([[table]]).

    - A CSV may be separated by commas, semicolons or tabs (the header's `known` titles decide),
      in UTF-8 with or without BOM, or UTF-16.
    - Values come back as stripped NFC text; a missing value is "".
    """
    name = path.name
    things = {"findings": "phát hiện", "objectives": "mục tiêu"}.get(table, table)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".json", ".toml"}:
        raise IsoError(
            f"{name}: không nhận loại tệp «{suffix}»; hãy dùng tệp .csv, .json hoặc .toml.",
            field="file",
        )
    try:
        text = textfiles.decode(path.read_bytes())
    except textfiles.NotUnicode as exc:
        raise IsoError(f"{name}: {exc}.", field="file") from exc
    except OSError as exc:
        raise IsoError(f"{name}: không đọc được tệp ({exc.strerror}).", field="file") from exc
    raw: Any
    if suffix == ".csv":
        titles = {t.casefold() for t in known}
        sep = textfiles.separator(
            text, known=lambda t: unicodedata.normalize("NFC", t).strip().casefold() in titles
        )
        reader = csv.DictReader(io.StringIO(text), delimiter=sep)
        try:
            raw = list(reader)
        except csv.Error as exc:
            raise IsoError(
                f"{name}: không đọc được dòng {reader.line_num} (ô quá dài, hoặc dấu ngoặc kép "
                "không đóng).",
                field="file",
            ) from exc
    elif suffix == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IsoError(
                f"{name}: không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}).",
                field="file",
            ) from exc
    else:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise IsoError(f"{name}: không phải TOML hợp lệ ({exc}).", field="file") from exc
    if isinstance(raw, dict):
        raw = raw.get(table, [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise IsoError(f"{name}: cần một danh sách các {things} ({table}).", field="file")
    if not raw:
        raise IsoError(f"{name}: tệp không có {things} nào.", field="file")
    return [
        {
            unicodedata.normalize("NFC", str(k)).strip().casefold(): (
                "" if v is None else unicodedata.normalize("NFC", str(v)).strip()
            )
            for k, v in r.items()
            if k is not None
        }
        for r in raw
    ]


def _number(text: str | float | None, field: str, label: str, required: bool) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise IsoError(f"Chưa nhập {label}.", field=field)
        return None
    if isinstance(text, int | float):
        return float(text)
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError as exc:
        raise IsoError(f"{_cap(label)} «{text}» không phải là số.", field=field) from exc
    if not math.isfinite(value):
        raise IsoError(f"{_cap(label)} «{text}» không phải là số.", field=field)
    return value


def parse_value(text: str | None, field: str, label: str = "") -> float | None:
    """A measured value as typed ("95", "95%", "95,5"), or None when empty."""
    return _number(text, field, label or field, required=False)


# --- shared helpers -----------------------------------------------------------------------------


def get_agency(session: Session, code: str) -> Agency:
    agency = session.exec(orm_select(Agency).where(Agency.code == code)).one_or_none()
    if agency is None:
        raise IsoError(f"Không có đơn vị mã «{code}».", field="agency")
    return agency


def _step(session: Session, agency: Agency, year: int, key: str) -> Step | None:
    return session.exec(
        orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == key)
    ).one_or_none()


def _required_step(session: Session, agency: Agency, year: int, key: str) -> Step:
    step = _step(session, agency, year, key)
    if step is None:
        raise IsoError(
            f"Đơn vị {agency.code} chưa có bước này trong chu kỳ năm {year} (chưa mở chu kỳ năm "
            f"{year}: quản trị viên mở bằng `isocycle cycle open {year}`).",
            field="year",
        )
    return step


def _history(
    session: Session,
    *,
    actor: str,
    agency_id: uuid.UUID,
    year: int,
    entity: str,
    entity_id: str,
    action: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    session.add(
        HistoryEntry(
            actor=actor,
            agency_id=agency_id,
            year=year,
            entity=entity,
            entity_id=entity_id,
            action=action,
            old=_plain(old),
            new=_plain(new),
        )
    )


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def _text(
    value: str | None, field: str, label: str, limit: int, required: bool = False
) -> str | None:
    """Stripped NFC text, refused naming the field by its label (as the page shows it)."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        if required:
            raise IsoError(f"Chưa nhập {label}.", field=field)
        return None
    if len(text) > limit:
        raise IsoError(f"{_cap(label)} dài quá {limit} ký tự.", field=field)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise IsoError(f"{_cap(label)} có ký tự điều khiển (không in được).", field=field)
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_not_future(day: date, today: date, field: str, label: str) -> None:
    if day > today:
        raise IsoError(
            f"{label} {day:%d/%m/%Y} là ngày trong tương lai (hôm nay là {today:%d/%m/%Y}).",
            field=field,
        )


def _atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Roll the caller's session back when a write is refused, so nothing is half-written."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception:
            session = kwargs.get("session")
            if isinstance(session, Session):
                session.rollback()
            raise

    return wrapper


def _complete_step(
    *,
    session: Session,
    step: Step,
    done_on: date,
    ref: str,
    note: str | None,
    actor: str,
    today: date,
    override_reason: str | None = None,
    replaces: tuple[date, str] | None = None,
) -> None:
    """Complete the step a record stands for, keeping a first completion by another record.

    `replaces` is the record's old (date, number) when it is corrected (see
    cycles.complete_from_record). A refusal rolls back the whole write as an IsoError.
    """
    try:
        cycles.complete_from_record(
            session=session,
            step=step,
            done_on=done_on,
            ref=ref,
            note=note,
            actor=actor,
            today=today,
            override_reason=override_reason,
            replaces=replaces,
        )
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc


def _fail_step(session: Session, exc: cycles.StepError) -> IsoError:
    session.rollback()
    return IsoError(str(exc))


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


def _file_origin(path: Path, index: int, columns: Mapping[str, str]) -> Origin:
    """A file record's name in messages: its CSV line (the header is line 1), or its position."""
    name = f"dòng {index + 2}" if path.suffix.lower() == ".csv" else f"Bản ghi {index + 1}"
    return Origin(name, {f: title for f, title in columns.items() if title})


def _next_number(session: Session, model: type[SQLModel], agency_id: uuid.UUID, year: int) -> int:
    table = table_of(model)
    current = session.execute(
        select(func.max(table.c.number)).where(table.c.agency_id == agency_id, table.c.year == year)
    ).scalar_one()
    return int(current or 0) + 1


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
    session.commit()
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
                "title": f"Xác nhận hiệu quả hành động khắc phục #{number}",
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
            "xác nhận hiệu quả.",
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
                ref=f"Xác nhận hiệu quả #{number}",
                note=f"{by}: hiệu quả",
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
                reason=f"chưa hiệu quả (người xác nhận: {by})",
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
            ref=f"{len(actions)}/{len(actions)} HĐKH đã xác nhận hiệu quả",
            actor=actor,
            today=last,
            check=False,
        )
    elif step.state != STEP_OPEN:
        open_count = sum(not is_closed(a) for a in actions)
        cycles.reopen(
            session=session,
            step=step,
            reason=f"còn {open_count} hành động khắc phục chưa xác nhận hiệu quả",
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


# --- management review --------------------------------------------------------------------------


def review_inputs(*, session: Session, agency_id: uuid.UUID, year: int) -> dict[str, Any]:
    """Prefill a review's inputs from the data: audit results, objectives and actions."""
    agency = session.get(Agency, agency_id)
    assert agency is not None  # the caller looked the agency up
    summary = audit_summary(session=session, agency_code=agency.code, year=year)
    objectives = list_objectives(session=session, agency_code=agency.code, year=year)
    actions = session.exec(
        orm_select(CorrectiveAction).where(
            CorrectiveAction.agency_id == agency_id, CorrectiveAction.year == year
        )
    ).all()
    return {
        "audit": {
            "dates": [
                [a["start_on"].isoformat(), a["end_on"].isoformat()]
                for a in summary["audits"]
                if a["kind"] == "internal"
            ],
            "findings": summary["counts"],
        },
        "objectives": {
            "total": len(objectives),
            "achieved": sum(o["achieved"] is True for o in objectives),
            "not_achieved": sum(o["achieved"] is False for o in objectives),
            "no_result": sum(o["achieved"] is None for o in objectives),
        },
        "corrective_actions": {
            "total": len(actions),
            "closed": sum(is_closed(a) for a in actions),
            "awaiting_verification": sum(
                a.done_on is not None and not is_closed(a) for a in actions
            ),
            "open": sum(a.done_on is None for a in actions),
        },
    }


def get_review(*, session: Session, agency_code: str, year: int) -> ManagementReview:
    """Return the year's management review, or raise IsoError if none is recorded."""
    agency = get_agency(session, agency_code)
    review = session.exec(
        orm_select(ManagementReview).where(
            ManagementReview.agency_id == agency.id, ManagementReview.year == year
        )
    ).one_or_none()
    if review is None:
        raise IsoError(
            f"Đơn vị {agency_code} chưa ghi nhận cuộc họp xem xét của lãnh đạo năm {year}.",
            field="review",
        )
    return review


@_atomic
def record_review(
    *,
    session: Session,
    agency_code: str,
    year: int,
    held_on: date,
    minutes_ref: str,
    decisions: str | None,
    actor: str,
    today: date,
    override_reason: str | None = None,
    extra_inputs: Mapping[str, Any] | None = None,
) -> ManagementReview:
    """Record (or correct) the year's management review; it completes management_review.

    - Correcting the review moves the step with it; a step completed otherwise keeps that.
    - A review dated before the year's internal audit is refused unless an override reason is
      given; the reason is stored on the review and in the history.
    """
    agency = get_agency(session, agency_code)
    ref = _text(minutes_ref, "minutes_ref", "Số biên bản", 200, required=True) or ""
    decision_text = _text(decisions, "decisions", "Quyết định, kết luận", 8000)
    reason = _text(override_reason, "override_reason", "Lý do ghi nhận", 2000)
    step = _required_step(session, agency, year, "management_review")
    inputs = {**review_inputs(session=session, agency_id=agency.id, year=year)}
    if extra_inputs:
        inputs["notes"] = dict(extra_inputs)
    review = session.exec(
        orm_select(ManagementReview).where(
            ManagementReview.agency_id == agency.id, ManagementReview.year == year
        )
    ).one_or_none()
    old = None
    replaces = None
    if review is None:
        review = ManagementReview(agency_id=agency.id, year=year, held_on=held_on, minutes_ref=ref)
    else:
        replaces = (review.held_on, review.minutes_ref)
        old = {
            "held_on": review.held_on,
            "minutes_ref": review.minutes_ref,
            "decisions": review.decisions,
            "override_reason": review.override_reason,
        }
    review.held_on, review.minutes_ref, review.decisions = held_on, ref, decision_text
    review.override_reason, review.inputs, review.updated_at = reason, inputs, utcnow()
    try:
        cycles.check_done_date(
            session=session, step=step, done_on=held_on, today=today, override_reason=reason
        )
    except cycles.StepError as exc:
        raise _fail_step(session, exc) from exc
    session.add(review)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=year,
        entity="management_review",
        entity_id=str(year),
        action="recorded" if old is None else "updated",
        old=old,
        new={
            "held_on": held_on,
            "minutes_ref": ref,
            "decisions": decision_text,
            "override_reason": reason,
            "inputs": inputs,
        },
    )
    _complete_step(
        session=session,
        step=step,
        done_on=held_on,
        ref=ref,
        note=None,
        actor=actor,
        today=today,
        override_reason=reason,
        replaces=replaces,
    )
    session.commit()
    return review


# --- events -------------------------------------------------------------------------------------


@dataclass
class EventResult:
    """What recording an event did."""

    event: Event
    steps_created: int
    due: date
    nominal_due: date


@_atomic
def record_event(
    *,
    session: Session,
    kind: str,
    number: str,
    effective_on: date,
    agency_codes: Iterable[str],
    actor: str,
    rules: IsoRules,
    working: WorkingCalendar,
    title: str | None = None,
) -> EventResult:
    """Record an event and give every affected agency its step, in bulk and all or nothing.

    - legal_change → procedure_update:NUMBER, due effective date + 3 months (calendar months);
      scope_change → re_announcement:NUMBER; leadership_change → steering_committee_reform:NUMBER.
    - The due date is moved to the next working day; the step belongs to the effective year.
    - Refuses an unknown kind, an unknown agency (naming every one), or a number already recorded.
    """
    if kind not in EVENT_KINDS:
        choices = ", ".join(f"{EVENT_KIND_LABELS[k]} ({k})" for k in EVENT_KINDS)
        raise IsoError(f"Không có loại sự kiện «{kind}»; dùng một trong: {choices}.", field="kind")
    ref = _text(number, "number", "Số văn bản", MAX_EVENT_NUMBER, required=True) or ""
    if any(c.isspace() and c != " " for c in ref):
        # The number becomes part of a step key, which commands, URLs and the API take.
        raise IsoError(
            "Số văn bản phải nằm trên một dòng (không xuống dòng, không có tab).", field="number"
        )
    title_text = _text(title, "title", "Trích yếu", 500) or ""
    codes = list(dict.fromkeys(c.strip() for c in agency_codes if c.strip()))
    if not codes:
        raise IsoError("Chưa nêu đơn vị nào chịu tác động.", field="agencies")
    a = AGENCY.c
    ids = dict(session.execute(select(a.code, a.id).where(a.code.in_(codes))).tuples().all())
    unknown = [c for c in codes if c not in ids]
    if unknown:
        raise IsoError(
            f"Không có đơn vị mã {', '.join(f'«{c}»' for c in unknown)}.", field="agencies"
        )
    exists = session.exec(
        orm_select(Event).where(Event.kind == kind, Event.number == ref)
    ).one_or_none()
    if exists is not None:
        raise IsoError(
            f"{EVENT_KIND_LABELS[kind]} số «{ref}» đã được ghi nhận trước đây.", field="number"
        )

    step_type, step_title, basis = EVENT_STEPS[kind]
    nominal = rules.event_offset(kind).after(effective_on)
    due = working.on_or_after(nominal)
    key = f"{step_type}:{ref}"
    year = effective_on.year
    event = Event(
        kind=kind, number=ref, title=title_text, effective_on=effective_on, created_by=actor
    )
    session.add(event)
    session.flush()
    now = utcnow()
    agency_ids = [ids[c] for c in codes]
    session.execute(
        insert(EventAgency), [{"event_id": event.id, "agency_id": i} for i in agency_ids]
    )
    session.execute(
        insert(Step),
        [
            {
                "id": uuid.uuid4(),
                "agency_id": i,
                "year": year,
                "key": key,
                "step_type": step_type,
                "title": f"{step_title} {ref}"[:300],
                "legal_basis": basis,
                "nominal_due": nominal,
                "due": due,
                "state": STEP_OPEN,
                "created_at": now,
            }
            for i in agency_ids
        ],
    )
    new = {
        "kind": kind,
        "number": ref,
        "title": title_text,
        "effective_on": effective_on.isoformat(),
        "step": key,
        "due": due.isoformat(),
    }
    session.execute(
        insert(HistoryEntry),
        [
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor": actor,
                "agency_id": i,
                "year": year,
                "entity": "event",
                "entity_id": ref,
                "action": "recorded",
                "old": None,
                "new": new,
            }
            for i in agency_ids
        ],
    )
    session.commit()
    return EventResult(event=event, steps_created=len(agency_ids), due=due, nominal_due=nominal)


def active_agency_codes(
    *, session: Session, on: date, kinds: Iterable[str] | None = None
) -> list[str]:
    """Codes of every agency in operation on a day, optionally of the given kinds."""
    a = AGENCY.c
    query = select(a.code, a.active, a.valid_from, a.valid_to).order_by(a.code)
    if kinds is not None:
        query = query.where(a.kind.in_(list(kinds)))
    return [r.code for r in session.execute(query) if cycles.agency_exists_on(r, on)]


def list_events(*, session: Session, year: int | None = None) -> list[dict[str, Any]]:
    """Return events with their affected-agency count and how many steps are still open."""
    e = table_of(Event).c
    query = select(table_of(Event)).order_by(e.effective_on, e.number, e.kind)
    if year is not None:
        query = query.where(func.extract("year", e.effective_on) == year)
    events = session.execute(query).all()
    ea = EVENT_AGENCY.c
    counts = dict(
        session.execute(
            select(ea.event_id, func.count())
            .where(ea.event_id.in_([ev.id for ev in events]))
            .group_by(ea.event_id)
        )
        .tuples()
        .all()
    )
    s = STEP.c
    keys = [f"{EVENT_STEPS[ev.kind][0]}:{ev.number}" for ev in events]
    open_by_key = dict(
        session.execute(
            select(s.key, func.count()).where(s.state == STEP_OPEN, s.key.in_(keys)).group_by(s.key)
        )
        .tuples()
        .all()
    )
    out = []
    for ev, key in zip(events, keys, strict=True):
        out.append(
            {
                "kind": ev.kind,
                "number": ev.number,
                "title": ev.title,
                "effective_on": ev.effective_on,
                "agencies": counts.get(ev.id, 0),
                "step": key,
                "open_steps": open_by_key.get(key, 0),
            }
        )
    return out
