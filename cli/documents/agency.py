"""`isocycle report agency` and `isocycle report appendix`: an agency's report (.docx) and its
Phụ lục IA, IIA and 1 (.xlsx), written to `--out`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail, settings
from cli.documents.files import check_out, render, write
from cli.iso.common import Today, iso_rules, today_from

if TYPE_CHECKING:
    from sqlmodel import Session

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


def agency(
    code: Code, year: Year, out: Out, period: PeriodOpt = "annual", today: Today = None
) -> None:
    """Write an agency's report (.docx) with its appendices, from isocycle's data."""
    from reports.agency_report import _score_cards, agency_report

    check_out(out, (".docx",))
    variant, year, day = _variant(period), _year(year), today_from(today)
    cfg, rule = settings(), iso_rules().periods

    def make(session: Session) -> bytes:
        return agency_report(
            session=session,
            agency_code=code,
            year=year,
            variant=variant,
            today=day,
            score_cards=_score_cards(session, code, year, day, cfg.scoring_dir),
            template_dir=cfg.report_template_dir,
            place=cfg.province_name,
            rule=rule,
        ).data

    write(out, render(make))


def appendix(
    code: Code, year: Year, out: Out, period: PeriodOpt = "annual", today: Today = None
) -> None:
    """Write an agency's Phụ lục IA, IIA and 1 as one .xlsx."""
    from reports.agency_report import _score_cards, appendix_xlsx

    check_out(out, (".xlsx",))
    variant, year, day = _variant(period), _year(year), today_from(today)
    cfg, rule = settings(), iso_rules().periods

    def make(session: Session) -> bytes:
        return appendix_xlsx(
            session=session,
            agency_code=code,
            year=year,
            variant=variant,
            today=day,
            score_cards=_score_cards(session, code, year, day, cfg.scoring_dir),
            rule=rule,
        ).data

    write(out, render(make))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `report` group."""
    app.command("agency")(agency)
    app.command("appendix")(appendix)
