"""`isocycle activities`: training, budget, directing documents and own inspections per period."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import actor, echo_table, fail, parse_day, to_json, vn_date
from cli.iso.common import AsJson, By, Today, iso_rules, refusals, today_from

if TYPE_CHECKING:
    from models.periods import Period

app = typer.Typer(
    help="Training, budget, directing documents and own inspections of a reporting period.",
    no_args_is_help=True,
)
PeriodArg = Annotated[
    str, typer.Argument(help="2021 (annual), 6t/2021 (six months) or 15/12/2020-14/12/2021.")
]


def period_of(text: str) -> Period:
    from models.periods import PeriodError, parse_period

    try:
        return parse_period(text, iso_rules().periods)
    except PeriodError as exc:
        fail(str(exc))


@app.command("show")
def show(agency: str, period: PeriodArg, as_json: AsJson = False) -> None:
    """Show the period's training, budget, directing documents and inspections, with totals."""
    from models import iso

    span = period_of(period)
    with refusals() as session:
        data = iso.activities_summary(session=session, agency_code=agency, period=span)
    if as_json:
        typer.echo(to_json(data))
        return
    t = data["training"]
    typer.echo(f"{agency}, kỳ báo cáo {span.label}")
    typer.echo(
        f"Tập huấn: {t['held']} cuộc tổ chức, {t['attended']} cuộc được mời tham gia, "
        f"{t['person_times']} lượt người"
    )
    if t["courses"]:
        echo_table(
            ["Ngày", "Lớp tập huấn", "Đơn vị tổ chức", "Hình thức", "Lượt người"],
            [
                (
                    vn_date(c["held_on"]),
                    c["title"],
                    c["organiser"],
                    iso.TRAINING_MODE_LABELS[c["mode"]],
                    c["person_times"],
                )
                for c in t["courses"]
            ],
        )
    for b in data["budget"]:
        typer.echo(
            f"Kinh phí ({b['purpose_label']}): được cấp {iso.vnd(b['allocated'])}, "
            f"đã sử dụng {iso.vnd(b['spent'])}"
        )
        for warning in b["warnings"]:
            typer.echo(f"Cảnh báo: {warning}")
    docs = data["directing_documents"]
    typer.echo(f"Ban hành văn bản chỉ đạo: {docs['count']:02d}")
    if docs["items"]:
        echo_table(
            ["Số", "Ngày", "Trích yếu"],
            [(d["number"], vn_date(d["issued_on"]), d["title"]) for d in docs["items"]],
        )
    checks = data["inspections"]
    typer.echo(f"Kiểm tra: {checks['count']:02d} cuộc, {checks['units']:02d} đơn vị")
    if checks["items"]:
        echo_table(
            ["Ngày", "Đơn vị được kiểm tra", "Văn bản"],
            [(vn_date(i["held_on"]), i["unit"], i["ref"]) for i in checks["items"]],
        )


@app.command("training")
def training(
    agency: str,
    period: PeriodArg,
    title: Annotated[
        str, typer.Option("--title", help="The course, e.g. Tập huấn đánh giá nội bộ.")
    ],
    on: Annotated[str, typer.Option("--on", help="Date it was held.")],
    people: Annotated[str, typer.Option("--people", help="Person-times (lượt người).")],
    mode: Annotated[
        str, typer.Option("--mode", help="held (tổ chức) or attended (tham gia).")
    ] = "held",
    organiser: Annotated[str | None, typer.Option("--organiser")] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record a course held or attended in the period."""
    from models import iso

    span = period_of(period)
    with refusals() as session:
        iso.add_training(
            session=session,
            agency_code=agency,
            period=span,
            title=title,
            organiser=organiser,
            mode=mode,
            held_on=parse_day(on, "--on"),
            person_times=people,
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency}: đã ghi nhận lớp tập huấn «{title}» ({people} lượt người).")


@app.command("budget")
def budget(
    agency: str,
    period: PeriodArg,
    allocated: Annotated[str, typer.Option("--allocated", help="VND, e.g. 10.000.000.")],
    spent: Annotated[str | None, typer.Option("--spent", help="VND actually spent.")] = None,
    purpose: Annotated[
        str, typer.Option("--purpose", help="A cap key of config/budget_caps.toml.")
    ] = "duy_tri",
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: By = None,
) -> None:
    """Record (or correct) the period's budget; warns above the TT 116/2015 cap."""
    from models import iso

    span = period_of(period)
    with refusals() as session:
        warnings = iso.set_budget(
            session=session,
            agency_code=agency,
            period=span,
            allocated=allocated,
            spent=spent,
            purpose=purpose,
            note=note,
            actor=actor(by),
        )
    typer.echo(f"{agency}: đã ghi nhận kinh phí kỳ {span.label}.")
    for warning in warnings:
        typer.secho(f"Cảnh báo: {warning}", err=True, fg=typer.colors.YELLOW)


@app.command("document")
def document(
    agency: str,
    period: PeriodArg,
    title: Annotated[str, typer.Option("--title", help="Trích yếu.")],
    on: Annotated[str, typer.Option("--on", help="Date it was issued.")],
    number: Annotated[str | None, typer.Option("--number", help="e.g. 46/KH-SNgV.")] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record a directing document (văn bản chỉ đạo) issued in the period."""
    from models import iso

    span = period_of(period)
    with refusals() as session:
        iso.add_directing_document(
            session=session,
            agency_code=agency,
            period=span,
            number=number,
            title=title,
            issued_on=parse_day(on, "--on"),
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency}: đã ghi nhận văn bản chỉ đạo {number or title}.")


@app.command("inspection")
def inspection(
    agency: str,
    period: PeriodArg,
    unit: Annotated[str, typer.Option("--unit", help="The unit inspected.")],
    on: Annotated[str, typer.Option("--on", help="Date of the inspection.")],
    ref: Annotated[str | None, typer.Option("--ref", help="Its record (biên bản).")] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record an inspection the agency ran on one of its own units."""
    from models import iso

    span = period_of(period)
    with refusals() as session:
        iso.add_own_inspection(
            session=session,
            agency_code=agency,
            period=span,
            held_on=parse_day(on, "--on"),
            unit=unit,
            ref=ref,
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency}: đã ghi nhận cuộc kiểm tra {unit}.")
