"""`isocycle reports`: report requests, the reports agencies send, and their receipt.

The command line is the operator's tool (like every `isocycle` write, with --by naming who); the
web pages and the API check who may send (the agency's own users) and who may receive (the
receiving unit's users, or an admin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import actor, echo_table, fail, parse_day, settings, to_json, vn_date
from cli.iso.common import (
    AsJson,
    By,
    Today,
    iso_rules,
    refusals,
    split_list,
    today_from,
    working_calendar as working,
)

app = typer.Typer(
    help="Report requests, reports and receipts (the report step is done on receipt).",
    no_args_is_help=True,
)

Step = Annotated[
    str,
    typer.Option(
        "--step", help="annual_report, six_month_report, or report:LETTER for an ad hoc letter."
    ),
]
Agency = Annotated[str, typer.Argument(help="The reporting agency's code.")]
Year = Annotated[int, typer.Argument(min=2000, max=2100, help="The report step's cycle year.")]


def _row_text(row: dict[str, Any]) -> list[Any]:
    on_time = {True: "đúng hạn", False: "trễ hạn", None: ""}[row["on_time"]]
    return [
        row["agency"],
        row["step"],
        vn_date(row["due"]),
        row["status_label"],
        row["number"] or "",
        vn_date(row["report_date"]),
        vn_date(row["received_on"]),
        on_time or ("quá hạn" if row["late"] else ""),
    ]


HEADERS = ["Đơn vị", "Bước", "Hạn", "Trạng thái", "Số", "Ngày BC", "Ngày nhận", "Đúng hạn"]


@app.command("request")
def request_add(
    unit: Annotated[str, typer.Argument(help="Code of the unit that asks and receives.")],
    number: Annotated[str, typer.Option("--number", help="Letter number, e.g. 1550/SKHCN-TĐC.")],
    letter_date: Annotated[str, typer.Option("--date", help="The letter's date.")],
    kind: Annotated[
        str, typer.Option("--kind", help="annual_report, six_month_report, ad_hoc_report.")
    ],
    period: Annotated[
        str, typer.Option("--period", help='"2021", "6t/2021" or "15/12/2019-11/11/2020".')
    ],
    due: Annotated[str | None, typer.Option("--due", help="The letter's deadline.")] = None,
    agencies: Annotated[
        str | None, typer.Option("--agencies", help="Agency codes, comma-separated.")
    ] = None,
    kinds: Annotated[
        str | None, typer.Option("--kinds", help="Every agency of these kinds (so,ubnd_huyen,...).")
    ] = None,
    outline: Annotated[
        str | None, typer.Option("--outline", help="The outline (đề cương) version.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record a request letter; each asked agency's report step gets its deadline."""
    from models import iso
    from models.periods import PeriodError, parse_period

    try:
        span = parse_period(period, iso_rules().periods)
    except PeriodError as exc:
        fail(f"--period: {exc}")
    with refusals() as session:
        request = iso.create_request(
            overseer_code=settings().overseer_code,
            session=session,
            unit_code=unit,
            letter_number=number,
            letter_date=parse_day(letter_date, "--date"),
            kind=kind,
            period=span,
            agency_codes=split_list(agencies),
            recipient_kinds=split_list(kinds),
            due=parse_day(due, "--due") if due else None,
            outline=outline,
            title=title,
            actor=actor(by),
            today=today_from(today),
            working=working(),
        )
        out = iso.request_out(session, request)
    if as_json:
        typer.echo(to_json(out))
        return
    typer.echo(
        f"Công văn {out['letter_number']} ngày {vn_date(out['letter_date'])}: "
        f"{len(out['agencies'])} đơn vị, kỳ {out['period_label']}"
        + (f", hạn {vn_date(out['due'])}" if out["due"] else "")
    )


@app.command("requests")
def request_list(
    unit: Annotated[str | None, typer.Option("--unit", help="Sent by this unit.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Asking this agency.")] = None,
    as_json: AsJson = False,
) -> None:
    """List request letters."""
    from models import iso

    with refusals() as session:
        out = [
            iso.request_out(session, r)
            for r in iso.list_requests(session=session, unit_code=unit, agency_code=agency)
        ]
    if as_json:
        typer.echo(to_json(out))
        return
    echo_table(
        ["Đơn vị gửi", "Công văn", "Ngày", "Loại", "Kỳ", "Hạn", "Số đơn vị"],
        [
            [
                r["unit"],
                r["letter_number"],
                vn_date(r["letter_date"]),
                r["kind_label"],
                r["period_label"],
                vn_date(r["due"]),
                len(r["agencies"]),
            ]
            for r in out
        ],
    )


@app.command("submit")
def submit(
    agency: Agency,
    year: Year,
    step: Step = "annual_report",
    file: Annotated[Path | None, typer.Option("--file", help="The report, .pdf or .docx.")] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Report number (số ký hiệu).")
    ] = None,
    report_date: Annotated[str | None, typer.Option("--date", help="The report's date.")] = None,
    letter: Annotated[
        str | None, typer.Option("--letter", help="The request letter it answers.")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="The receiving unit (default: the letter's).")
    ] = None,
    addressed_to: Annotated[
        str | None, typer.Option("--addressed-to", help="Nơi nhận as written.")
    ] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record an agency's report; the step stays open until the receiving unit records receipt."""
    from models import iso

    upload = None
    if file is not None:
        try:
            upload = iso.ReportFileIn(
                file.name, file.read_bytes()[: settings().report_file_max_bytes + 1]
            )
        except OSError as exc:
            fail(f"--file {file}: không đọc được tệp ({exc.strerror}).")
    with refusals() as session:
        iso.submit_report(
            overseer_code=settings().overseer_code,
            session=session,
            agency_code=agency,
            year=year,
            step_key=step,
            number=number,
            report_date=parse_day(report_date, "--date") if report_date else None,
            actor=actor(by),
            today=today_from(today),
            file=upload,
            max_file_bytes=settings().report_file_max_bytes,
            letter_number=letter,
            unit_code=unit,
            addressed_to=addressed_to,
            require_file=False,
        )
    _show(agency, year, step, today, as_json)


def _show(agency: str, year: int, step: str, today: str | None, as_json: bool) -> None:
    from models import iso

    with refusals() as session:
        found = iso.get_agency(session, agency)
        rows = iso.report_rows(
            session=session,
            today=today_from(today),
            agency_ids=[found.id],
            year=year,
            step_key=step,
        )
    if as_json:
        typer.echo(to_json(rows[0] if rows else None))
        return
    echo_table(HEADERS, [_row_text(r) for r in rows])


@app.command("receive")
def receive(
    agency: Agency,
    year: Year,
    received_on: Annotated[str, typer.Option("--on", help="The day the report was received.")],
    step: Step = "annual_report",
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """The receiving unit records receipt; that completes the report step."""
    from models import iso

    with refusals() as session:
        iso.record_receipt(
            session=session,
            agency_code=agency,
            year=year,
            step_key=step,
            received_on=parse_day(received_on, "--on"),
            actor=actor(by),
            today=today_from(today),
        )
    _show(agency, year, step, today, as_json)


@app.command("accept")
def accept(
    agency: Agency, year: Year, step: Step = "annual_report", by: By = None, as_json: AsJson = False
) -> None:
    """The receiving unit accepts a received report."""
    from models import iso

    with refusals() as session:
        iso.accept_report(
            session=session, agency_code=agency, year=year, step_key=step, actor=actor(by)
        )
    _show(agency, year, step, None, as_json)


@app.command("return")
def return_(
    agency: Agency,
    year: Year,
    comment: Annotated[str, typer.Option("--comment", help="What must be corrected.")],
    step: Step = "annual_report",
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """The receiving unit returns the report with a comment; its step opens again."""
    from models import iso

    with refusals() as session:
        iso.return_report(
            session=session,
            agency_code=agency,
            year=year,
            step_key=step,
            comment=comment,
            actor=actor(by),
        )
    _show(agency, year, step, None, as_json)


@app.command("list")
def list_reports(
    year: Annotated[int | None, typer.Argument(min=2000, max=2100)] = None,
    agency: Annotated[str | None, typer.Option("--agency")] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="With --letter: that letter's list.")
    ] = None,
    letter: Annotated[str | None, typer.Option("--letter")] = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Report steps with who sent, was received, accepted, returned, or is late."""
    from models import iso

    with refusals() as session:
        if letter:
            if not unit:
                fail("--letter cần --unit (đơn vị gửi công văn).")
            request = iso.get_request(session=session, unit_code=unit, letter_number=letter)
            rows = iso.report_rows(session=session, today=today_from(today), request=request)
        else:
            ids = [iso.get_agency(session, agency).id] if agency else None
            rows = iso.report_rows(
                session=session, today=today_from(today), agency_ids=ids, year=year
            )
    if as_json:
        typer.echo(to_json(rows))
        return
    echo_table(HEADERS, [_row_text(r) for r in rows])
