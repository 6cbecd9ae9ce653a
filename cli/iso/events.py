"""`isocycle events`: changes that start deadlines for agencies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    actor,
    echo_table,
    parse_day,
    to_json,
    vn_date,
)

if TYPE_CHECKING:
    pass


from cli.iso.common import (
    AsJson,
    By,
    calendar_rules,
    iso_rules,
    refusals,
    split_list,
    working_calendar,
)

app = typer.Typer(
    help="Legal, scope and leadership changes that start deadlines.", no_args_is_help=True
)


# --- events -------------------------------------------------------------------------------------


@app.command("add")
def events_add(
    kind: Annotated[
        str, typer.Argument(help="legal_change, scope_change, leadership_change or restructuring.")
    ],
    number: Annotated[str, typer.Option("--number", help="Document number.")],
    effective: Annotated[str, typer.Option("--effective", help="Effective date.")],
    agencies: Annotated[
        str | None, typer.Option("--agencies", help="Affected agency codes, comma-separated.")
    ] = None,
    all_agencies: Annotated[
        bool,
        typer.Option("--all", help="Every agency with a QMS in operation on the effective date."),
    ] = False,
    title: Annotated[str | None, typer.Option("--title")] = None,
    by: By = None,
) -> None:
    """Record an event; each affected agency gets a step with the configured deadline."""
    from models import iso

    effective_on = parse_day(effective, "--effective")
    rules, working = iso_rules(), working_calendar()
    with refusals() as session:
        codes = split_list(agencies)
        if all_agencies:
            # Only kinds that hold their own QMS (the calendar's kinds) get the step.
            kinds = {kind for rule in calendar_rules().steps for kind in rule.kinds}
            codes += iso.active_agency_codes(session=session, on=effective_on, kinds=kinds)
        result = iso.record_event(
            session=session,
            kind=kind,
            number=number,
            effective_on=effective_on,
            agency_codes=codes,
            actor=actor(by),
            rules=rules,
            working=working,
            title=title,
        )
    typer.echo(
        f"{kind} {number}: {result.steps_created} agencies get a step due {vn_date(result.due)}"
        + (
            f" (moved from {vn_date(result.nominal_due)}, not a working day)"
            if result.due != result.nominal_due
            else ""
        )
    )


@app.command("list")
def events_list(
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100)] = None,
    as_json: AsJson = False,
) -> None:
    """List events with the number of affected agencies and of steps still open."""
    from models import iso

    with refusals() as session:
        rows = iso.list_events(session=session, year=year)
    if as_json:
        typer.echo(to_json(rows))
        return
    echo_table(
        ["Loại", "Số", "Hiệu lực", "Đơn vị", "Chưa xong", "Bước"],
        [
            (
                r["kind"],
                r["number"],
                vn_date(r["effective_on"]),
                r["agencies"],
                r["open_steps"],
                r["step"],
            )
            for r in rows
        ],
    )
