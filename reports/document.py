"""Rendering every document: the NĐ 30/2020 letterhead and signature, docxtpl, PDF and .xlsx.

A document is a Word template with Jinja tags (reports/templates/<name>.docx, or the province's
own file of the same name in `settings.report_template_dir`) filled from a context of plain
values. Everything a person reads is formatted here the way Vietnamese offices write it: numbers
"4,5" and "10.000.000", dates dd/mm/yyyy, the date line "Hà Tĩnh, ngày 05 tháng 02 năm 2026".
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlmodel import Session

from models.agencies import UBND_KINDS, document_abbreviation
from models.tables import Agency
from models.vn_format import XLSX_DATE, XLSX_DECIMAL, XLSX_INTEGER, vn_date, vn_number

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# Seconds LibreOffice may take to turn one document into PDF; a cold start on a busy machine
# takes tens of seconds, and a hung converter must not hang the caller for ever.
PDF_TIMEOUT = 300
BLANK = "\u00a0" * 6  # the gap a văn thư fills in by hand: "Số:      /BC-SNgV"


class DocumentError(Exception):
    """A document cannot be made; the message is Vietnamese and says what to do."""


@dataclass(frozen=True)
class Letterhead:
    """The top of an administrative document (NĐ 30/2020, Phụ lục I, ô số 1–4)."""

    parent_body: str
    issuer: str
    number: str | None
    place: str
    issued_on: date | None
    year: int | None = None
    doc_kind: str = "BC"
    abbreviation: str = ""


def two_digits(number: str) -> str:
    """The leading number of a document number padded to two digits: "5/BC-SNgV" → "05/BC-SNgV"."""
    return re.sub(r"^(\d)(?=\D|$)", r"0\1", number.strip())


def number_line(lh: Letterhead) -> str:
    """ "Số: 05/BC-SNgV", or with no number yet the blank a văn thư fills: "Số:      /BC-SNgV"."""
    if lh.number and lh.number.strip() and not lh.number.strip().startswith("/"):
        return f"Số: {two_digits(lh.number)}"
    suffix = "-".join(p for p in (lh.doc_kind, lh.abbreviation) if p)
    return f"Số:{BLANK}/{suffix}"


def date_line(place: str, issued_on: date | None, year: int | None = None) -> str:
    """ "Hà Tĩnh, ngày 05 tháng 02 năm 2026": days below 10 and months 1 and 2 get a leading 0."""
    if issued_on is None:
        return f"{place}, ngày{BLANK}tháng{BLANK}năm {year if year else '20' + BLANK}"
    month = f"{issued_on.month:02d}" if issued_on.month < 3 else str(issued_on.month)
    return f"{place}, ngày {issued_on.day:02d} tháng {month} năm {issued_on.year}"


def place_of(agency: Agency, province: str) -> str:
    """The date line's place: a commune or district writes its own name, others the province."""
    if agency.kind in UBND_KINDS and agency.kind != "ubnd_tinh":
        name = re.sub(r"^(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", "", agency.name, flags=re.I)
        unit = r"^(xã|phường|thị trấn|huyện|thị xã|thành phố|đặc khu)\s+"
        return re.sub(unit, "", name, flags=re.I)
    return province


PEOPLE_S_COMMITTEE = "ỦY BAN NHÂN DÂN"


def issuer_name(name: str) -> str:
    """The issuing agency's name in capitals and in full: NĐ 30 lets only the parent body be
    abbreviated, so "UBND xã Thuận Lộc" issues as "ỦY BAN NHÂN DÂN XÃ THUẬN LỘC"."""
    upper = " ".join(name.split()).upper()
    # "Uỷ" is the older placing of the tone mark, still common in stored names.
    for short in ("UBND ", "UỶ BAN NHÂN DÂN ", PEOPLE_S_COMMITTEE + " "):
        if upper.startswith(short):
            return f"{PEOPLE_S_COMMITTEE} {upper[len(short) :]}"
    return upper


def issuer_lines(issuer: str) -> list[str]:
    """The issuer as the letterhead sets it: "ỦY BAN NHÂN DÂN" over "XÃ THUẬN LỘC", others whole."""
    if issuer.startswith(PEOPLE_S_COMMITTEE + " "):
        return [PEOPLE_S_COMMITTEE, issuer[len(PEOPLE_S_COMMITTEE) + 1 :]]
    return [issuer]


def letterhead(
    session: Session,
    agency: Agency,
    *,
    doc_kind: str,
    number: str | None,
    issued_on: date | None,
    province: str,
    year: int | None = None,
) -> Letterhead:
    """The letterhead of a document the agency issues: its parent body above its own name."""
    parent = session.get(Agency, agency.parent_id) if agency.parent_id else None
    return Letterhead(
        parent_body=parent.name.upper() if parent is not None else "",
        issuer=issuer_name(agency.name),
        number=number,
        place=place_of(agency, province),
        issued_on=issued_on,
        year=year if year is not None else (issued_on.year if issued_on else None),
        doc_kind=doc_kind,
        abbreviation=document_abbreviation(agency),
    )


def letterhead_context(lh: Letterhead) -> dict[str, Any]:
    """The template variables of the letterhead."""
    return {
        "parent_body": lh.parent_body,
        "issuer": lh.issuer,
        "issuer_lines": issuer_lines(lh.issuer),
        "number_line": number_line(lh),
        "date_line": date_line(lh.place, lh.issued_on, lh.year),
    }


def signature_context(
    *, sign_for: str, sign_title: str, signer: str, recipients: Iterable[str], archive: str
) -> dict[str, Any]:
    """The signature block and "Nơi nhận:": each recipient a line, the archive line last."""
    lines = [r.strip().strip(";").strip() for r in recipients if r and r.strip()]
    return {
        "sign_for": sign_for.strip().upper(),
        "sign_title": sign_title.strip().upper(),
        "signer": signer.strip(),
        "recipients": [f"- {r};" for r in lines],
        "archive_line": f"- Lưu: {archive.strip().rstrip('.')}.",
    }


def paragraphs(text: str | None) -> list[str]:
    """A person's text as the paragraphs a template loops over (blank lines dropped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _vn_number(value: object, digits: int | None = None) -> str:
    return vn_number(value, digits)


def _two(value: object) -> str:
    """A count as reports write it: 5 → "05", 14 → "14", 0 → "0"."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return vn_number(value)
    return f"{value:02d}" if isinstance(value, int) and 0 < value < 10 else vn_number(value)


def jinja_env() -> Environment:
    """The templates' Jinja environment: autoescape on, strict about unknown names."""
    env = Environment(autoescape=True, undefined=StrictUndefined)
    env.filters["vn_number"] = _vn_number
    env.filters["vn_date"] = vn_date
    env.filters["two"] = _two
    return env


def template_path(name: str, template_dir: Path | None = None) -> Path:
    """The province's own template when its folder holds one of that name, else the default."""
    if template_dir is not None:
        own = Path(template_dir) / f"{name}.docx"
        if own.is_file():
            return own
    default = TEMPLATES_DIR / f"{name}.docx"
    if not default.is_file():
        raise DocumentError(f"Không có mẫu văn bản «{name}.docx» trong {TEMPLATES_DIR}")
    return default


def render_docx(name: str, context: dict[str, Any], *, template_dir: Path | None = None) -> bytes:
    """Fill the template `name` with the context and return the .docx's bytes."""
    path = template_path(name, template_dir)
    try:
        template = DocxTemplate(str(path))
        template.render(context, jinja_env=jinja_env(), autoescape=True)
    except Exception as exc:  # a province's own template with a broken or unknown tag
        raise DocumentError(
            f"Không điền được mẫu văn bản {path.name}: {exc}. Kiểm tra các thẻ {{{{ … }}}} "
            "trong mẫu (xem docs/documents.md)."
        ) from exc
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def to_pdf(docx: bytes) -> bytes:
    """The document as PDF, by LibreOffice without a screen (Debian's libreoffice-writer-nogui)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise DocumentError(
            "Chưa cài LibreOffice để chuyển sang PDF: apt-get install libreoffice-writer-nogui"
        )
    with tempfile.TemporaryDirectory(prefix="isocycle-pdf-") as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(docx)
        # Its own profile, so that two conversions at once never fight over one lock file.
        profile = (Path(tmp) / "profile").as_uri()
        result = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(src),
            ],
            capture_output=True,
            timeout=PDF_TIMEOUT,
            check=False,
        )
        pdf = Path(tmp) / "document.pdf"
        if result.returncode != 0 or not pdf.is_file():
            raise DocumentError(
                "LibreOffice không chuyển được văn bản sang PDF: "
                + result.stderr.decode(errors="replace").strip()[-300:]
            )
        return pdf.read_bytes()


def pdf_text(pdf: bytes) -> tuple[str, int]:
    """The PDF's text (pdftotext, layout kept) and its number of pages."""
    if shutil.which("pdftotext") is None:
        raise DocumentError("Chưa cài poppler-utils để đọc PDF: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="isocycle-pdf-") as tmp:
        src = Path(tmp) / "document.pdf"
        src.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(src), "-"], capture_output=True, check=True
        ).stdout.decode()
    return text, text.count("\f") or 1


@dataclass
class Sheet:
    """One worksheet: heading lines above a bold header row, then the rows."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    heading: list[str] = field(default_factory=list)
    widths: list[float] | None = None


def _cell(ws: Any, value: Any, *, bold: bool = False) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    elif isinstance(value, bool):
        cell.value = "có" if value else "không"
    elif isinstance(value, str):
        # A text starting with "=" would become a formula, and names and notes are typed by
        # people (=HYPERLINK(...) must not run in Excel): strings stay text.
        cell.data_type = "s"
    elif isinstance(value, int):
        cell.number_format = XLSX_INTEGER
    elif isinstance(value, float | Decimal):
        cell.number_format = XLSX_DECIMAL
    elif isinstance(value, date):
        cell.number_format = XLSX_DATE
    return cell


def _value(ws: Any, value: Any) -> Any:
    """Plain text goes in as it is; numbers, dates and text openpyxl would take for a formula
    need a cell object (their format, or the text kept as text)."""
    if value is None or (isinstance(value, str) and not value.startswith("=")):
        return value
    if isinstance(value, bool):
        return "có" if value else "không"
    return _cell(ws, value)


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """An .xlsx of the sheets (write-only, so 5,000 rows stay fast); numbers stay numbers."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        # Excel refuses sheet titles over 31 characters or with []:*?/\ in them.
        ws = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", sheet.title)[:31])
        widths = sheet.widths or [max(10.0, min(45.0, len(h) * 0.9)) for h in sheet.header]
        for i, width in enumerate(widths):
            ws.column_dimensions[_column(i)].width = width
        for line in sheet.heading:
            ws.append([_cell(ws, line, bold=False)])
        ws.append([_cell(ws, h, bold=True) for h in sheet.header])
        for row in sheet.rows:
            ws.append([_value(ws, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
