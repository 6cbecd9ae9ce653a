"""What a report file must be (a real .pdf or .docx, of a size the settings allow, with a harmless
name) and who may send, receive or read a report."""

from __future__ import annotations

import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from models.iso.base import IsoError
from models.tables import AGENCY, Agency

# The overseer (đơn vị chủ trì, Sở KH&CN) unless the settings name another (ISOCYCLE_OVERSEER_CODE).
DEFAULT_OVERSEER_CODE = "SKHCN"

# The files a report may be: (extension, content type); the content is checked, not the name.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_NAME = 200


@dataclass(frozen=True)
class ReportFileIn:
    """An uploaded file: the name the sender gave and its bytes."""

    name: str
    data: bytes


# --- files --------------------------------------------------------------------------------------


def check_file(upload: ReportFileIn, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[str, str]:
    """Return (clean name, content type) of a report file, or refuse it in Vietnamese.

    - Only .pdf and .docx, recognised by their content (a PDF starts with %PDF-, a .docx is a
      ZIP holding word/document.xml), and the name's extension must say the same.
    - The name may not hold a path, control characters or be longer than 200 characters.
    """
    name = unicodedata.normalize("NFC", upload.name or "").strip()
    if not name:
        raise IsoError("Tệp báo cáo chưa có tên.", field="file")
    if len(name) > MAX_FILE_NAME:
        raise IsoError(f"Tên tệp báo cáo dài quá {MAX_FILE_NAME} ký tự.", field="file")
    if any(c in name for c in "/\\") or name.startswith(".") or ".." in name:
        raise IsoError(
            f"Tên tệp «{name[:60]}» không hợp lệ: không được chứa đường dẫn (/, \\, ..).",
            field="file",
        )
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in name):
        raise IsoError("Tên tệp báo cáo có ký tự điều khiển (không in được).", field="file")
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in FILE_TYPES:
        raise IsoError(
            f"Tệp «{name}» không phải .pdf hay .docx; chỉ nhận báo cáo dạng .pdf hoặc .docx.",
            field="file",
        )
    size = len(upload.data)
    if size == 0:
        raise IsoError(f"Tệp «{name}» rỗng.", field="file")
    if size > max_bytes:
        raise IsoError(
            f"Tệp «{name}» nặng {_mb(size)} MB, quá giới hạn {_mb(max_bytes)} MB.", field="file"
        )
    actual = _sniff(upload.data)
    if actual != suffix:
        raise IsoError(
            f"Nội dung tệp «{name}» không phải là tệp {suffix} thật "
            f"({'là tệp ' + actual if actual else 'không nhận ra định dạng'}); "
            "hãy gửi đúng tệp .pdf hoặc .docx.",
            field="file",
        )
    return name, FILE_TYPES[suffix]


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def _sniff(data: bytes) -> str | None:
    """The extension the bytes really are (.pdf, .docx), or None."""
    if data.startswith(b"%PDF-"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return ".docx"
    return None


# --- who may do what ----------------------------------------------------------------------------

# Roles that act for their unit: a viewer only reads.
ACTING_ROLES = ("secretary", "supervisor")


def may_submit(*, role: str, user_agency_id: uuid.UUID | None, agency_id: uuid.UUID) -> bool:
    """Only the agency's own secretaries and supervisors send its report."""
    return role in ACTING_ROLES and user_agency_id == agency_id


def may_receive(*, role: str, user_agency_id: uuid.UUID | None, unit_id: uuid.UUID) -> bool:
    """Only the receiving unit's secretaries and supervisors (or an admin) record receipt,
    accept or return a report, and send a request in the unit's name."""
    return role == "admin" or (role in ACTING_ROLES and user_agency_id == unit_id)


# --- who may ask, receive and inspect -----------------------------------------------------------
# Reports go up the chain of command: to the overseer (Sở KH&CN), or to a unit above the agency
# (before 1/7/2025 a district for its communes). Only those may ask for an agency's report, and
# only the overseer and its own units (the Chi cục TĐC) inspect. Without this, any secretary
# could name its own agency as the recipient and complete its report step itself.


def ancestor_ids(session: Session, agency_id: uuid.UUID) -> list[uuid.UUID]:
    """The units above an agency, its parent first (a cycle in the tree stops the walk)."""
    parent_of = dict(session.execute(select(AGENCY.c.id, AGENCY.c.parent_id)).tuples().all())
    out: list[uuid.UUID] = []
    current = parent_of.get(agency_id)
    while current is not None and current not in out and current != agency_id:
        out.append(current)
        current = parent_of.get(current)
    return out


def overseer_id(session: Session, overseer_code: str) -> uuid.UUID | None:
    """The overseer's id, or None when no agency has its code."""
    found = session.execute(select(AGENCY.c.id).where(AGENCY.c.code == overseer_code)).scalar()
    return found


def check_recipient(
    session: Session, agency: Agency, unit: Agency, overseer_code: str = DEFAULT_OVERSEER_CODE
) -> None:
    """Refuse a unit that may not ask for or receive this agency's report, naming both."""
    if unit.id == agency.id or (
        unit.id != overseer_id(session, overseer_code)
        and unit.id not in ancestor_ids(session, agency.id)
    ):
        raise IsoError(
            f"{unit.name} không nhận báo cáo của {agency.name}: báo cáo gửi đơn vị chủ trì "
            "(Sở KH&CN) hoặc một đơn vị cấp trên của đơn vị.",
            field="unit",
        )


def check_inspector(
    session: Session, unit: Agency, overseer_code: str = DEFAULT_OVERSEER_CODE
) -> None:
    """Refuse a unit that is neither the overseer nor one of its units (e.g. the Chi cục TĐC)."""
    overseer = overseer_id(session, overseer_code)
    if overseer is None or (unit.id != overseer and overseer not in ancestor_ids(session, unit.id)):
        raise IsoError(
            f"{unit.name} không phải đơn vị kiểm tra: chỉ đơn vị chủ trì (Sở KH&CN) hoặc đơn vị "
            "trực thuộc (Chi cục TĐC) lập kế hoạch và biên bản kiểm tra.",
            field="inspector",
        )
