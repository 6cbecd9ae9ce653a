"""`isocycle report` commands for Sở KH&CN's documents: the request letter, the chasing letter,
the provincial summary and Phụ lục II, each written to `--out` (.docx, or .xlsx where said)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import Year, fail, parse_day, settings
from cli.documents.files import check_out, render, write
from cli.iso.common import Today, iso_rules, today_from

if TYPE_CHECKING:
    from sqlmodel import Session

    from reports.province import Signing

Out = Annotated[Path, typer.Option("--out", help="The file to write (.docx).")]
Number = Annotated[
    str | None,
    typer.Option("--number", help="The document's number (blank for the văn thư to fill)."),
]
On = Annotated[str | None, typer.Option("--on", help="The document's date (blank when omitted).")]
SignFor = Annotated[str, typer.Option("--sign-for", help='"KT. Giám đốc", or nothing.')]
SignTitle = Annotated[str | None, typer.Option("--sign-title", help='"Phó Giám đốc"...')]
Signer = Annotated[str | None, typer.Option("--signer", help="The signer's name.")]


def _day(value: str | None, option: str) -> date | None:
    return parse_day(value, option) if value else None


def _year_open(session: Session, year: int) -> None:
    from models.cycles import year_is_open

    if not year_is_open(session=session, year=year):
        fail(f"Năm {year} chưa mở chu kỳ ISO (hãy chạy `isocycle cycle open {year}`).")


def _signing(sign_for: str, sign_title: str | None, signer: str | None, default: str) -> Signing:
    from reports.province import Signing

    return Signing(sign_for=sign_for, sign_title=sign_title or default, signer=signer)


def request_letter(
    unit: Annotated[str, typer.Argument(help="The requesting unit's code (SKHCN).")],
    letter: Annotated[str, typer.Argument(help="The letter's number, e.g. 1550/SKHCN-TĐC.")],
    out: Out,
    sign_for: SignFor = "",
    sign_title: SignTitle = None,
    signer: Signer = None,
) -> None:
    """Write the request letter (công văn) of a recorded request, with its outline as annex."""
    from models.iso import reporting
    from reports import province

    check_out(out, (".docx",))
    cfg, rules = settings(), iso_rules()

    def make(session: Session) -> bytes:
        found = reporting.get_request(session=session, unit_code=unit, letter_number=letter)
        return province.request_letter(
            session=session,
            request=found,
            province=cfg.province_name,
            signing=_signing(sign_for, sign_title, signer, "Giám đốc"),
            rule=rules.periods,
            template_dir=cfg.report_template_dir,
        )

    write(out, render(make))


def chase(
    year: Year,
    out: Out,
    letter: Annotated[
        str | None, typer.Option("--letter", help="The request letter being chased.")
    ] = None,
    number: Number = None,
    on: On = None,
    by: Annotated[str | None, typer.Option("--by", help="The new deadline it gives.")] = None,
    sign_for: SignFor = "",
    sign_title: SignTitle = None,
    signer: Signer = None,
    today: Today = None,
) -> None:
    """Write the chasing letter (công văn đôn đốc) to the agencies late today."""
    from models.iso import reporting
    from reports import province

    check_out(out, (".docx",))
    cfg, day = settings(), today_from(today)
    issued_on, new_deadline = _day(on, "--on"), _day(by, "--by")

    def make(session: Session) -> bytes:
        _year_open(session, year)
        found = None
        if letter:
            found = reporting.get_request(
                session=session, unit_code=cfg.overseer_code, letter_number=letter
            )
        return province.chasing_letter(
            session=session,
            unit_code=cfg.overseer_code,
            year=year,
            today=day,
            province=cfg.province_name,
            number=number,
            issued_on=issued_on,
            letter=found,
            by=new_deadline,
            signing=_signing(sign_for, sign_title, signer, "Giám đốc"),
            template_dir=cfg.report_template_dir,
        )

    write(out, render(make))


def summary(
    year: Year,
    out: Out,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the whole table (.xlsx).")
    ] = None,
    number: Number = None,
    on: On = None,
    sign_for: SignFor = "",
    sign_title: SignTitle = None,
    signer: Signer = None,
    today: Today = None,
) -> None:
    """Write the provincial summary report to UBND tỉnh (and its table as .xlsx)."""
    from reports import province

    check_out(out, (".docx",))
    if xlsx is not None:
        check_out(xlsx, (".xlsx",))
    cfg, rules, day = settings(), iso_rules(), today_from(today)
    issued_on = _day(on, "--on")

    def make(session: Session) -> tuple[bytes, bytes | None]:
        from models.iso.province_facts import province_rows
        from models.periods import annual

        _year_open(session, year)
        # Read once: the summary, its 7.2 scores and its table count the same rows.
        rows = province_rows(
            session=session, year=year, today=day, period=annual(year, rules.periods),
            overseer_code=cfg.overseer_code,
        )  # fmt: skip
        document = province.province_summary_docx(
            session=session,
            unit_code=cfg.overseer_code,
            year=year,
            today=day,
            province=cfg.province_name,
            score_distribution=province.score_distribution_for(session, year, day, rows),
            number=number,
            issued_on=issued_on,
            signing=_signing(sign_for, sign_title, signer, "Giám đốc"),
            rule=rules.periods,
            template_dir=cfg.report_template_dir,
            rows=rows,
        )
        table = None
        if xlsx is not None:
            table = province.phu_luc_ii_xlsx(
                session=session, year=year, today=day, province=cfg.province_name,
                rule=rules.periods, rows=rows,
            )  # fmt: skip
        return document, table

    document, table = render(make)
    write(out, document)
    if xlsx is not None and table is not None:
        write(xlsx, table)


def phu_luc_ii(
    year: Year,
    out: Annotated[Path, typer.Option("--out", help="pl2.docx (by level) or pl2.xlsx (all).")],
    number: Number = None,
    on: On = None,
    today: Today = None,
) -> None:
    """Write Phụ lục II of QĐ 19/2014 for Bộ KH&CN: .docx by level, or .xlsx per agency."""
    from reports import province

    check_out(out, (".docx", ".xlsx"))
    cfg, rules, day = settings(), iso_rules(), today_from(today)
    issued_on = _day(on, "--on")

    def make(session: Session) -> bytes:
        _year_open(session, year)
        if out.suffix.lower() == ".xlsx":
            return province.phu_luc_ii_xlsx(
                session=session, year=year, today=day, province=cfg.province_name,
                rule=rules.periods, overseer_code=cfg.overseer_code,
            )  # fmt: skip
        return province.phu_luc_ii(
            session=session, unit_code=cfg.overseer_code, year=year, today=day,
            province=cfg.province_name, number=number, issued_on=issued_on, rule=rules.periods,
            template_dir=cfg.report_template_dir,
        )  # fmt: skip

    write(out, render(make))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `report` group."""
    app.command("request-letter")(request_letter)
    app.command("chase")(chase)
    app.command("summary")(summary)
    app.command("phu-luc-ii")(phu_luc_ii)
