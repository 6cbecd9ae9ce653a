"""`isocycle report agency` and `isocycle report appendix`: an agency's report (.docx) and its
Phụ lục IA, IIA and 1 (.xlsx), written to `--out`."""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, session_scope, settings
from cli.iso.common import Today, iso_rules, today_from

PERIODS = {"annual": "annual", "6-month": "six_month", "nam": "annual", "6-thang": "six_month"}

Code = Annotated[str, typer.Argument(help="Mã đơn vị báo cáo, ví dụ SNGV.")]
Year = Annotated[int, typer.Argument(help="Năm báo cáo, ví dụ 2021.")]
PeriodOpt = Annotated[
    str,
    typer.Option("--period", help="annual (báo cáo năm) hoặc 6-month (báo cáo 6 tháng)."),
]
Out = Annotated[Path, typer.Option("--out", help="Tệp sẽ ghi (.docx hoặc .xlsx).")]


def _variant(period: str) -> str:
    variant = PERIODS.get(period.strip().lower())
    if variant is None:
        fail(f"--period: kỳ báo cáo «{period}» không có; chọn annual (năm) hoặc 6-month (6 tháng).")
    return variant


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        fail(f"Năm báo cáo {year} không hợp lệ (từ 2000 đến 2100).")
    return year


def _write(out: Path, data: bytes) -> None:
    """Write the whole file or nothing: to a temporary name first, then renamed."""
    partial = out.with_name(out.name + ".tmp")
    try:
        partial.write_bytes(data)
        partial.replace(out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        fail(f"Không ghi được tệp {out}: {_why(exc)}.")


def _why(exc: OSError) -> str:
    """The reason a file cannot be written, in Vietnamese (the system's words are English)."""
    reasons = {
        errno.ENOENT: "thư mục chứa tệp không tồn tại",
        errno.EACCES: "không có quyền ghi vào đó",
        errno.EPERM: "không có quyền ghi vào đó",
        errno.EISDIR: "đó là một thư mục",
        errno.EROFS: "ổ đĩa chỉ cho đọc",
        errno.ENOSPC: "ổ đĩa đã đầy",
        errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    }
    return reasons.get(exc.errno or 0, "lỗi hệ thống khi ghi tệp")


def agency(
    code: Code, year: Year, out: Out, period: PeriodOpt = "annual", today: Today = None
) -> None:
    """Write an agency's report (.docx) with its appendices, from isocycle's data."""
    from reports.agency_report import _score_cards, agency_report
    from reports.document import DocumentError

    variant, year, day = _variant(period), _year(year), today_from(today)
    rule = iso_rules().periods
    with session_scope() as session:
        try:
            report = agency_report(
                session=session,
                agency_code=code,
                year=year,
                variant=variant,
                today=day,
                score_cards=_score_cards(session, code, year, day, settings().scoring_dir),
                template_dir=settings().report_template_dir,
                place=settings().province_name,
                rule=rule,
            )
        except DocumentError as exc:
            fail(str(exc))
    _write(out, report.data)
    typer.echo(f"Đã ghi báo cáo của {code} năm {year} vào {out}.")


def appendix(
    code: Code, year: Year, out: Out, period: PeriodOpt = "annual", today: Today = None
) -> None:
    """Write an agency's Phụ lục IA, IIA and 1 as one .xlsx."""
    from reports.agency_report import _score_cards, appendix_xlsx
    from reports.document import DocumentError

    variant, year, day = _variant(period), _year(year), today_from(today)
    rule = iso_rules().periods
    with session_scope() as session:
        try:
            book = appendix_xlsx(
                session=session,
                agency_code=code,
                year=year,
                variant=variant,
                today=day,
                score_cards=_score_cards(session, code, year, day, settings().scoring_dir),
                rule=rule,
            )
        except DocumentError as exc:
            fail(str(exc))
    _write(out, book.data)
    typer.echo(f"Đã ghi phụ lục của {code} năm {year} vào {out}.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `report` group."""
    app.command("agency")(agency)
    app.command("appendix")(appendix)
