"""`isocycle lineage`: predecessor and successor agencies (restructuring, e.g. 1/7/2025)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import actor, echo_table, to_json, vn_date
from cli.iso.common import AsJson, By, refusals

app = typer.Typer(help="Predecessor and successor agencies.", no_args_is_help=True)


@app.command("add")
def add(
    predecessor: Annotated[str, typer.Argument(help="Code of the agency replaced.")],
    successor: Annotated[str, typer.Argument(help="Code of the agency that replaced it.")],
    basis: Annotated[
        str | None, typer.Option("--basis", help="e.g. Nghị quyết 1665/NQ-UBTVQH15.")
    ] = None,
    by: By = None,
) -> None:
    """Link an agency to the agency that took over its work."""
    from models import lineage

    with refusals() as session:
        added = lineage.add_links(
            session=session,
            links=[lineage.LinkIn(predecessor, successor, basis)],
            actor=actor(by),
        )
    typer.echo(
        f"{predecessor} → {successor}: " + ("đã ghi nhận." if added else "đã có, không đổi.")
    )


@app.command("import")
def import_links(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    by: By = None,
) -> None:
    """Import links from a .csv (predecessor, successor, basis), all or nothing."""
    from models import lineage

    with refusals() as session:
        added = lineage.add_links(
            session=session, links=lineage.links_from_file(file), actor=actor(by)
        )
    typer.echo(f"Đã thêm {added} liên kết.")


@app.command("show")
def show(agency: str, as_json: AsJson = False) -> None:
    """Show what an agency replaced and what replaced it."""
    from models import iso, lineage

    with refusals() as session:
        found = iso.get_agency(session, agency)
        data = lineage.lineage_of(session=session, agency=found)
    if as_json:
        typer.echo(to_json({"agency": agency, **data}))
        return
    for key, title in (("predecessors", "Đơn vị trước đây"), ("successors", "Đơn vị kế thừa")):
        typer.echo(f"{title}:")
        if data[key]:
            echo_table(
                ["Mã", "Tên", "Từ", "Đến", "Căn cứ"],
                [
                    (
                        r["code"],
                        r["name"],
                        vn_date(r["valid_from"]),
                        vn_date(r["valid_to"]),
                        r["basis"],
                    )
                    for r in data[key]
                ],
            )
        else:
            typer.echo("  (không có)")
