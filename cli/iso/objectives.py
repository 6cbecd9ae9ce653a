"""`isocycle objectives`: quality objectives, their decision and results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    Year,
    actor,
    echo_table,
    parse_day,
    to_json,
    vn_date,
    vn_number,
)

if TYPE_CHECKING:
    pass


from cli.iso.common import AsJson, By, Today, refusals, today_from

app = typer.Typer(help="Quality objectives (mục tiêu chất lượng).", no_args_is_help=True)


# --- quality objectives -------------------------------------------------------------------------


@app.command("decision")
def objectives_decision(
    agency: str,
    year: Year,
    ref: Annotated[str, typer.Option("--ref", help="e.g. 41/QĐ-UBND.")],
    on: Annotated[str, typer.Option("--on", help="Date of the decision.")],
    by: By = None,
    today: Today = None,
) -> None:
    """Record the decision issuing the year's objectives (completes quality_objectives)."""
    from models import iso

    issued_on = parse_day(on, "--on")
    with refusals() as session:
        iso.set_objective_decision(
            session=session,
            agency_code=agency,
            year=year,
            ref=ref,
            issued_on=issued_on,
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency} {year}: objectives issued by {ref} of {vn_date(issued_on)}")


@app.command("add")
def objectives_add(
    agency: str,
    year: Year,
    indicator: Annotated[str, typer.Option("--indicator")],
    target: Annotated[str, typer.Option("--target", help="A number, e.g. 95.")],
    comparison: Annotated[str, typer.Option("--cmp", help=">=, <=, =, > or <.")] = ">=",
    unit: Annotated[str | None, typer.Option("--unit", help="e.g. %, hồ sơ.")] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Add one quality objective."""
    from models import iso

    with refusals() as session:
        numbers = iso.add_objectives(
            session=session,
            agency_code=agency,
            year=year,
            objectives=[iso.ObjectiveIn(indicator, comparison, target, unit)],
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency} {year}: objective #{numbers[0]} added")


@app.command("import")
def objectives_import(
    agency: str,
    year: Year,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    results_on: Annotated[
        str | None,
        typer.Option("--results-on", help="Final values in the file: complete objectives_review."),
    ] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Add objectives from CSV/JSON/TOML (indicator, comparison, target, unit, values)."""
    from models import iso

    on = parse_day(results_on, "--results-on") if results_on else None
    with refusals() as session:
        numbers = iso.add_objectives(
            session=session,
            agency_code=agency,
            year=year,
            objectives=iso.objectives_from_file(file),
            actor=actor(by),
            today=today_from(today),
            results_on=on,
        )
    typer.echo(f"{agency} {year}: {len(numbers)} objectives added from {file.name}")


@app.command("results")
def objectives_results(
    agency: str,
    year: Year,
    number: int,
    mid: Annotated[str | None, typer.Option("--mid", help="Mid-year value.")] = None,
    final: Annotated[str | None, typer.Option("--final", help="Final value.")] = None,
    results_on: Annotated[
        str | None,
        typer.Option("--results-on", help="When all finals are in: complete objectives_review."),
    ] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Enter an objective's mid-year and/or final value."""
    from models import iso

    on = parse_day(results_on, "--results-on") if results_on else None
    with refusals() as session:
        values = (iso.parse_value(mid, "--mid"), iso.parse_value(final, "--final"))
        rows = iso.record_results(
            session=session,
            agency_code=agency,
            year=year,
            values={number: values},
            actor=actor(by),
            today=today_from(today),
            results_on=on,
        )
    _echo_objectives(rows)


# The comparison as the page writes it: "≥ 98,5 %".
SIGNS = {">=": "≥", "<=": "≤"}


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("đạt" if value else "không đạt")


def _echo_objectives(rows: list[dict[str, Any]]) -> None:
    echo_table(
        ["#", "Chỉ tiêu", "Mục tiêu", "Giữa năm", "Cuối năm", "Kết quả"],
        [
            (
                r["number"],
                r["indicator"][:50],
                f"{SIGNS.get(r['comparison'], r['comparison'])} {vn_number(r['target'])} "
                f"{r['unit'] or ''}".rstrip(),
                vn_number(r["mid_value"]),
                vn_number(r["final_value"]),
                _yes_no(r["achieved"]),
            )
            for r in rows
        ],
    )


@app.command("list")
def objectives_list(agency: str, year: Year, as_json: AsJson = False) -> None:
    """List the year's objectives with "achieved" computed."""
    from models import iso

    with refusals() as session:
        rows = iso.list_objectives(session=session, agency_code=agency, year=year)
    if as_json:
        typer.echo(to_json(rows))
        return
    _echo_objectives(rows)
