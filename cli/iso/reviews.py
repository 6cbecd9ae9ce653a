"""`isocycle review`: the management reviews of a year (at least one, QĐ 19/2014 Art. 4.4b)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    Year,
    actor,
    parse_day,
    to_json,
    vn_date,
)
from cli.iso.common import By, Today, refusals, today_from

if TYPE_CHECKING:
    from sqlmodel import Session

    from models.iso import ManagementReview

app = typer.Typer(help="Management reviews (xem xét của lãnh đạo).", no_args_is_help=True)

Number = Annotated[
    int | None,
    typer.Option("--number", min=1, max=1_000_000, help="The review's number within the year."),
]


def review_data(session: Session, review: ManagementReview) -> dict[str, Any]:
    """A review as the CLI's JSON shows it, with its warning (or null)."""
    from models import iso

    data = review.model_dump(exclude={"id", "agency_id"})
    return data | {"warning": iso.review_warning(session=session, review=review)}


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
        typer.Option("--override-reason", help="Why it was held before the year's audit (note)."),
    ] = None,
    number: Number = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record a management review (or correct one: --number, or the same minutes number).

    Inputs are prefilled from audits, objectives and actions. A review held before the year's
    internal audit is recorded with a warning.
    """
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
            number=number,
        )
        inputs, recorded = review.inputs, review.number
        warning = iso.review_warning(session=session, review=review)
    typer.echo(f"{agency} {year}: management review #{recorded} of {vn_date(held_on)} recorded")
    if warning:
        typer.echo(f"Cảnh báo: {warning}")
    typer.echo(to_json(inputs))


@app.command("show")
def review_show(agency: str, year: Year, number: Number = None) -> None:
    """Show one management review with its inputs and warning (JSON); default: the latest."""
    from models import iso

    with refusals() as session:
        review = iso.get_review(session=session, agency_code=agency, year=year, number=number)
        data = review_data(session, review)
    typer.echo(to_json(data))


@app.command("list")
def review_list(agency: str, year: Year) -> None:
    """List the year's management reviews, in the order they were held (JSON)."""
    from models import iso

    with refusals() as session:
        reviews = iso.list_reviews(session=session, agency_code=agency, year=year)
        data = [review_data(session, r) for r in reviews]
    typer.echo(to_json(data))
