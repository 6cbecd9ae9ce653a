"""Restructuring lineage: which agency a unit replaced, and which replaced it.

A link says that a successor agency took over (all or part of) a predecessor's work, as on
1/7/2025 when xã Thuận Lộc, phường Nam Hồng and phường Đậu Liêu became phường Nam Hồng Lĩnh
(Nghị quyết 1665/NQ-UBTVQH15 Điều 1 khoản 67). Links are many-to-many (merges and splits); each
agency keeps its own history and records, and its pages and reports cite the other.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models import textfiles
from models.iso.base import FieldError, IsoError, _atomic, _text
from models.tables import Agency, HistoryEntry

# Column titles a lineage file may use, compared after case folding.
COLUMNS = {
    "predecessor": ("predecessor", "predecessor_code", "đơn vị cũ", "mã đơn vị cũ"),
    "successor": ("successor", "successor_code", "đơn vị mới", "mã đơn vị mới"),
    "basis": ("basis", "căn cứ", "văn bản"),
}


# One restructuring link: the successor took over (some of) the predecessor's work.
class AgencyLink(SQLModel, table=True):
    __tablename__ = "agency_link"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id", name="uq_agency_link_pair"),
        Index("ix_agency_link_successor", "successor_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    predecessor_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    successor_id: uuid.UUID = Field(foreign_key="agency.id")
    # The decision or resolution behind it, e.g. "Nghị quyết 1665/NQ-UBTVQH15 Điều 1 khoản 67".
    basis: str = Field(default="", max_length=300)


@dataclass(frozen=True)
class LinkIn:
    """A link as entered: the two agency codes, the basis, and its row name for messages."""

    predecessor: str
    successor: str
    basis: str | None = None
    row: str = ""


def _vn(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def links_from_file(path: Path) -> list[LinkIn]:
    """Read links from a .csv (predecessor, successor, basis; Vietnamese titles accepted)."""
    if path.suffix.lower() != ".csv":
        raise IsoError(f"{path.name}: chỉ nhận tệp .csv.", field="file")
    try:
        text = textfiles.decode(path.read_bytes())
    except textfiles.NotUnicode as exc:
        raise IsoError(f"{path.name}: {exc}.", field="file") from exc
    except OSError as exc:
        raise IsoError(f"{path.name}: không đọc được tệp ({exc.strerror}).", field="file") from exc
    titles = {t for names in COLUMNS.values() for t in names}
    sep = textfiles.separator(text, known=lambda t: t.strip().casefold() in titles)
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise IsoError(
            f"{path.name}: không đọc được dòng {reader.line_num}.", field="file"
        ) from exc
    if not rows:
        raise IsoError(f"{path.name}: tệp trống.", field="file")
    header = [h.strip().casefold() for h in rows[0]]
    where: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        found = next((i for i, h in enumerate(header) if h in aliases), None)
        if found is not None:
            where[name] = found
    missing = [n for n in ("predecessor", "successor") if n not in where]
    if missing:
        labels = {
            "predecessor": "Mã đơn vị cũ (predecessor)",
            "successor": "Mã đơn vị mới (successor)",
        }
        raise IsoError(
            f"{path.name}: thiếu cột {', '.join(labels[m] for m in missing)}.", field="file"
        )
    out = []
    for n, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = where.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        out.append(LinkIn(cell("predecessor"), cell("successor"), cell("basis"), f"dòng {n}"))
    if not out:
        raise IsoError(f"{path.name}: tệp không có dòng liên kết nào.", field="file")
    return out


def _reaches(edges: dict[uuid.UUID, set[uuid.UUID]], start: uuid.UUID, goal: uuid.UUID) -> bool:
    """Whether following successor links from `start` reaches `goal`."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        todo.extend(edges.get(node, ()))
    return False


@_atomic
def add_links(*, session: Session, links: Sequence[LinkIn], actor: str) -> int:
    """Add predecessor → successor links, all or nothing; return how many were new.

    - Refused, naming the row: an unknown code, a unit that is its own predecessor, a link that
      closes a cycle, a successor that began before its predecessor ended.
    - A link already stored is left alone (importing a file twice adds nothing).
    """
    agencies = {a.code: a for a in session.exec(orm_select(Agency)).all()}
    edges: dict[uuid.UUID, set[uuid.UUID]] = {}
    stored = set()
    for known in session.exec(orm_select(AgencyLink)).all():
        edges.setdefault(known.predecessor_id, set()).add(known.successor_id)
        stored.add((known.predecessor_id, known.successor_id))
    problems: list[FieldError] = []
    new: list[tuple[Agency, Agency, str]] = []
    if not links:
        raise IsoError("Chưa nhập liên kết nào.", field="links")
    for n, link in enumerate(links):
        row = link.row or f"Liên kết {n + 1}"
        path = f"links.{n}"

        def refuse(field: str, message: str, row: str = row, path: str = path) -> None:
            problems.append(FieldError(f"{path}.{field}", f"{row}: {message}"))

        old = agencies.get((link.predecessor or "").strip())
        succ = agencies.get((link.successor or "").strip())
        if not (link.predecessor or "").strip():
            refuse("predecessor", "chưa nhập mã đơn vị cũ.")
        elif old is None:
            refuse("predecessor", f"không có đơn vị mã «{link.predecessor}».")
        if not (link.successor or "").strip():
            refuse("successor", "chưa nhập mã đơn vị mới.")
        elif succ is None:
            refuse("successor", f"không có đơn vị mã «{link.successor}».")
        try:
            basis = _text(link.basis, "basis", "căn cứ", 300) or ""
        except IsoError as exc:
            refuse("basis", exc.errors[0].message)
            basis = ""
        if old is None or succ is None:
            continue
        if old.id == succ.id:
            refuse("successor", f"đơn vị {old.code} không thể là đơn vị kế thừa của chính nó.")
            continue
        if old.valid_to and succ.valid_from and succ.valid_from <= old.valid_to:
            refuse(
                "successor",
                f"đơn vị mới {succ.code} bắt đầu từ {_vn(succ.valid_from)}, trước khi đơn vị cũ "
                f"{old.code} kết thúc ({_vn(old.valid_to)}).",
            )
            continue
        if (old.id, succ.id) in stored:
            continue
        if _reaches(edges, succ.id, old.id):
            refuse(
                "successor",
                f"liên kết {old.code} → {succ.code} tạo thành vòng (đơn vị {succ.code} đã là "
                f"đơn vị cũ của {old.code}).",
            )
            continue
        edges.setdefault(old.id, set()).add(succ.id)
        stored.add((old.id, succ.id))
        new.append((old, succ, basis))
    if problems:
        raise IsoError(errors=problems)
    for old, succ, basis in new:
        session.add(AgencyLink(predecessor_id=old.id, successor_id=succ.id, basis=basis))
        for agency, other, role in ((old, succ, "successor"), (succ, old, "predecessor")):
            # A link belongs to no cycle year.
            session.add(
                HistoryEntry(
                    actor=actor,
                    agency_id=agency.id,
                    year=None,
                    entity="agency_link",
                    entity_id=f"{old.code}>{succ.code}",
                    action="created",
                    old=None,
                    new={role: other.code, "basis": basis},
                )
            )
    session.commit()
    return len(new)


def lineage_of(*, session: Session, agency: Agency) -> dict[str, list[dict[str, Any]]]:
    """The agency's predecessors and successors: code, name, dates and the link's basis."""
    links = session.exec(
        orm_select(AgencyLink).where(
            (AgencyLink.predecessor_id == agency.id) | (AgencyLink.successor_id == agency.id)
        )
    ).all()
    ids = {link.predecessor_id for link in links} | {link.successor_id for link in links}
    others = {a.id: a for a in session.exec(orm_select(Agency).where(Agency.id.in_(ids))).all()}  # type: ignore[attr-defined]

    def out(other: Agency, basis: str) -> dict[str, Any]:
        return {
            "code": other.code,
            "name": other.name,
            "valid_from": other.valid_from,
            "valid_to": other.valid_to,
            "basis": basis,
        }

    predecessors = [
        out(others[link.predecessor_id], link.basis)
        for link in links
        if link.successor_id == agency.id
    ]
    successors = [
        out(others[link.successor_id], link.basis)
        for link in links
        if link.predecessor_id == agency.id
    ]
    return {
        "predecessors": sorted(predecessors, key=lambda r: r["code"]),
        "successors": sorted(successors, key=lambda r: r["code"]),
    }
