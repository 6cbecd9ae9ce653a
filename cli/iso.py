"""`isocycle audit|actions|review|objectives|events|history`: the ISO cycle in depth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    Year,
    actor,
    echo_table,
    fail,
    local_today,
    parse_day,
    session_scope,
    settings,
    to_json,
    vn_date,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from models import iso
    from models.calendar import RuleSet, WorkingCalendar

app = typer.Typer(no_args_is_help=True)
audit_app = typer.Typer(
    help="Internal audits and findings (đánh giá nội bộ).", no_args_is_help=True
)
actions_app = typer.Typer(help="Corrective actions (hành động khắc phục).", no_args_is_help=True)
review_app = typer.Typer(help="Management review (xem xét của lãnh đạo).", no_args_is_help=True)
objectives_app = typer.Typer(help="Quality objectives (mục tiêu chất lượng).", no_args_is_help=True)
events_app = typer.Typer(
    help="Legal, scope and leadership changes that start deadlines.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(actions_app, name="actions")
app.add_typer(review_app, name="review")
app.add_typer(objectives_app, name="objectives")
app.add_typer(events_app, name="events")

ACTION_STATUS = {
    "open": "đang thực hiện",
    "overdue": "quá hạn",
    "awaiting_verification": "chờ xác nhận hiệu quả",
    "closed": "đã đóng",
}
By = Annotated[str | None, typer.Option("--by", help="Who records it (default: the OS user).")]
Today = Annotated[str | None, typer.Option("--today", hidden=True)]
AsJson = Annotated[bool, typer.Option("--json")]


def _today(value: str | None) -> date:
    return parse_day(value, "--today") if value else local_today()


def _iso_rules() -> iso.IsoRules:
    from models import iso

    try:
        return iso.load_iso_rules(settings().iso_rules_file)
    except iso.IsoError as exc:
        fail(str(exc))


def _calendar() -> RuleSet:
    from models.calendar import CalendarError, load_rule_set

    try:
        return load_rule_set(settings().calendar_file)
    except CalendarError as exc:
        fail(str(exc))


def _working() -> WorkingCalendar:
    return _calendar().working


@contextmanager
def _refusals() -> Iterator[Session]:
    """A session whose IsoError becomes a clear CLI failure (exit 1, message on stderr)."""
    from models import iso

    with session_scope() as session:
        try:
            yield session
        except iso.IsoError as exc:
            session.rollback()
            fail(str(exc))


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# --- audit --------------------------------------------------------------------------------------


@audit_app.command("record")
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
    with _refusals() as session:
        rows = iso.findings_from_file(findings) if findings else []
        iso.record_audit(
            session=session,
            agency_code=agency,
            year=year,
            start_on=start_on,
            end_on=end_on,
            ref=ref,
            team=team,
            scope_units=_split(scope),
            findings=rows,
            actor=actor(by),
            today=_today(today),
            kind="inspection" if inspection else "internal",
        )
        counts = iso.severity_counts(
            session=session, agency_id=iso.get_agency(session, agency).id, year=year
        )
    typer.echo(f"{agency} {year}: audit recorded ({vn_date(end_on)}); " + _counts_text(counts))


@audit_app.command("finding")
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

    with _refusals() as session:
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

    return ", ".join(f"{iso.SEVERITY_LABELS[s]}: {counts[s]}" for s in iso.SEVERITIES)


@audit_app.command("show")
def audit_show(agency: str, year: Year, as_json: AsJson = False) -> None:
    """Show the year's audits, findings and counts by severity."""
    from models import iso

    with _refusals() as session:
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


# --- corrective actions -------------------------------------------------------------------------


@actions_app.command("add")
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
    rules, working = _iso_rules(), _working()
    with _refusals() as session:
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


@actions_app.command("done")
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
    with _refusals() as session:
        iso.complete_action(
            session=session,
            agency_code=agency,
            year=year,
            number=number,
            done_on=done_on,
            actor=actor(by),
            today=_today(today),
            ref=ref,
        )
    typer.echo(f"{agency} {year}: corrective action #{number} done on {vn_date(done_on)}")


@actions_app.command("verify")
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
    """Record the effectiveness check (xác nhận hiệu quả) of a done action."""
    from models import iso

    verified_on = parse_day(on, "--on")
    rules, working = _iso_rules(), _working()
    with _refusals() as session:
        action = iso.verify_action(
            session=session,
            agency_code=agency,
            year=year,
            number=number,
            verified_on=verified_on,
            verified_by=verifier,
            effective=effective,
            actor=actor(by),
            today=_today(today),
            rules=rules,
            working=working,
            new_due=parse_day(new_due, "--new-due") if new_due else None,
        )
        due = action.due
    typer.echo(
        f"{agency} {year}: corrective action #{number} "
        + ("verified effective" if effective else f"not effective; due again {vn_date(due)}")
    )


@actions_app.command("list")
def actions_list(agency: str, year: Year, today: Today = None, as_json: AsJson = False) -> None:
    """List the year's corrective actions with their status."""
    from models import iso

    with _refusals() as session:
        rows = iso.list_actions(session=session, agency_code=agency, year=year, today=_today(today))
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


# --- management review --------------------------------------------------------------------------


@review_app.command("record")
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
    with _refusals() as session:
        review = iso.record_review(
            session=session,
            agency_code=agency,
            year=year,
            held_on=held_on,
            minutes_ref=minutes,
            decisions=decisions,
            actor=actor(by),
            today=_today(today),
            override_reason=override_reason,
        )
        inputs = review.inputs
    typer.echo(f"{agency} {year}: management review of {vn_date(held_on)} recorded")
    typer.echo(to_json(inputs))


@review_app.command("show")
def review_show(agency: str, year: Year) -> None:
    """Show the year's management review with its inputs (JSON)."""
    from models import iso

    with _refusals() as session:
        review = iso.get_review(session=session, agency_code=agency, year=year)
        data = review.model_dump(exclude={"id", "agency_id"})
    typer.echo(to_json(data))


# --- quality objectives -------------------------------------------------------------------------


@objectives_app.command("decision")
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
    with _refusals() as session:
        iso.set_objective_decision(
            session=session,
            agency_code=agency,
            year=year,
            ref=ref,
            issued_on=issued_on,
            actor=actor(by),
            today=_today(today),
        )
    typer.echo(f"{agency} {year}: objectives issued by {ref} of {vn_date(issued_on)}")


@objectives_app.command("add")
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

    with _refusals() as session:
        numbers = iso.add_objectives(
            session=session,
            agency_code=agency,
            year=year,
            objectives=[iso.ObjectiveIn(indicator, comparison, target, unit)],
            actor=actor(by),
            today=_today(today),
        )
    typer.echo(f"{agency} {year}: objective #{numbers[0]} added")


@objectives_app.command("import")
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
    with _refusals() as session:
        numbers = iso.add_objectives(
            session=session,
            agency_code=agency,
            year=year,
            objectives=iso.objectives_from_file(file),
            actor=actor(by),
            today=_today(today),
            results_on=on,
        )
    typer.echo(f"{agency} {year}: {len(numbers)} objectives added from {file.name}")


@objectives_app.command("results")
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
    with _refusals() as session:
        values = (iso.parse_value(mid, "--mid"), iso.parse_value(final, "--final"))
        rows = iso.record_results(
            session=session,
            agency_code=agency,
            year=year,
            values={number: values},
            actor=actor(by),
            today=_today(today),
            results_on=on,
        )
    _echo_objectives(rows)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("đạt" if value else "không đạt")


def _echo_objectives(rows: list[dict[str, Any]]) -> None:
    echo_table(
        ["#", "Chỉ tiêu", "Mục tiêu", "Giữa năm", "Cuối năm", "Kết quả"],
        [
            (
                r["number"],
                r["indicator"][:50],
                f"{r['comparison']} {r['target']:g} {r['unit']}".rstrip(),
                "" if r["mid_value"] is None else f"{r['mid_value']:g}",
                "" if r["final_value"] is None else f"{r['final_value']:g}",
                _yes_no(r["achieved"]),
            )
            for r in rows
        ],
    )


@objectives_app.command("list")
def objectives_list(agency: str, year: Year, as_json: AsJson = False) -> None:
    """List the year's objectives with "achieved" computed."""
    from models import iso

    with _refusals() as session:
        rows = iso.list_objectives(session=session, agency_code=agency, year=year)
    if as_json:
        typer.echo(to_json(rows))
        return
    _echo_objectives(rows)


# --- events -------------------------------------------------------------------------------------


@events_app.command("add")
def events_add(
    kind: Annotated[str, typer.Argument(help="legal_change, scope_change or leadership_change.")],
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
    rules, working = _iso_rules(), _working()
    with _refusals() as session:
        codes = _split(agencies)
        if all_agencies:
            # Only kinds that hold their own QMS (the calendar's kinds) get the step.
            kinds = {kind for rule in _calendar().steps for kind in rule.kinds}
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


@events_app.command("list")
def events_list(
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100)] = None,
    as_json: AsJson = False,
) -> None:
    """List events with the number of affected agencies and of steps still open."""
    from models import iso

    with _refusals() as session:
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

    with _refusals() as session:
        found = iso.get_agency(session, agency)
        entries = list(history_rows(session=session, agency_id=found.id, year=year))
        names = history_text.history_names(session, entries)
    if as_json:
        keys = ("at", "actor", "year", "entity", "entity_id", "action", "old", "new")
        typer.echo(to_json([{k: getattr(h, k) for k in keys} for h in entries]))
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
