"""Dossier statistics (hồ sơ TTHC) of each reporting period: received, handled on time, late,
pending and with results attached online, entered by hand or imported whole from the .xlsx or
.csv file the public-service portal (dịch vụ công) exports."""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint, delete, insert, select
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models import textfiles
from models.iso.base import FieldError, IsoError, _atomic, _history, _text, get_agency
from models.iso.procedures import count_value
from models.periods import Period
from models.tables import AGENCY, HistoryEntry, instant, table_of, utcnow

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # an .xlsx is a zip: refuse one that inflates past this
MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_ERRORS = 200  # a file with more problems is told the first ones, and how many there are
HEADER_SEARCH_ROWS = 15  # portal exports put a title and blank rows above the header

# Field → (label in messages, the headers the portal and secretaries write, compared folded).
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "agency": ("Mã đơn vị", ("mã đơn vị", "mã cơ quan", "mã đv", "mã")),
    "name": ("Tên đơn vị", ("tên đơn vị", "đơn vị", "tên cơ quan", "cơ quan")),
    "start": ("Từ ngày", ("từ ngày",)),
    "end": ("Đến ngày", ("đến ngày",)),
    "received": (
        "Số hồ sơ tiếp nhận",
        ("số hồ sơ tiếp nhận", "tiếp nhận", "hồ sơ tiếp nhận", "tổng số hồ sơ", "tổng tiếp nhận"),
    ),
    "early": ("Trước hạn", ("trước hạn", "giải quyết trước hạn")),
    "on_time": ("Đúng hạn", ("đúng hạn", "giải quyết đúng hạn", "số hồ sơ giải quyết đúng hạn")),
    "late": (
        "Quá hạn",
        ("quá hạn", "giải quyết quá hạn", "trễ hạn", "số hồ sơ giải quyết quá hạn"),
    ),
    "pending": ("Đang giải quyết", ("đang giải quyết", "đang xử lý", "chưa giải quyết")),
    "with_results": (
        "Gắn kèm kết quả",
        (
            "gắn kèm kết quả",
            "có kết quả điện tử",
            "số hồ sơ được gắn kèm kết quả",
            "đính kèm kết quả",
        ),
    ),
}
REQUIRED = ("agency", "received", "on_time", "late", "with_results")
LABELS = {f: label for f, (label, _) in COLUMNS.items()}
_HEADER = {alias: f for f, (_, aliases) in COLUMNS.items() for alias in aliases}


# Dossiers of TTHC at one agency over one range of days (inside a reporting period).
class DossierStats(SQLModel, table=True):
    __tablename__ = "iso_dossier_stats"
    __table_args__ = (
        UniqueConstraint(
            "agency_id", "period_start", "period_end", name="uq_iso_dossier_stats_period"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    period_start: date = Field(index=True)
    period_end: date
    received: int
    on_time: int
    late: int
    pending: int = 0
    with_results: int
    source: str = Field(default="", max_length=200)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = instant(default_factory=utcnow)


DOSSIER_STATS = table_of(DossierStats)
FIGURES = ("received", "on_time", "late", "pending", "with_results")


def _fold(text: object) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def _check_figures(values: dict[str, int], where: str = "") -> list[FieldError]:
    """The sums that must hold: received = on time + late + pending; results ≤ received."""
    errors = []
    handled = values["on_time"] + values["late"] + values["pending"]
    if handled != values["received"]:
        errors.append(
            FieldError(
                "received",
                f"{where}số hồ sơ tiếp nhận ({values['received']}) không bằng đúng hạn "
                f"({values['on_time']}) + quá hạn ({values['late']}) + đang giải quyết "
                f"({values['pending']}) = {handled}.",
            )
        )
    if values["with_results"] > values["received"]:
        errors.append(
            FieldError(
                "with_results",
                f"{where}số hồ sơ gắn kèm kết quả ({values['with_results']}) nhiều hơn số hồ sơ "
                f"tiếp nhận ({values['received']}).",
            )
        )
    return errors


def _cap(errors: list[FieldError]) -> IsoError:
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = errors[:MAX_ERRORS] + [
            FieldError("file", f"Còn {more} lỗi khác; sửa các lỗi trên rồi nhập lại.")
        ]
    return IsoError(errors=errors)


@_atomic
def set_dossier_stats(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    received: object,
    on_time: object,
    late: object,
    with_results: object,
    actor: str,
    pending: object = 0,
    source: str = "nhập tay",
) -> DossierStats:
    """Enter (or correct) one agency's dossier figures for a range of days by hand."""
    agency = get_agency(session, agency_code)
    values: dict[str, int] = {}
    errors: list[FieldError] = []
    for name, value in zip(FIGURES, (received, on_time, late, pending, with_results), strict=True):
        try:
            values[name] = count_value(value, name, f"Số hồ sơ {LABELS[name].lower()}")
        except IsoError as exc:
            errors.extend(exc.errors)
    if not errors:
        errors = _check_figures(values)
    if errors:
        raise IsoError(
            errors=[FieldError(e.field, e.message[:1].upper() + e.message[1:]) for e in errors]
        )
    row = session.exec(
        orm_select(DossierStats).where(
            DossierStats.agency_id == agency.id,
            DossierStats.period_start == period.start,
            DossierStats.period_end == period.end,
        )
    ).one_or_none()
    old = None
    if row is None:
        row = DossierStats(
            agency_id=agency.id,
            period_start=period.start,
            period_end=period.end,
            updated_by=actor,
            **values,  # type: ignore[arg-type]
        )
    else:
        old = {k: getattr(row, k) for k in FIGURES}
    for k, v in values.items():
        setattr(row, k, v)
    row.source, row.updated_by, row.updated_at = source[:200], actor, utcnow()
    session.add(row)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=period.end.year,
        entity="dossier_stats",
        entity_id=period.key,
        action="updated" if old else "recorded",
        old=old,
        new=dict(values),
    )
    session.commit()
    return row


def get_dossier_stats(
    *, session: Session, agency_code: str, period: Period
) -> dict[str, Any] | None:
    """The dossier figures entered for a period (or the latest range inside it), or None."""
    agency = get_agency(session, agency_code)
    d = DOSSIER_STATS.c
    row = session.execute(
        select(DOSSIER_STATS)
        .where(d.agency_id == agency.id, d.period_start >= period.start, d.period_end <= period.end)
        .order_by(d.period_end.desc(), d.period_start)
        .limit(1)
    ).first()
    if row is None:
        return None
    keys = ("period_start", "period_end", *FIGURES, "source")
    return {k: getattr(row, k) for k in keys}


# --- reading the portal's file ------------------------------------------------------------------


@dataclass
class Sheet:
    """A file's cells: the header's titles by field, and each data row with its row number."""

    titles: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]]


def _header(cells: list[Any]) -> dict[int, str]:
    return {i: _HEADER[_fold(c)] for i, c in enumerate(cells) if _fold(c) in _HEADER}


def _sheet_from(name: str, raw_rows: list[tuple[int, list[Any]]]) -> Sheet:
    found = next(
        (
            i
            for i, (_, c) in enumerate(raw_rows[:HEADER_SEARCH_ROWS])
            if "agency" in _header(c).values()
        ),
        None,
    )
    if found is None:
        raise IsoError(
            f"{name}: không thấy dòng tiêu đề có cột «{LABELS['agency']}» trong "
            f"{HEADER_SEARCH_ROWS} dòng đầu.",
            field="file",
        )
    index, cells = found, raw_rows[found][1]
    columns = _header(cells)
    missing = [LABELS[f] for f in REQUIRED if f not in columns.values()]
    if missing:
        raise IsoError(f"{name}: thiếu cột {', '.join(f'«{m}»' for m in missing)}.", field="file")
    titles = {f: str(cells[i]).strip() for i, f in columns.items()}
    rows = []
    for number, row_cells in raw_rows[index + 1 :]:
        values = {f: row_cells[i] if i < len(row_cells) else None for i, f in columns.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        if not str(values["agency"] or "").strip() and _fold(values.get("name")).startswith("tổng"):
            continue  # the portal's "Tổng cộng" line
        rows.append((number, values))
    if not rows:
        raise IsoError(f"{name}: tệp không có dòng số liệu nào.", field="file")
    if len(rows) > MAX_ROWS:
        raise IsoError(f"{name}: tệp có hơn {MAX_ROWS} dòng số liệu.", field="file")
    return Sheet(titles, rows)


def _xlsx_rows(name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > 1000 or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise IsoError(f"{name}: tệp Excel giải nén ra quá lớn.", field="file")
    except zipfile.BadZipFile as exc:
        raise IsoError(
            f"{name}: không phải tệp Excel .xlsx hợp lệ (tệp hỏng, hoặc là .xls cũ: hãy lưu lại "
            "thành .xlsx hoặc CSV UTF-8).",
            field="file",
        ) from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise IsoError(
            f"{name}: không đọc được tệp Excel ({type(exc).__name__}).", field="file"
        ) from exc
    try:
        sheet = book.worksheets[0]
        out = []
        for number, cells in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                raise IsoError(f"{name}: tệp có hơn {MAX_ROWS} dòng số liệu.", field="file")
            out.append((number, list(cells)))
        return out
    except IsoError:
        raise
    except Exception as exc:
        raise IsoError(
            f"{name}: không đọc được tệp Excel ({type(exc).__name__}).", field="file"
        ) from exc
    finally:
        book.close()


def _csv_rows(name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = textfiles.decode(data)
    except textfiles.NotUnicode as exc:
        raise IsoError(f"{name}: {exc}.", field="file") from exc
    sep = textfiles.separator(text, known=lambda t: _fold(t) in _HEADER)
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    out: list[tuple[int, list[Any]]] = []
    try:
        for cells in reader:
            if reader.line_num > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                raise IsoError(f"{name}: tệp có hơn {MAX_ROWS} dòng số liệu.", field="file")
            out.append((reader.line_num, cells[:MAX_COLUMNS]))
    except csv.Error as exc:
        raise IsoError(
            f"{name}: không đọc được dòng {reader.line_num} (dấu ngoặc kép không đóng, hoặc ô "
            "quá dài).",
            field="file",
        ) from exc
    return out


def read_dossier_file(name: str, data: bytes) -> Sheet:
    """Read the portal's .xlsx or .csv export: the header row (found among the first rows) and
    each data row with its row number; a malformed or oversized file is refused whole."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in {".xlsx", ".csv"}:
        raise IsoError(
            f"{name}: không nhận loại tệp «{suffix or name}»; hãy dùng tệp .xlsx hoặc .csv.",
            field="file",
        )
    if len(data) > MAX_FILE_BYTES:
        raise IsoError(f"{name}: tệp lớn quá {MAX_FILE_BYTES // (1024 * 1024)} MB.", field="file")
    if not data:
        raise IsoError(f"{name}: tệp rỗng.", field="file")
    raw = _xlsx_rows(name, data) if suffix == ".xlsx" else _csv_rows(name, data)
    return _sheet_from(name, raw)


def _cell_date(value: Any, field: str, label: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if "/" in text:
            d, m, y = (int(part) for part in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise IsoError(f"{label} «{text[:40]}» không phải ngày có thật.", field=field) from exc


@dataclass
class ImportResult:
    """What an import wrote: rows written, and how many replaced figures entered before."""

    rows: int
    replaced: int
    period: Period


@_atomic
def import_dossier_stats(
    *,
    session: Session,
    name: str,
    data: bytes,
    period: Period,
    actor: str,
    may_write: Callable[[uuid.UUID], bool] | None = None,
) -> ImportResult:
    """Import the portal's file for a reporting period, all or nothing: every row is checked
    (agency code, counts, sums, dates inside the period, and `may_write` the agency) and errors
    name the row and column."""
    sheet = read_dossier_file(name, data)
    titles = sheet.titles

    def col(field: str) -> str:
        return f"cột «{titles.get(field, LABELS[field])}»"

    codes = {str(v["agency"] or "").strip() for _, v in sheet.rows}
    ids: dict[str, uuid.UUID] = {}
    code_list = sorted(c for c in codes if c)
    for i in range(0, len(code_list), 900):
        chunk = code_list[i : i + 900]
        ids.update(
            session.execute(select(AGENCY.c.code, AGENCY.c.id).where(AGENCY.c.code.in_(chunk)))
            .tuples()
            .all()
        )
    errors: list[FieldError] = []
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, date, date], int] = {}
    for number, cells in sheet.rows:
        where = f"Dòng {number}"
        path = f"rows.{number}"
        row_errors: list[FieldError] = []

        def refuse(
            field: str,
            message: str,
            where: str = where,
            path: str = path,
            row_errors: list[FieldError] = row_errors,
        ) -> None:
            row_errors.append(FieldError(f"{path}.{field}", f"{where}, {col(field)}: {message}"))

        try:
            code = _text(str(cells["agency"] or ""), "agency", "mã đơn vị", 60, required=True)
        except IsoError as exc:
            refuse("agency", _low(exc))
            code = None
        if code is not None and code not in ids:
            refuse("agency", f"không có đơn vị mã «{code}».")
        elif code is not None and may_write is not None and not may_write(ids[code]):
            refuse("agency", f"bạn không có quyền nhập số liệu cho đơn vị «{code}».")
        values: dict[str, int] = {}
        for field in ("received", "early", "on_time", "late", "pending", "with_results"):
            if field not in titles:
                values[field] = 0
                continue
            cell = cells.get(field)
            if field in ("early", "pending") and (cell is None or str(cell).strip() == ""):
                values[field] = 0
                continue
            if isinstance(cell, str) and cell.strip().startswith(("=", "+", "-", "@")):
                if not cell.strip().lstrip("-").isdigit():
                    refuse(field, f"«{cell.strip()[:40]}» là công thức, không phải số.")
                    continue
            try:
                values[field] = count_value("" if cell is None else cell, field, LABELS[field])
            except IsoError as exc:
                refuse(field, _low(exc))
        start = end = None
        for field in ("start", "end"):
            if field not in titles:
                continue
            try:
                day = _cell_date(cells.get(field), field, LABELS[field])
            except IsoError as exc:
                refuse(field, _low(exc))
                continue
            if day is not None and not period.contains(day):
                refuse(
                    field,
                    f"ngày {day.day}/{day.month}/{day.year} nằm ngoài kỳ báo cáo {period.label}.",
                )
            if field == "start":
                start = day
            else:
                end = day
        start, end = start or period.start, end or period.end
        if start > end:
            refuse("end", f"đến ngày {end.day}/{end.month}/{end.year} trước từ ngày.")
        if not row_errors and len(values) == 6:
            values["on_time"] += values.pop("early")
            for e in _check_figures(values, ""):
                refuse(e.field, e.message)
        if not row_errors and code is not None:
            key = (code, start, end)
            if key in seen:
                refuse("agency", f"đơn vị «{code}» đã có ở dòng {seen[key]} cho cùng khoảng ngày.")
            seen[key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        assert code is not None
        records.append(
            {"agency_id": ids[code], "period_start": start, "period_end": end}
            | {k: values[k] for k in FIGURES}
        )
    if errors:
        raise _cap(errors)
    return _write(session, records, name=name, period=period, actor=actor)


def _low(exc: IsoError) -> str:
    message = exc.errors[0].message
    return message[:1].lower() + message[1:]


def _write(
    session: Session, records: list[dict[str, Any]], *, name: str, period: Period, actor: str
) -> ImportResult:
    """Replace the figures of the same agencies and ranges, in bulk, with a history line each."""
    d = DOSSIER_STATS.c
    keys = [(r["agency_id"], r["period_start"], r["period_end"]) for r in records]
    wanted = set(keys)
    agency_ids = sorted({k[0] for k in keys})
    old: dict[tuple[uuid.UUID, date, date], Any] = {}
    for i in range(0, len(agency_ids), 900):
        for row in session.execute(
            select(DOSSIER_STATS).where(
                d.agency_id.in_(agency_ids[i : i + 900]),
                d.period_start >= period.start,
                d.period_end <= period.end,
            )
        ):
            key = (row.agency_id, row.period_start, row.period_end)
            if key in wanted:
                old[key] = row
    ids = [row.id for row in old.values()]
    for i in range(0, len(ids), 900):
        session.execute(delete(DOSSIER_STATS).where(d.id.in_(ids[i : i + 900])))
    now = utcnow()
    source = f"tệp {name}"[:200]
    session.execute(
        insert(DossierStats),
        [
            r | {"id": uuid.uuid4(), "source": source, "updated_by": actor, "updated_at": now}
            for r in records
        ],
    )
    history = []
    for r, key in zip(records, keys, strict=True):
        before = old.get(key)
        span = Period(r["period_start"], r["period_end"])
        history.append(
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor": actor,
                "agency_id": r["agency_id"],
                "year": span.end.year,
                "entity": "dossier_stats",
                "entity_id": span.key,
                "action": "imported",
                "old": None if before is None else {k: getattr(before, k) for k in FIGURES},
                "new": {k: r[k] for k in FIGURES} | {"source": source},
            }
        )
    session.execute(insert(HistoryEntry), history)
    session.commit()
    return ImportResult(rows=len(records), replaced=len(old), period=period)
