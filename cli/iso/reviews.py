"""`isocycle review`: the management review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    Year,
    actor,
    parse_day,
    to_json,
    vn_date,
)

if TYPE_CHECKING:
    pass


from cli.iso.common import By, Today, refusals, today_from

app = typer.Typer(help="Management review (xem xét của lãnh đạo).", no_args_is_help=True)


# --- management review --------------------------------------------------------------------------


@app.command("record")
def review_record(
    agency: str,
    year: Year,
    on: Annotated[str, typer.Option("--on", help="Day the review was held.")],
    minutes: Annotated[str, typer.Option("--minutes", help="Minutes (biên bản) reference.")],
    decisions: Annotated[str | None, typer.Option("--decisions")] = None,
    override_reason: Annotated[
        str | None,
        typer.Option("--override-reason", help="Accept a review held before the year's audit."),
    ] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record the management review; inputs are prefilled from audits, objectives, actions."""
    from models import iso

    held_on = parse_day(on, "--on")
    with refusals() as session:
        review = iso.record_review(
            session=session,
            agency_code=agency,
            year=year,
            held_on=held_on,
            minutes_ref=minutes,
            decisions=decisions,
            actor=actor(by),
            today=today_from(today),
            override_reason=override_reason,
        )
        inputs = review.inputs
    typer.echo(f"{agency} {year}: management review of {vn_date(held_on)} recorded")
    typer.echo(to_json(inputs))


@app.command("show")
def review_show(agency: str, year: Year) -> None:
    """Show the year's management review with its inputs (JSON)."""
    from models import iso

    with refusals() as session:
        review = iso.get_review(session=session, agency_code=agency, year=year)
        data = review.model_dump(exclude={"id", "agency_id"})
    typer.echo(to_json(data))
