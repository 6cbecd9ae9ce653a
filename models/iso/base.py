"""What every ISO record shares: vocabulary, errors, deadline rules, files, steps, history."""

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
from dataclasses import dataclass, field as dataclass_field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, select as orm_select

from config.settings import DEFAULT_ISO_RULES
from models import cycles, textfiles
from models.periods import PeriodError, PeriodRule, parse_cutoff
from models.tables import (
    Agency,
    HistoryEntry,
    Step,
    table_of,
)

SEVERITIES = ("major", "minor", "observation")
SEVERITY_LABELS = {
    "major": "không phù hợp nặng",
    "minor": "không phù hợp nhẹ",
    "observation": "điểm lưu ý",
}
# Spellings secretaries use, compared after case folding: the English codes, and the words of
# the seed reports 000–003 ("điểm không phù hợp nhẹ/nặng", "điểm lưu ý", "điểm khuyến nghị").
SEVERITY_ALIASES = {
    "major": "major",
    "nặng": "major",
    "không phù hợp nặng": "major",
    "điểm không phù hợp nặng": "major",
    "kph nặng": "major",
    "minor": "minor",
    "nhẹ": "minor",
    "không phù hợp nhẹ": "minor",
    "điểm không phù hợp nhẹ": "minor",
    "kph nhẹ": "minor",
    # An unqualified nonconformity (seed 002: "01 điểm không phù hợp"; seed 003: "sự không phù
    # hợp") counts as minor, a project decision: the seeds name a major one "nặng".
    "không phù hợp": "minor",
    "điểm không phù hợp": "minor",
    "sự không phù hợp": "minor",
    "observation": "observation",
    "lưu ý": "observation",
    "điểm lưu ý": "observation",
    # Seed 003: "Có mấy điểm khuyến nghị", "các nội dung khuyến nghị của đoàn đánh giá".
    "khuyến nghị": "observation",
    "điểm khuyến nghị": "observation",
    "nội dung khuyến nghị": "observation",
}
AUDIT_KINDS = ("internal", "inspection")
COMPARISONS = (">=", "<=", "=", ">", "<")
COMPARISON_ALIASES = {"≥": ">=", "≤": "<=", "==": "="}
EVENT_KINDS = ("legal_change", "scope_change", "leadership_change", "restructuring")
EVENT_KIND_LABELS = {
    "legal_change": "Văn bản pháp luật thay đổi",
    "scope_change": "Điều chỉnh phạm vi áp dụng",
    "leadership_change": "Thay đổi lãnh đạo",
    "restructuring": "Sắp xếp, tổ chức lại đơn vị",
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
    # A merged or re-organised unit re-announces its QMS for its new scope (domain.md §2.1 #12).
    "restructuring": (
        "re_announcement",
        "Công bố lại HTQLCL sau sắp xếp, tổ chức lại theo",
        "QĐ 19/2014/QĐ-TTg Điều 4.4c",
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
    # The cut-off day of annual and six-month reporting periods (models/periods.py).
    periods: PeriodRule = PeriodRule()

    def event_offset(self, kind: str) -> Offset:
        defaults = {
            "legal_change": Offset(months=3),
            "scope_change": Offset(days=30),
            "leadership_change": Offset(days=30),
            "restructuring": Offset(days=30),
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
    cutoff = data.get("reporting_periods", {}).get("cutoff", "15/12")
    try:
        periods = parse_cutoff(str(cutoff))
    except PeriodError as exc:
        raise IsoError(f"{path}: reporting_periods.cutoff: {exc}") from exc
    return IsoRules(
        periods=periods,
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
    # A browser posts a textarea's line breaks as CRLF: they are line breaks, kept as "\n".
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).strip()
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
