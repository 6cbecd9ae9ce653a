"""`isocycle actions`: corrective actions and the check of their effectiveness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    Year,
    actor,
    echo_table,
    parse_day,
    to_json,
    vn_date,
)

if TYPE_CHECKING:
    pass


from cli.iso.common import (
    ACTION_STATUS,
    AsJson,
    By,
    Today,
    iso_rules,
    refusals,
    today_from,
    working_calendar,
)

app = typer.Typer(help="Corrective actions (hành động khắc phục).", no_args_is_help=True)


# --- corrective actions -------------------------------------------------------------------------


@app.command("add")
def actions_add(
    agency: str,
    year: Year,
    finding: Annotated[int, typer.Option("--finding", help="The finding's number.")],
    owner: Annotated[str, typer.Option("--owner", help="Who carries it out.")],
    description: Annotated[str, typer.Option("--description")],
    email: Annotated[str | None, typer.Option("--email", help="The owner's e-mail.")] = None,
    due: Annotated[
        str | None,
        typer.Option("--due", help="Default: audit + 30 days, or biên bản + 2 months."),
    ] = None,
    by: By = None,
) -> None:
    """Open a corrective action on a finding (with its step and its verification step)."""
    from models import iso

    due_on = parse_day(due, "--due") if due else None
    rules, working = iso_rules(), working_calendar()
    with refusals() as session:
        action = iso.add_action(
            session=session,
            agency_code=agency,
            year=year,
            finding_number=finding,
            owner_name=owner,
            owner_email=email,
            description=description,
            actor=actor(by),
            rules=rules,
            working=working,
            due=due_on,
        )
        number, action_due, verify_due = action.number, action.due, action.verify_due
    typer.echo(
        f"{agency} {year}: corrective action #{number} due {vn_date(action_due)}, "
        f"effectiveness check due {vn_date(verify_due)}"
    )


@app.command("done")
def actions_done(
    agency: str,
    year: Year,
    number: int,
    on: Annotated[str, typer.Option("--on", help="The day it was carried out.")],
    ref: Annotated[str | None, typer.Option("--ref", help="Evidence (report number).")] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record that a corrective action was carried out."""
    from models import iso

    done_on = parse_day(on, "--on")
    with refusals() as session:
        iso.complete_action(
            session=session,
            agency_code=agency,
            year=year,
            number=number,
            done_on=done_on,
            actor=actor(by),
            today=today_from(today),
            ref=ref,
        )
    typer.echo(f"{agency} {year}: corrective action #{number} done on {vn_date(done_on)}")


@app.command("verify")
def actions_verify(
    agency: str,
    year: Year,
    number: int,
    on: Annotated[str, typer.Option("--on", help="Day of the effectiveness check.")],
    verifier: Annotated[str, typer.Option("--verifier", help="Who checked it.")],
    effective: Annotated[
        bool, typer.Option("--effective/--not-effective", help="The check's result.")
    ] = True,
    new_due: Annotated[
        str | None, typer.Option("--new-due", help="When not effective: the new due date.")
    ] = None,
    by: By = None,
    today: Today = None,
) -> None:
    """Record the effectiveness check (xác nhận hiệu lực) of a done action."""
    from models import iso

    verified_on = parse_day(on, "--on")
    rules, working = iso_rules(), working_calendar()
    with refusals() as session:
        action = iso.verify_action(
            session=session,
            agency_code=agency,
            year=year,
            number=number,
            verified_on=verified_on,
            verified_by=verifier,
            effective=effective,
            actor=actor(by),
            today=today_from(today),
            rules=rules,
            working=working,
            new_due=parse_day(new_due, "--new-due") if new_due else None,
        )
        due = action.due
    typer.echo(
        f"{agency} {year}: corrective action #{number} "
        + ("verified effective" if effective else f"not effective; due again {vn_date(due)}")
    )


@app.command("list")
def actions_list(agency: str, year: Year, today: Today = None, as_json: AsJson = False) -> None:
    """List the year's corrective actions with their status."""
    from models import iso

    with refusals() as session:
        rows = iso.list_actions(
            session=session, agency_code=agency, year=year, today=today_from(today)
        )
    if as_json:
        typer.echo(to_json(rows))
        return
    echo_table(
        ["#", "Phát hiện", "Người thực hiện", "Hạn", "Ngày xong", "Xác nhận", "Trạng thái"],
        [
            (
                r["number"],
                r["finding"],
                r["owner_name"],
                vn_date(r["due"]),
                vn_date(r["done_on"]),
                vn_date(r["verified_on"]),
                ACTION_STATUS[r["status"]],
            )
            for r in rows
        ],
    )
