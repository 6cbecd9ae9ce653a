"""`isocycle inspections`: the inspecting unit's plan, the biên bản, and the report-back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import Year, actor, echo_table, fail, parse_day, settings, to_json, vn_date
from cli.iso.common import (
    AsJson,
    By,
    Today,
    calendar_rules,
    iso_rules,
    refusals,
    today_from,
    working_calendar,
)

if TYPE_CHECKING:
    from models import iso

app = typer.Typer(
    help="Inspections by the inspecting unit (kiểm tra của Chi cục TĐC / Sở KH&CN).",
    no_args_is_help=True,
)


def _entry(text: str) -> iso.PlanEntry:
    """CODE,FORM,MONTH or CODE,FORM,DATE (dd/mm/yyyy or yyyy-mm-dd)."""
    from models import iso

    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        fail(f"--entry «{text}»: cần dạng MÃ,HÌNH THỨC,THÁNG hoặc MÃ,HÌNH THỨC,NGÀY")
    code, form, when = parts
    if when.isdigit():
        return iso.PlanEntry(agency=code, form=form, month=int(when))
    return iso.PlanEntry(agency=code, form=form, on=parse_day(when, "--entry"))


def _file_entries(path: Path) -> list[iso.PlanEntry]:
    from models import iso
    from models.iso.base import read_records

    out = []
    problems = []
    known = ("agency", "mã đơn vị", "form", "hình thức", "month", "tháng", "date", "ngày")
    for n, r in enumerate(read_records(path, "inspections", known)):
        code = r.get("agency") or r.get("mã đơn vị") or ""
        form = r.get("form") or r.get("hình thức") or ""
        month = r.get("month") or r.get("tháng") or ""
        day = r.get("date") or r.get("ngày") or ""
        where = f"dòng {n + 2}" if path.suffix.lower() == ".csv" else f"Bản ghi {n + 1}"
        try:
            on = parse_day(day, "ngày") if day else None
        except typer.Exit:
            problems.append(f"{where}: ngày «{day}» không hợp lệ")
            continue
        if month and not month.isdigit():
            problems.append(f"{where}: tháng «{month}» không phải là số")
            continue
        out.append(
            iso.PlanEntry(agency=code, form=form, month=int(month) if month else None, on=on)
        )
    if problems:
        fail(f"{path.name}: " + "; ".join(problems))
    return out


@app.command("plan")
def plan(
    inspector: Annotated[str, typer.Argument(help="The inspecting unit's agency code.")],
    year: Year,
    decision: Annotated[str, typer.Option("--decision", help="The approving decision (số).")],
    decision_on: Annotated[str, typer.Option("--decision-on", help="Its date.")],
    entry: Annotated[
        list[str] | None,
        typer.Option("--entry", help="CODE,FORM,MONTH or CODE,FORM,DATE; FORM: dossier|onsite."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", exists=True, dir_okay=False, help="CSV/JSON/TOML: agency, form, month|date."
        ),
    ] = None,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Record or amend the year's inspection plan; warns when under 1/3 on site (TT 26 Art. 33)."""
    from models import iso

    entries = [_entry(e) for e in entry or []]
    with refusals() as session:
        if file is not None:
            entries += _file_entries(file)
        result = iso.record_plan(
            overseer_code=settings().overseer_code,
            session=session,
            inspector_code=inspector,
            year=year,
            decision_ref=decision,
            decision_on=parse_day(decision_on, "--decision-on"),
            entries=entries,
            actor=actor(by),
            rules=calendar_rules(),
        )
    c = result.coverage
    if as_json:
        typer.echo(
            to_json(
                {
                    "added": result.added,
                    "changed": result.changed,
                    "required": c.required,
                    "planned": c.planned,
                    "onsite": c.onsite,
                    "warnings": result.warnings,
                }
            )
        )
        return
    share = iso.inspections.percent(c.onsite_share)
    typer.echo(
        f"{inspector} {year}: kế hoạch {decision}: thêm {result.added}, sửa {result.changed}; "
        f"kiểm tra trực tiếp {c.onsite}/{c.required} cơ quan ({share})"
    )
    for w in result.warnings:
        typer.secho(f"Cảnh báo: {w}", err=True, fg=typer.colors.YELLOW)


def _findings(path: Path | None, finding: list[str] | None) -> list[iso.FindingIn]:
    from models import iso

    rows = iso.findings_from_file(path) if path else []
    for text in finding or []:
        parts = [p.strip() for p in text.split("|")]
        if len(parts) not in (3, 4):
            fail(f"--finding «{text}»: cần dạng MỨC ĐỘ|BỘ PHẬN|MÔ TẢ[|ĐIỀU KHOẢN]")
        severity, unit, description = parts[:3]
        clause = parts[3] if len(parts) == 4 else None
        rows.append(iso.FindingIn(severity, unit, description, clause))
    return rows


@app.command("record")
def record(
    agency: str,
    year: Year,
    ref: Annotated[str, typer.Option("--ref", help="The biên bản's number.")],
    on: Annotated[str, typer.Option("--on", help="The biên bản's date (signed).")],
    start: Annotated[str | None, typer.Option("--start", help="First day (default --on).")] = None,
    findings: Annotated[
        Path | None,
        typer.Option("--findings", exists=True, dir_okay=False, help="CSV/JSON/TOML of findings."),
    ] = None,
    finding: Annotated[
        list[str] | None, typer.Option("--finding", help="SEVERITY|UNIT|DESCRIPTION[|CLAUSE].")
    ] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record a planned inspection's biên bản; opens the report-back step due 2 months after."""
    from models import iso

    with refusals() as session:
        result = iso.record_inspection(
            session=session,
            agency_code=agency,
            year=year,
            record_ref=ref,
            record_on=parse_day(on, "--on"),
            start_on=parse_day(start, "--start") if start else None,
            findings=_findings(findings, finding),
            actor=actor(by),
            today=today_from(today),
            iso_rules=iso_rules(),
            working=working_calendar(),
        )
    if as_json:
        typer.echo(to_json({"step": result.step_key, "due": result.due}))
        return
    typer.echo(
        f"{agency} {year}: biên bản {ref} đã ghi nhận; hạn báo cáo kết quả khắc phục "
        f"{vn_date(result.due)} ({result.step_key})"
    )


@app.command("report")
def report(
    agency: str,
    year: Year,
    ref: Annotated[str, typer.Option("--ref", help="The agency's report number.")],
    on: Annotated[str, typer.Option("--on", help="The report's date.")],
    by: By = None,
    today: Today = None,
) -> None:
    """Record the agency's report on its corrective actions (completes the report-back step)."""
    from models import iso

    with refusals() as session:
        step = iso.record_report_back(
            session=session,
            agency_code=agency,
            year=year,
            report_ref=ref,
            report_on=parse_day(on, "--on"),
            actor=actor(by),
            today=today_from(today),
        )
        late = step.done_on is not None and step.done_on > step.due
    typer.echo(f"{agency} {year}: báo cáo {ref} đã ghi nhận" + (" (muộn hạn)" if late else ""))


def _table(rows: list[dict[str, Any]]) -> None:
    from models import iso

    echo_table(
        ["Đơn vị", "Hình thức", "Kỳ", "Tình trạng", "Biên bản", "Hạn báo cáo", "Báo cáo"],
        [
            (
                r["agency"],
                iso.FORM_LABELS[r["form"]],
                vn_date(r["planned_on"]) if r["planned_on"] else f"tháng {r['planned_month']}",
                iso.inspections.STATUS_LABELS[r["status"]],
                f"{r['record_ref']} ({vn_date(r['record_on'])})" if r["record_ref"] else "",
                vn_date(r["report_due"]) if r["report_due"] else "",
                iso.inspections.REPORT_LABELS[r["report_status"]],
            )
            for r in rows
        ],
    )


@app.command("show")
def show(
    inspector: Annotated[str, typer.Argument(help="The inspecting unit's agency code.")],
    year: Year,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Show the unit's plan: coverage, warnings, and each inspection done, late or not held."""
    from models import iso

    with refusals() as session:
        summary = iso.plan_summary(
            session=session,
            inspector_code=inspector,
            year=year,
            today=today_from(today),
            rules=calendar_rules(),
        )
    if as_json:
        typer.echo(to_json(summary))
        return
    d = summary["decision"]
    typer.echo(
        f"Kế hoạch kiểm tra năm {year} của {summary['inspector_name']}: "
        + (f"{d['ref']} ngày {vn_date(d['issued_on'])}" if d else "chưa có")
    )
    for w in summary["warnings"]:
        typer.echo(f"Cảnh báo: {w}")
    _table(summary["inspections"])


@app.command("agency")
def agency_view(agency: str, year: Year, today: Today = None, as_json: AsJson = False) -> None:
    """Show an agency's planned inspections of the year with their report-back."""
    from models import iso

    with refusals() as session:
        rows = iso.agency_inspections(
            session=session, agency_code=agency, year=year, today=today_from(today)
        )
    if as_json:
        typer.echo(to_json(rows))
        return
    _table(rows)
