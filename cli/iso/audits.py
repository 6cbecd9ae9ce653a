"""`isocycle audit`: internal audits and their findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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


from cli.iso.common import AsJson, By, Today, refusals, split_list, today_from

app = typer.Typer(help="Internal audits and findings (đánh giá nội bộ).", no_args_is_help=True)


# --- audit --------------------------------------------------------------------------------------


@app.command("record")
def audit_record(
    agency: str,
    year: Year,
    start: Annotated[str, typer.Option("--start", help="First day of the audit.")],
    ref: Annotated[str, typer.Option("--ref", help="Audit plan/decision, or the biên bản.")],
    end: Annotated[str | None, typer.Option("--end", help="Last day (default: --start).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The audit team.")] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Units audited, comma-separated.")
    ] = None,
    findings: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            exists=True,
            dir_okay=False,
            help="CSV/JSON/TOML: severity, clause, unit, description.",
        ),
    ] = None,
    inspection: Annotated[
        bool, typer.Option("--inspection", help="An inspection by Sở KH&CN (biên bản).")
    ] = False,
    by: By = None,
    today: Today = None,
) -> None:
    """Record an audit and its findings; an internal audit completes internal_audit."""
    from models import iso

    start_on = parse_day(start, "--start")
    end_on = parse_day(end, "--end") if end else start_on
    with refusals() as session:
        rows = iso.findings_from_file(findings) if findings else []
        iso.record_audit(
            session=session,
            agency_code=agency,
            year=year,
            start_on=start_on,
            end_on=end_on,
            ref=ref,
            team=team,
            scope_units=split_list(scope),
            findings=rows,
            actor=actor(by),
            today=today_from(today),
            kind="inspection" if inspection else "internal",
        )
        counts = iso.severity_counts(
            session=session, agency_id=iso.get_agency(session, agency).id, year=year
        )
    typer.echo(f"{agency} {year}: audit recorded ({vn_date(end_on)}); " + _counts_text(counts))


@app.command("finding")
def audit_finding(
    agency: str,
    year: Year,
    severity: Annotated[str, typer.Option("--severity", help="major, minor or observation.")],
    unit: Annotated[str, typer.Option("--unit")],
    description: Annotated[str, typer.Option("--description")],
    clause: Annotated[str | None, typer.Option("--clause", help="ISO clause, e.g. 7.5.")] = None,
    by: By = None,
) -> None:
    """Add one finding to the year's latest audit."""
    from models import iso

    with refusals() as session:
        numbers = iso.add_findings(
            session=session,
            agency_code=agency,
            year=year,
            findings=[iso.FindingIn(severity, unit, description, clause)],
            actor=actor(by),
        )
    typer.echo(f"{agency} {year}: finding #{numbers[0]} added")


def _counts_text(counts: dict[str, int]) -> str:
    from models import iso

    return ", ".join(f"{iso.SEVERITY_LABELS[s]}: {vn_number(counts[s])}" for s in iso.SEVERITIES)


@app.command("show")
def audit_show(agency: str, year: Year, as_json: AsJson = False) -> None:
    """Show the year's audits, findings and counts by severity."""
    from models import iso

    with refusals() as session:
        summary = iso.audit_summary(session=session, agency_code=agency, year=year)
    if as_json:
        typer.echo(to_json(summary))
        return
    for a in summary["audits"]:
        kind = "Đánh giá nội bộ" if a["kind"] == "internal" else "Kiểm tra của Sở KH&CN"
        typer.echo(
            f"{kind} {vn_date(a['start_on'])}–{vn_date(a['end_on'])} ({a['ref']}); "
            f"đoàn: {a['team'] or ''}; phạm vi: {', '.join(a['scope_units'])}"
        )
    echo_table(
        ["#", "Mức độ", "Điều khoản", "Đơn vị", "Mô tả"],
        [
            (
                f["number"],
                iso.SEVERITY_LABELS[f["severity"]],
                f["clause"] or "",
                f["unit"],
                f["description"][:60],
            )
            for f in summary["findings"]
        ],
    )
    typer.echo("\n" + _counts_text(summary["counts"]))
