"""`isocycle audit|actions|review|objectives|events|profile|...|history`: the ISO records."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import echo_table, settings, to_json
from cli.iso import (
    actions,
    activities,
    audits,
    events,
    inspections,
    lineage,
    objectives,
    procedures,
    profile,
    reporting,
    reviews,
    scores,
)
from cli.iso.common import AsJson, refusals

app = typer.Typer(no_args_is_help=True)
app.add_typer(audits.app, name="audit")
app.add_typer(actions.app, name="actions")
app.add_typer(reviews.app, name="review")
app.add_typer(objectives.app, name="objectives")
app.add_typer(events.app, name="events")
app.add_typer(inspections.app, name="inspections")
app.add_typer(procedures.app, name="procedures")
app.add_typer(activities.app, name="activities")
app.add_typer(lineage.app, name="lineage")
app.add_typer(profile.app, name="profile")
app.add_typer(reporting.app, name="reports")
app.add_typer(scores.app, name="score")


# --- history ------------------------------------------------------------------------------------


@app.command("history")
def history(
    agency: str,
    year: Annotated[
        int | None, typer.Argument(min=2000, max=2100, help="Only this cycle year.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show who changed what and when for an agency (optionally one year), oldest first."""
    from models import history_text, iso
    from models.cycles import history as history_rows

    with refusals() as session:
        found = iso.get_agency(session, agency)
        entries = list(history_rows(session=session, agency_id=found.id, year=year))
        names = history_text.history_names(session, entries)
    if as_json:
        keys = ("at", "actor", "year", "entity", "entity_id", "action", "old", "new")
        rows_json = []
        for h in entries:
            told = history_text.describe(h, names)
            changes = [{"label": c.label, "old": c.old, "new": c.new} for c in told.changes]
            rows_json.append(
                {**{k: getattr(h, k) for k in keys}, "text": told.sentence, "changes": changes}
            )
        typer.echo(to_json(rows_json))
        return
    zone = settings().zone
    rows = []
    for h in entries:
        told = history_text.describe(h, names)
        rows.append(
            (
                h.at.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
                h.year or "",
                told.sentence,
                "; ".join(str(c) for c in told.changes),
            )
        )
    echo_table(["Thời điểm", "Năm", "Nội dung", "Thay đổi"], rows)
