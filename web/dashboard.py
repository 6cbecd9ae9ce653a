"""The overseer's view of a year: agencies × steps, per-step counts and the overdue list."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlmodel import Session

from models import iso
from models.cycles import STATUS_DONE, STATUS_OVERDUE, STATUS_WAIVED, step_status
from models.overdue import overdue_steps
from models.tables import AGENCY, STEP
from models.users import Scope

STATUS_LABELS = {
    "pending": "Chưa đến hạn",
    "overdue": "Quá hạn",
    "done": "Đã hoàn thành",
    "waived": "Không áp dụng",
}
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
XLSX_FILLS = {"pending": "DDEBF7", "overdue": "F8CBAD", "done": "C6EFCE", "waived": "E7E6E6"}


@dataclass
class Column:
    key: str
    title: str
    due: date
    total: int = 0
    done: int = 0
    overdue: int = 0


@dataclass
class Row:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    # step key → (status, days overdue or late, done_on)
    cells: dict[str, tuple[str, int, date | None]] = field(default_factory=dict)
    overdue_steps: list[str] = field(default_factory=list)
    max_overdue: int = 0


@dataclass
class Dashboard:
    year: int
    today: date
    columns: list[Column]
    rows: list[Row]
    kinds: list[str]

    def overdue(self, sort: str = "-days") -> list[Row]:
        """Agencies with at least one overdue step, most overdue first unless asked otherwise."""
        late = [r for r in self.rows if r.overdue_steps]
        if sort in ("days", "-days"):
            late.sort(key=lambda r: (r.max_overdue, r.code), reverse=sort == "-days")
        elif sort == "count":
            late.sort(key=lambda r: (-len(r.overdue_steps), r.code))
        else:
            late.sort(key=lambda r: r.code)
        return late


def build_dashboard(
    *,
    session: Session,
    scope: Scope,
    year: int,
    today: date,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
) -> Dashboard:
    """Return the year's matrix for the agencies the scope sees, in two queries.

    - `parent_id` keeps that agency and everything under it; `kind` keeps one kind of agency.
    - Columns are the calendar steps (key == step type); event steps count in the overdue list.
    - The overdue list and the per-step overdue counts count as every view does
      (models.overdue): the digest's figures for the year are the same.
    """
    a, s = AGENCY.c, STEP.c
    agencies = session.execute(select(a.id, a.code, a.name, a.kind, a.parent_id)).all()
    keep: set[uuid.UUID] | None = None
    if parent_id is not None:
        children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
        for r in agencies:
            children.setdefault(r.parent_id, []).append(r.id)
        keep, queue = set(), [parent_id]
        while queue:
            current = queue.pop()
            if current not in keep:
                keep.add(current)
                queue.extend(children.get(current, []))
    kinds = sorted({r.kind for r in agencies if scope.can_see(r.id)})
    rows: dict[uuid.UUID, Row] = {
        r.id: Row(r.id, r.code, r.name, r.kind)
        for r in agencies
        if scope.can_see(r.id)
        and (keep is None or r.id in keep)
        and (kind is None or r.kind == kind)
    }
    columns: dict[str, Column] = {}
    # Overdue as every view counts it (an agency no longer in operation is chased by nobody).
    late_steps = overdue_steps(session=session, today=today, years=[year])
    late = {(one.agency_id, one.key) for one in late_steps}
    steps = session.execute(
        select(s.agency_id, s.key, s.step_type, s.title, s.due, s.state, s.done_on).where(
            s.year == year
        )
    )
    for st in steps:
        row = rows.get(st.agency_id)
        if row is None:
            continue
        status = step_status(st.state, st.due, today)
        days = (today - st.due).days if status == STATUS_OVERDUE else 0
        if st.key != st.step_type:
            continue
        col = columns.get(st.key)
        if col is None:
            col = columns[st.key] = Column(st.key, st.title, st.due)
        col.due = min(col.due, st.due)
        if status == STATUS_DONE and st.done_on is not None:
            days = max((st.done_on - st.due).days, 0)
        row.cells[st.key] = (status, days, st.done_on)
        if status != STATUS_WAIVED:
            col.total += 1
            col.done += status == STATUS_DONE
            col.overdue += (st.agency_id, st.key) in late
    for one in late_steps:
        row = rows.get(one.agency_id)
        if row is not None:
            row.overdue_steps.append(one.title)
            row.max_overdue = max(row.max_overdue, one.days_overdue)
    ordered = sorted(columns.values(), key=lambda c: (c.due, c.key))
    shown = sorted((r for r in rows.values() if r.cells or r.overdue_steps), key=lambda r: r.code)
    return Dashboard(year, today, ordered, shown, kinds)


def _append_text(ws: Worksheet, values: list[Any]) -> None:
    """Append a row whose strings stay text: openpyxl makes a string starting with "=" a formula,
    and agency names and codes are user input (`=HYPERLINK(...)` must not run in Excel)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def to_xlsx(board: Dashboard) -> bytes:
    """Return the matrix as an .xlsx workbook: one row per agency, one column per step."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = f"Năm {board.year}"
    _append_text(ws, ["Mã", "Đơn vị", "Loại", *[c.title for c in board.columns]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in board.rows:
        values: list[Any] = [row.code, row.name, KIND_LABELS.get(row.kind, row.kind)]
        for c in board.columns:
            status, days, done_on = row.cells.get(c.key, ("", 0, None))
            text = STATUS_LABELS.get(status, "")
            if status == STATUS_OVERDUE:
                text += f" ({days} ngày)"
            elif status == STATUS_DONE and done_on is not None:
                text += f" {done_on:%d/%m/%Y}"
            values.append(text)
        _append_text(ws, values)
        for c, cell in zip(board.columns, ws[ws.max_row][3:], strict=True):
            status = row.cells.get(c.key, ("", 0, None))[0]
            if status in XLSX_FILLS:
                cell.fill = PatternFill("solid", fgColor=XLSX_FILLS[status])
    ws.append([])
    _append_text(
        ws,
        [
            "",
            "Tổng hợp",
            "",
            *[
                f"{c.done}/{c.total} đơn vị đã hoàn thành, {c.overdue} quá hạn"
                for c in board.columns
            ],
        ],
    )
    # The figure the page, the digest and `isocycle status` give, for the same year.
    _append_text(
        ws,
        [
            "",
            f"Đơn vị quá hạn năm {board.year} (tính đến {board.today:%d/%m/%Y})",
            len(board.overdue()),
        ],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class SeverityTable:
    """Findings of a year by severity: the total over the shown agencies and each one with any."""

    totals: dict[str, int]
    rows: list[tuple[Row, dict[str, int]]]


def severity_table(*, session: Session, board: Dashboard) -> SeverityTable:
    """Count the findings of the dashboard's agencies by severity, in one query."""
    counts = iso.severity_counts_for_year(session=session, year=board.year)
    rows = [(r, counts[r.code]) for r in board.rows if r.code in counts]
    totals = {s: sum(c[s] for _, c in rows) for s in iso.SEVERITIES}
    rows.sort(key=lambda rc: (-rc[1]["major"], -sum(rc[1].values()), rc[0].code))
    return SeverityTable(totals=totals, rows=rows)
