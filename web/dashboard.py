"""The overseer's view of a year assembled for the page and the .xlsx: bars drawn as SVG, the
matrix grouped under parents, the overdue agencies and the findings by severity."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from models import iso, progress as pg
from models.agencies import KIND_LABELS
from models.vn_format import XLSX_DATE, XLSX_DECIMAL, XLSX_INTEGER

STATUS_LABELS = {
    pg.DONE: "Hoàn thành đúng hạn",
    pg.LATE: "Hoàn thành trễ hạn",
    pg.OVERDUE: "Quá hạn",
    pg.PENDING: "Chưa đến hạn",
    pg.STOPPED: "Đơn vị đã ngừng hoạt động",
    pg.WAIVED: "Không áp dụng",
}
# The figures under a bar, where space is short.
SHORT_LABELS = {
    pg.DONE: "Đúng hạn",
    pg.LATE: "Trễ hạn",
    pg.OVERDUE: "Quá hạn",
    pg.PENDING: "Chưa đến hạn",
    pg.STOPPED: "Ngừng hoạt động",
    pg.WAIVED: "Không áp dụng",
}
# The bars show these; pending and stopped fill the rest, waived are left out of the total.
BAR_STATUSES = (pg.DONE, pg.LATE, pg.OVERDUE, pg.PENDING, pg.STOPPED)
XLSX_FILLS = {
    pg.DONE: "C6EFCE",
    pg.LATE: "FFE699",
    pg.OVERDUE: "F8CBAD",
    pg.PENDING: "DDEBF7",
    pg.STOPPED: "E7E6E6",
    pg.WAIVED: "E7E6E6",
}
BOLD = Font(bold=True)
FILLS = {s: PatternFill("solid", fgColor=c) for s, c in XLSX_FILLS.items()}
TOP_PARENT_LABEL = "Không có đơn vị cấp trên"


@dataclass(frozen=True)
class Segment:
    status: str
    x: float
    width: float
    count: int
    percent: float
    href: str


def bar(counts: pg.Counts, link: dict[str, str]) -> list[Segment]:
    """The segments of one 100-wide SVG bar, each linking to the list of steps behind it."""
    out, x = [], 0.0
    for status in BAR_STATUSES:
        n = counts[status]
        if not n and status != pg.OVERDUE:
            continue
        width = 100.0 * n / counts.total if counts.total else 0.0
        href = "/dashboard/list?" + urlencode({**link, "status": status})
        out.append(Segment(status, round(x, 3), round(width, 3), n, counts.percent(status), href))
        x += width
    return out


@dataclass
class Group:
    """A parent and, on this page of the matrix, the agencies directly under it."""

    code: str
    name: str
    rows: list[tuple[pg.AgencyRow, dict[str, tuple[str, int]]]]
    counts: pg.Counts | None


def matrix_page(
    *,
    session: Session,
    selection: pg.Selection,
    overview: pg.Overview,
    q: str,
    page: int,
    per_page: int,
) -> tuple[int, list[Group]]:
    """One page of the matrix: the agencies matching `q` (code or name, accents ignored) by
    parent then code, grouped under their parent; returns the number matching and the groups."""
    needle = pg.fold(q.strip())
    rows = [
        r
        for r in selection.agencies.values()
        if not needle or needle in pg.fold(r.code) or needle in pg.fold(r.name)
    ]

    rows.sort(key=lambda r: (r.parent_code or "", r.code))
    shown = rows[(page - 1) * per_page : page * per_page]
    cells = pg.matrix_cells(
        session=session, codes=[r.code for r in shown], year=overview.year, today=overview.today
    )
    by_parent = {line.key: line.counts for line in overview.parents}
    groups: list[Group] = []
    for r in shown:
        code = r.parent_code or ""
        if not groups or groups[-1].code != code:
            name = r.parent_name or TOP_PARENT_LABEL
            groups.append(Group(code, name, [], by_parent.get(code)))
        groups[-1].rows.append((r, cells.get(r.code, {})))
    return len(rows), groups


@dataclass
class SeverityTable:
    """Findings of a year by severity: the total over the shown agencies and each one with any."""

    totals: dict[str, int]
    rows: list[tuple[pg.AgencyRow, dict[str, int]]]


def severity_table(*, session: Session, selection: pg.Selection, year: int) -> SeverityTable:
    """Count the selection's findings by severity, in one query."""
    counts = iso.severity_counts_for_year(session=session, year=year)
    rows = [(r, counts[r.code]) for r in selection.agencies.values() if r.code in counts]
    totals = {s: sum(c[s] for _, c in rows) for s in iso.SEVERITIES}
    rows.sort(key=lambda rc: (-rc[1]["major"], -sum(rc[1].values()), rc[0].code))
    return SeverityTable(totals=totals, rows=rows)


class _Sheet:
    """A write-only worksheet (a province's 45,000 steps in seconds, not minutes) with a bold
    frozen header, set widths, strings kept as text, dates shown dd/mm/yyyy and a filter."""

    def __init__(
        self, wb: Workbook, title: str, header: list[str], widths: list[int], freeze: str = "A2"
    ) -> None:
        self.ws: Any = wb.create_sheet(title)
        self.row, self.width = 0, len(header)
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        self.ws.freeze_panes = freeze  # a write-only sheet takes it before its first row
        self.append(header, font=BOLD)

    def append(
        self,
        values: list[Any],
        dates: tuple[int, ...] = (),
        fills: list[PatternFill | None] | None = None,
        font: Font | None = None,
    ) -> None:
        """Write a row. A string starting with "=" would become a formula, and names are user
        input (`=HYPERLINK(...)` must not run in Excel): strings stay text."""
        self.row += 1
        cells: list[Any] = []
        for column, value in enumerate(values, start=1):
            fill = fills[column - 1] if fills else None
            is_date = column in dates and value is not None
            formula_like = isinstance(value, str) and value.startswith("=")
            # Excel's General format already writes the reader's decimal mark; only a number of
            # 1.000 or more needs the grouped format (a plain cell stays cheap for the rest).
            grouped = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and abs(value) >= 1000
            )
            if not (is_date or formula_like or fill or font or grouped):
                cells.append(value)  # a plain value costs a tenth of a styled cell
                continue
            cell = WriteOnlyCell(self.ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif is_date:
                cell.number_format = XLSX_DATE
            elif grouped:
                cell.number_format = XLSX_INTEGER if isinstance(value, int) else XLSX_DECIMAL
            if fill is not None:
                cell.fill = fill
            if font is not None:
                cell.font = font
            cells.append(cell)
        self.ws.append(cells)

    def filter(self) -> None:
        self.ws.auto_filter.ref = f"A1:{get_column_letter(self.width)}{self.row}"


def to_xlsx(
    *,
    overview: pg.Overview,
    steps: list[pg.StepRow],
    agencies: list[tuple[pg.AgencyRow, dict[str, tuple[str, int]]]],
    overdue_agencies: int,
) -> bytes:
    """The year as a workbook: totals per step as numbers, every step with real dates, its
    document number and status, and the agencies × steps matrix; frozen headers and filters."""
    wb = Workbook(write_only=True)
    year, today = overview.year, overview.today
    summary = _Sheet(
        wb,
        f"Tổng hợp {year}",
        ["Bước", "Hạn", *[STATUS_LABELS[s] for s in pg.STATUSES], "Tổng (trừ không áp dụng)"],
        [44, 12, 14, 14, 10, 14, 14, 14, 14],
    )
    for line in overview.steps:
        counts = [line.counts[s] for s in pg.STATUSES]
        summary.append([line.title, line.due, *counts, line.counts.total], dates=(2,))
    summary.filter()
    totals = overview.totals
    summary.append(["Tổng số", None, *[totals[s] for s in pg.STATUSES], totals.total])
    summary.append([])
    # The figure the page, the digest and `isocycle status` give, for the same year.
    summary.append([f"Đơn vị quá hạn năm {year} (tính đến {today:%d/%m/%Y})", overdue_agencies])

    detail = _Sheet(
        wb,
        f"Chi tiết {year}",
        [
            "Mã",
            "Đơn vị",
            "Đơn vị cấp trên",
            "Bước",
            "Hạn",
            "Trạng thái",
            "Ngày hoàn thành",
            "Số ngày quá hạn / trễ",
            "Số ký hiệu văn bản",
        ],
        [14, 40, 36, 44, 12, 22, 16, 12, 22],
    )
    for s in steps:
        detail.append(
            [
                s.code,
                s.name,
                s.parent_name or "",
                s.title,
                s.due,
                STATUS_LABELS[s.status],
                s.done_on,
                s.days if s.status in (pg.OVERDUE, pg.LATE) else None,
                s.ref or "",
            ],
            dates=(5, 7),
        )
    detail.filter()

    columns = [line for line in overview.steps if line.key != pg.EVENTS]
    matrix = _Sheet(
        wb,
        f"Ma trận {year}",
        ["Mã", "Đơn vị", "Loại", *[c.title for c in columns]],
        [14, 40, 16, *[16] * len(columns)],
        freeze="C2",
    )
    for agency, cells in agencies:
        values: list[Any] = [agency.code, agency.name, KIND_LABELS.get(agency.kind, agency.kind)]
        fills: list[PatternFill | None] = [None, None, None]
        for c in columns:
            status, days = cells.get(c.key, ("", 0))
            text = STATUS_LABELS.get(status, "")
            if status in (pg.OVERDUE, pg.LATE):
                text += f" ({days} ngày)"
            values.append(text)
            fills.append(FILLS.get(status))
        matrix.append(values, fills=fills)
    matrix.filter()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
