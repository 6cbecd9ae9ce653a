"""Agencies: reading an import file, validating it whole, and writing it in one transaction."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, select as orm_select

from models import textfiles
from models.calendar import AGENCY_KINDS
from models.tables import AGENCY, Agency, HistoryEntry, utcnow

FIELDS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "secretary_name",
    "secretary_email",
    "head_name",
    "head_email",
    "active",
    "valid_from",
    "valid_to",
    "abbreviation",
)
REQUIRED_HEADERS = ("code", "name", "kind")
# Each column as the site and its template file name it, for messages about a missing column.
FIELD_LABELS = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "kind": "Loại đơn vị",
    "parent_code": "Mã đơn vị cấp trên",
    "secretary_name": "Thư ký ISO",
    "secretary_email": "Email thư ký",
    "head_name": "Thủ trưởng",
    "head_email": "Email thủ trưởng",
    "active": "Đang hoạt động",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "abbreviation": "Ký hiệu viết tắt",
}

# Header spellings seen in provincial spreadsheets, matched without case or diacritics.
HEADER_ALIASES = {
    "code": ("code", "mã đơn vị", "mã", "ma don vi"),
    "name": ("name", "tên đơn vị", "tên", "tên cơ quan"),
    "kind": ("kind", "loại", "loại đơn vị", "loại hình"),
    "parent_code": ("parent_code", "mã đơn vị cấp trên", "đơn vị cấp trên", "mã cấp trên"),
    "secretary_name": ("secretary_name", "thư ký iso", "họ tên thư ký", "thư ký"),
    "secretary_email": ("secretary_email", "email thư ký", "thư điện tử thư ký"),
    "head_name": ("head_name", "thủ trưởng", "họ tên thủ trưởng", "người đứng đầu"),
    "head_email": ("head_email", "email thủ trưởng", "thư điện tử thủ trưởng"),
    "active": ("active", "hoạt động", "đang hoạt động"),
    "valid_from": ("valid_from", "hiệu lực từ", "từ ngày"),
    "valid_to": ("valid_to", "hiệu lực đến", "đến ngày"),
    "abbreviation": ("abbreviation", "ký hiệu viết tắt", "ký hiệu", "viết tắt", "tên viết tắt"),
}

# The kinds as the site shows them (the dashboard's filter, the agency page).
KIND_LABELS = {
    "ubnd_tinh": "UBND tỉnh",
    "van_phong": "Văn phòng",
    "so": "Sở, ngành",
    "chi_cuc": "Chi cục",
    "trung_tam": "Trung tâm",
    "don_vi_su_nghiep": "Đơn vị sự nghiệp",
    "ubnd_huyen": "UBND huyện",
    "ubnd_xa": "UBND xã, phường",
    "phong": "Phòng",
}
# Spellings accepted in the kind column besides the keys and KIND_LABELS, compared without case,
# diacritics or punctuation ("Sở, ngành" = "so nganh").
KIND_ALIASES = {
    "sở": "so",
    "ngành": "so",
    "sở ngành": "so",
    "chi cục": "chi_cuc",
    "ubnd tỉnh": "ubnd_tinh",
    "ủy ban nhân dân tỉnh": "ubnd_tinh",
    "văn phòng": "van_phong",
    "ubnd xã": "ubnd_xa",
    "ubnd phường": "ubnd_xa",
    "ubnd xã phường": "ubnd_xa",
    "ủy ban nhân dân xã": "ubnd_xa",
    "ủy ban nhân dân phường": "ubnd_xa",
    "xã": "ubnd_xa",
    "phường": "ubnd_xa",
    "phòng": "phong",
    "trung tâm": "trung_tam",
    "đơn vị sự nghiệp": "don_vi_su_nghiep",
    "đơn vị sự nghiệp công lập": "don_vi_su_nghiep",
    "ubnd huyện": "ubnd_huyen",
    "ủy ban nhân dân huyện": "ubnd_huyen",
}
TRUE_WORDS = {"1", "true", "yes", "có", "x", "y"}
FALSE_WORDS = {"0", "false", "no", "không", "n"}
MAX_LENGTHS = {
    "code": 64,
    "name": 300,
    "secretary_name": 200,
    "head_name": 200,
    "abbreviation": 20,
}
# The agency's own abbreviation in its document numbers ("SNgV" in 177/BC-SNgV): letters (with
# diacritics, as in "ĐGNB"), digits, "&" and "."; no "/", "-" or space, which separate the parts.
ABBREVIATION_PATTERN = re.compile(r"[^\W_][\w&.]*")
# The people's committees number their documents "41/QĐ-UBND" whatever their name.
UBND_KINDS = ("ubnd_tinh", "ubnd_huyen", "ubnd_xa")
# Codes appear in URLs and commands, so they are plain: letters, digits, dot, dash, underscore.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ImportFailed(Exception):
    """An import that wrote nothing; `problems` lists every bad row and column."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was written")


@dataclass(frozen=True, order=True)
class Problem:
    """One reason an import is refused: the file's row, the field, and a Vietnamese message.

    `column` is the column's title as the file wrote it (or its Vietnamese label when the file
    has no such column), so a message points at what the person sees in the spreadsheet.
    """

    row: int
    field: str
    message: str
    column: str = ""

    def __str__(self) -> str:
        if not self.row:
            return f"tệp: {self.message}"
        if not self.column:
            return f"dòng {self.row}: {self.message}"
        return f"dòng {self.row}, cột «{self.column}»: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _fold(text: str) -> str:
    """Lower-case, NFC, single spaces: for comparing header and kind spellings."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _kind_key(text: str) -> str:
    """A kind spelling without case, diacritics, punctuation or "_": "Sở, ngành" → "so nganh"."""
    plain = _strip_marks(_fold(text)).replace("_", " ")
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


_HEADER_LOOKUP = {
    key: field
    for field, spellings in HEADER_ALIASES.items()
    for spelling in spellings
    for key in (_fold(spelling), _strip_marks(_fold(spelling)))
}
_KIND_LOOKUP = {
    _kind_key(spelling): kind
    for spelling, kind in [
        *KIND_ALIASES.items(),
        *((label, kind) for kind, label in KIND_LABELS.items()),
        *((k, k) for k in AGENCY_KINDS),
    ]
}


def parse_kind(text: str) -> str | None:
    """The kind key for a key, a label the site shows or a common variant; None if unknown."""
    return _KIND_LOOKUP.get(_kind_key(text))


def kind_choices() -> str:
    """The kinds as the site shows them, for a message: «Sở, ngành», «Chi cục», …"""
    return ", ".join(f"«{KIND_LABELS[k]}»" for k in AGENCY_KINDS)


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file into a header and data rows."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows = [[_clean(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            finally:
                workbook.close()
        except Exception as exc:  # openpyxl raises many types (zip, XML, KeyError) for a bad file
            raise ImportFailed(
                [Problem(0, "file", "không đọc được tệp .xlsx (tệp hỏng hoặc không phải Excel)")]
            ) from exc
    elif suffix in {".csv", ".txt"}:
        try:
            text = textfiles.decode(path.read_bytes())
        except textfiles.NotUnicode as exc:
            raise ImportFailed([Problem(0, "file", str(exc))]) from exc
        sep = textfiles.separator(text, known=lambda title: _header_field(title) is not None)
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        try:
            rows = [[_clean(v) for v in row] for row in reader]
        except csv.Error as exc:
            raise ImportFailed(
                [
                    Problem(
                        reader.line_num,
                        "file",
                        "không đọc được dòng này (ô quá dài, hoặc dấu ngoặc kép không đóng)",
                    )
                ]
            ) from exc
    else:
        raise ImportFailed(
            [Problem(0, "file", f"không nhận loại tệp «{suffix}»; hãy dùng tệp .csv hoặc .xlsx")]
        )
    if not rows:
        raise ImportFailed([Problem(1, "header", "tệp trống, không có dòng tiêu đề")])
    return rows[0], rows[1:]


def _header_field(title: str) -> str | None:
    folded = _fold(title)
    return _HEADER_LOOKUP.get(folded) or _HEADER_LOOKUP.get(_strip_marks(folded))


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Return field → column index; unknown columns are ignored, missing required ones refused."""
    mapping: dict[str, int] = {}
    problems = []
    for index, title in enumerate(header):
        field = _header_field(title)
        if field is None:
            continue
        if field in mapping:
            problems.append(
                Problem(
                    1,
                    field,
                    f"trùng với cột «{header[mapping[field]]}» "
                    f"(cả hai đều là cột {FIELD_LABELS[field]})",
                    title,
                )
            )
        mapping[field] = index
    for field in REQUIRED_HEADERS:
        if field not in mapping:
            problems.append(
                Problem(
                    1,
                    field,
                    f"thiếu cột bắt buộc «{FIELD_LABELS[field]}» (hoặc «{field}»); "
                    f"dòng tiêu đề có: {', '.join(f'«{t}»' for t in header if t) or '(trống)'}",
                )
            )
    if problems:
        raise ImportFailed(problems)
    return mapping


def _parse_row(number: int, values: Mapping[str, str], problems: list[Problem]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in ("code", "name"):
        if not values.get(field):
            problems.append(Problem(number, field, "không được để trống"))
    code = values.get("code", "")
    if code and not CODE_PATTERN.fullmatch(code):
        problems.append(
            Problem(
                number,
                "code",
                f"mã «{code}» chỉ được gồm chữ cái không dấu, chữ số và các dấu . - _",
            )
        )
    for field, limit in MAX_LENGTHS.items():
        if len(values.get(field, "")) > limit:
            problems.append(Problem(number, field, f"dài quá {limit} ký tự"))
    for field in FIELDS:
        if any(unicodedata.category(c) == "Cc" for c in values.get(field, "")):
            problems.append(Problem(number, field, "có ký tự điều khiển (không in được)"))
    row["code"] = values.get("code", "")
    row["name"] = values.get("name", "")

    kind_text = values.get("kind", "")
    kind = parse_kind(kind_text)
    if kind is None:
        problems.append(
            Problem(
                number,
                "kind",
                f"không có loại đơn vị «{kind_text}»; dùng một trong: {kind_choices()}"
                if kind_text
                else f"không được để trống; dùng một trong: {kind_choices()}",
            )
        )
    row["kind"] = kind
    row["parent_code"] = values.get("parent_code") or None

    for person in ("secretary", "head"):
        row[f"{person}_name"] = values.get(f"{person}_name") or None
        email = values.get(f"{person}_email", "")
        if email:
            from email_validator import EmailNotValidError, validate_email

            try:
                email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                problems.append(
                    Problem(
                        number, f"{person}_email", f"«{email}» không phải địa chỉ e-mail hợp lệ"
                    )
                )
        row[f"{person}_email"] = email or None

    active_text = _fold(values.get("active", ""))
    if active_text and active_text not in TRUE_WORDS | FALSE_WORDS:
        problems.append(
            Problem(number, "active", f"«{values['active']}» không phải có/không (1/0)")
        )
    row["active"] = active_text not in FALSE_WORDS

    for field in ("valid_from", "valid_to"):
        text = values.get(field, "")
        row[field] = None
        if text:
            try:
                row[field] = _parse_date(text)
            except ValueError:
                problems.append(
                    Problem(number, field, f"«{text}» không phải ngày (dd/mm/yyyy hoặc yyyy-mm-dd)")
                )
            else:
                if row[field].year not in YEARS:
                    # "31/12/26" would be year 26: the agency would silently get no steps.
                    row[field] = None
                    problems.append(
                        Problem(
                            number,
                            field,
                            f"«{text}» có năm ngoài khoảng {YEARS.start}–{YEARS.stop - 1}; "
                            "hãy ghi năm đủ 4 chữ số (dd/mm/yyyy)",
                        )
                    )
    abbreviation = values.get("abbreviation", "").strip()
    if abbreviation and not ABBREVIATION_PATTERN.fullmatch(abbreviation):
        problems.append(
            Problem(
                number,
                "abbreviation",
                f"«{abbreviation}» không phải ký hiệu viết tắt: chỉ gồm chữ cái, chữ số, & và dấu "
                "chấm, không có dấu /, - hay khoảng trắng (ví dụ SNgV)",
            )
        )
    row["abbreviation"] = abbreviation or None
    if row["valid_from"] and row["valid_to"] and row["valid_to"] < row["valid_from"]:
        problems.append(Problem(number, "valid_to", "trước ngày bắt đầu hiệu lực"))
    return row


# The years a date read from a file may fall in; anything else is a typo such as a two-digit year.
YEARS = range(1900, 2101)


def _parse_date(text: str) -> date:
    text = text.split(" ")[0].split("T")[0]
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def _find_cycles(parent_of: Mapping[str, str | None]) -> set[str]:
    """Return the codes that sit on a cycle of the parent relation."""
    on_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1 = being walked, 2 = done
    for start in parent_of:
        path: list[str] = []
        code: str | None = start
        while code is not None and state.get(code) is None and code in parent_of:
            state[code] = 1
            path.append(code)
            code = parent_of[code]
        if code is not None and state.get(code) == 1:
            on_cycle.update(path[path.index(code) :])
        for c in path:
            state[c] = 2
    return on_cycle


def validate_rows(
    header: Sequence[str], data: Iterable[Sequence[str]], existing: Mapping[str, str | None]
) -> list[dict[str, Any]]:
    """Validate every row against the file and the agencies already stored (code → parent code).

    Raises ImportFailed listing every problem; returns the parsed rows otherwise.
    """
    columns = map_header(header)
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    first_row_of: dict[str, int] = {}
    for offset, raw in enumerate(data):
        number = offset + 2  # the header is row 1
        if not any(raw):
            continue
        values = {field: raw[i] if i < len(raw) else "" for field, i in columns.items()}
        row = _parse_row(number, values, problems)
        row["_row"] = number
        if row["code"]:
            if row["code"] in first_row_of:
                problems.append(
                    Problem(
                        number,
                        "code",
                        f"mã «{row['code']}» trùng với dòng {first_row_of[row['code']]}",
                    )
                )
                continue
            first_row_of[row["code"]] = number
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem(2, "code", "tệp không có đơn vị nào"))

    known = set(existing) | set(first_row_of)
    parent_of = dict(existing)
    if "parent_code" not in columns:
        # A file without the column keeps every stored agency where it is in the tree.
        for row in rows:
            row["parent_code"] = existing.get(row["code"])
    for row in rows:
        parent = row["parent_code"]
        if parent is not None and parent not in known:
            problems.append(
                Problem(
                    row["_row"],
                    "parent_code",
                    f"không có đơn vị mã «{parent}» (trong tệp hay đã có trong hệ thống)",
                )
            )
        elif parent == row["code"]:
            problems.append(
                Problem(row["_row"], "parent_code", "đơn vị không thể là cấp trên của chính nó")
            )
        if row["code"]:
            parent_of[row["code"]] = parent
    cyclic = _find_cycles(parent_of)
    for row in rows:
        if row["code"] in cyclic and row["parent_code"] != row["code"]:
            problems.append(
                Problem(
                    row["_row"],
                    "parent_code",
                    f"«{row['code']}» nằm trong một vòng cấp trên – cấp dưới khép kín",
                )
            )
    if problems:
        # Name each column as the file's header does: what the person sees in the spreadsheet.
        titles = {field: header[i] for field, i in columns.items()}
        raise ImportFailed(
            sorted(replace(p, column=p.column or titles.get(p.field, "")) for p in problems)
        )
    return rows


def import_agencies(*, session: Session, path: Path, actor: str = "import") -> ImportResult:
    """Import a CSV/XLSX file all-or-nothing: create new codes, update known ones.

    Raises ImportFailed, having written nothing, if any row is bad.
    """
    header, data = read_rows(path)
    return upsert_agencies(session=session, header=header, data=data, actor=actor)


def upsert_agencies(
    *,
    session: Session,
    header: Sequence[str],
    data: Iterable[Sequence[str]],
    actor: str = "import",
) -> ImportResult:
    """Validate and write rows in bulk, with a history entry per change, in one commit.

    - A stored agency only takes the columns the file has: a file of codes and names does not
      clear contacts, reopen a closed agency or move it in the tree.
    """
    stored = session.execute(
        select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.parent_id, *[AGENCY.c[f] for f in _COMPARED])
    ).all()
    code_of = {r.id: r.code for r in stored}
    existing = {r.code: code_of.get(r.parent_id) if r.parent_id else None for r in stored}
    rows = validate_rows(header, data, existing)
    present = set(map_header(header))
    written = [f for f in _COMPARED if f in present]
    if "parent_code" in present:
        written.append("parent_id")

    id_of = {r.code: r.id for r in stored}
    for row in rows:
        id_of.setdefault(row["code"], uuid.uuid4())
    before = {r.code: r for r in stored}
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        values = {f: row[f] for f in _COMPARED}
        values["parent_id"] = id_of[row["parent_code"]] if row["parent_code"] else None
        old = before.get(row["code"])
        if old is None:
            inserts.append(
                {
                    "id": id_of[row["code"]],
                    "code": row["code"],
                    **values,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            changes.append(
                _change(id_of[row["code"]], row["code"], "created", None, values, now, actor)
            )
            continue
        changed = {f: values[f] for f in written if getattr(old, f) != values[f]}
        if changed:
            updates.append({"b_id": old.id, **{f: values[f] for f in written}, "updated_at": now})
            was = {f: getattr(old, f) for f in changed}
            changes.append(_change(old.id, row["code"], "updated", was, changed, now, actor))
    if inserts:
        # Foreign keys are checked row by row, so parents go in before their children.
        depth = _depths({r["code"]: r["parent_code"] for r in rows} | existing)
        inserts.sort(key=lambda r: depth[r["code"]])
        session.execute(insert(Agency), inserts)
    if updates:
        stmt = (
            update(AGENCY)
            .where(AGENCY.c.id == bindparam("b_id"))
            .values({k: bindparam(k) for k in updates[0] if k != "b_id"})
        )
        session.connection().execute(stmt, updates)
    if changes:
        session.execute(insert(HistoryEntry), changes)
    session.commit()
    unchanged = len(rows) - len(inserts) - len(updates)
    return ImportResult(created=len(inserts), updated=len(updates), unchanged=unchanged)


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        k: v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, uuid.UUID) else v
        for k, v in values.items()
    }


def _change(
    agency_id: uuid.UUID,
    code: str,
    action: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    now: datetime,
    actor: str,
) -> dict[str, Any]:
    """One history row for an agency created or changed by an import."""
    return {
        "id": uuid.uuid4(),
        "at": now,
        "actor": actor,
        "agency_id": agency_id,
        "year": None,
        "entity": "agency",
        "entity_id": code,
        "action": action,
        "old": _plain(old),
        "new": _plain(new),
    }


def _depths(parent_of: Mapping[str, str | None]) -> dict[str, int]:
    """Return each code's distance from its root (the tree is known to be acyclic)."""
    depth: dict[str, int] = {}

    def walk(code: str) -> int:
        chain = []
        while code not in depth:
            parent = parent_of.get(code)
            if parent is None:
                depth[code] = 0
                break
            chain.append(code)
            code = parent
        base = depth[code]
        for offset, c in enumerate(reversed(chain), start=1):
            depth[c] = base + offset
        return depth[chain[0]] if chain else base

    for code in parent_of:
        walk(code)
    return depth


# The stored fields an import compares and writes (the parent is resolved to an id separately).
_COMPARED = tuple(f for f in FIELDS if f not in ("code", "parent_code"))


def list_agencies(*, session: Session) -> list[dict[str, Any]]:
    """Return every agency as a plain dict, ordered by code."""
    parent = AGENCY.alias("parent")
    a = AGENCY
    rows = session.connection().execute(
        select(a, parent.c.code.label("parent_code"))
        .select_from(a.outerjoin(parent, a.c.parent_id == parent.c.id))
        .order_by(a.c.code)
    )
    return [dict(r._mapping) for r in rows]


def document_abbreviation(agency: Agency) -> str:
    """The agency's abbreviation as its document numbers write it ("SNgV", "UBND").

    - Its own `abbreviation` when the agency file gives one.
    - Else "UBND" for a people's committee (UBND tỉnh, huyện, xã), which numbers "41/QĐ-UBND".
    - Else its code, the best guess left.
    """
    if agency.abbreviation:
        return agency.abbreviation
    return "UBND" if agency.kind in UBND_KINDS else agency.code


def get_agency(*, session: Session, code: str) -> Agency | None:
    return session.exec(orm_select(Agency).where(Agency.code == code)).first()


def iter_subtree_ids(*, session: Session, root_id: uuid.UUID) -> Iterator[uuid.UUID]:
    """Yield the agency and all its descendants, breadth first."""
    rows = session.execute(select(AGENCY.c.id, AGENCY.c.parent_id)).all()
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r.id)
    queue = [root_id]
    while queue:
        current = queue.pop(0)
        yield current
        queue.extend(children.get(current, []))
