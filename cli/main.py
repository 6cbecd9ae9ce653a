"""Entry point: `isocycle [--db URL] COMMAND`.

Commands import the models inside their bodies: `isocycle --help` and a command that needs no
database then start without loading SQLAlchemy, and none loads what only another one uses.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli import documents as documents_cli, iso as iso_cli
from cli.common import (
    STATE,
    Year,
    actor,
    echo_table,
    engine,
    fail,
    local_today,
    parse_day,
    schema_refusal,
    session_scope,
    settings,
    shown_url,
    to_json,
    vn_date,
    vn_number,
)
from cli.ops import register as register_ops
from cli.reminders import app as reminders_app
from cli.serve import serve as serve_command
from cli.web import register as register_web

if TYPE_CHECKING:
    from sqlmodel import Session

    from models.calendar import RuleSet
    from models.tables import Step

app = typer.Typer(
    help="isocycle: the yearly TCVN ISO 9001 cycle of a province's agencies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help and errors: formatting them with rich would import it, a third of `--help`.
    rich_markup_mode=None,
)
agencies_app = typer.Typer(help="Agencies (cơ quan, đơn vị).", no_args_is_help=True)
cycle_app = typer.Typer(help="Yearly cycles (chu kỳ năm).", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
app.add_typer(cycle_app, name="cycle")
app.add_typer(iso_cli.app)  # audit, actions, review, objectives, events, history
app.add_typer(documents_cli.register(), name="report")
register_web(app)
app.add_typer(reminders_app)
app.command("serve")(serve_command)
register_ops(app)

STATUS_LABELS = {
    "pending": "chưa đến hạn",
    "overdue": "quá hạn",
    "done": "đã hoàn thành",
    "waived": "không áp dụng",
}


@app.callback()
def main_options(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (else ISOCYCLE_DATABASE_URL).")
    ] = None,
) -> None:
    STATE.db_url = db


def rules(calendar: Path | None = None) -> RuleSet:
    from models.calendar import CalendarError, load_rule_set

    try:
        return load_rule_set(settings().calendar_file, [calendar] if calendar else [])
    except CalendarError as exc:
        fail(str(exc))


@app.command()
def init(
    new_secret_key: Annotated[
        bool,
        typer.Option(
            "--new-secret-key",
            help="Replace the secret key in ./.env: every session, one-click link and iCal "
            "address made with the old one stops working.",
        ),
    ] = False,
) -> None:
    """Create or migrate the database schema, and give the instance a random secret key in
    ./.env unless it has one (safe to run again)."""
    from cli.secret_key import ensure_secret_key
    from models.db import migrate

    # The key first: outside development the settings refuse to load without a strong one.
    ensure_secret_key(rotate=new_secret_key)
    eng = engine()
    try:
        refusal = schema_refusal(eng, for_init=True)
        if refusal:
            fail(refusal)
        migrate(eng)
        typer.echo(f"Database ready: {shown_url(eng)}")
    finally:
        eng.dispose()


@agencies_app.command("import")
def agencies_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import agencies from CSV or XLSX, all or nothing; re-importing updates by code."""
    from models import agencies as agency_rules
    from models.agencies import ImportFailed

    with session_scope() as session:
        try:
            result = agency_rules.import_agencies(session=session, path=file, actor=actor(None))
        except ImportFailed as exc:
            for problem in exc.problems:
                typer.echo(f"{file.name}: {problem}", err=True)
            fail(f"{len(exc.problems)} problem(s) in {file.name}; nothing was written")
    typer.echo(
        f"Imported {file.name}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )


@agencies_app.command("list")
def agencies_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List agencies."""
    from models import agencies as agency_rules

    with session_scope() as session:
        rows = agency_rules.list_agencies(session=session)
    if as_json:
        keys = (
            "code",
            "name",
            "kind",
            "parent_code",
            "active",
            "secretary_name",
            "secretary_email",
            "head_name",
            "head_email",
            "valid_from",
            "valid_to",
            "abbreviation",
        )
        typer.echo(to_json([{k: r[k] for k in keys} for r in rows]))
        return
    echo_table(
        ["Mã", "Tên đơn vị", "Loại", "Cấp trên", "Hoạt động"],
        [
            (
                r["code"],
                r["name"],
                r["kind"],
                r["parent_code"] or "",
                "có" if r["active"] else "không",
            )
            for r in rows
        ],
    )


@cycle_app.command("open")
def cycle_open(
    year: Year,
    calendar: Annotated[
        Path | None, typer.Option("--calendar", help="TOML overriding the default calendar.")
    ] = None,
) -> None:
    """Create the year's steps for every agency (idempotent; follows calendar changes).

    Without --calendar, a year already opened keeps the calendar it was opened with.
    """
    from models import cycles

    with session_scope() as session:
        rule_set = (
            rules(calendar)
            if calendar
            else cycles.rules_for_year(session=session, year=year, default=rules())
        )
        result = cycles.open_cycle(session=session, year=year, rules=rule_set, actor=actor(None))
    typer.echo(
        f"Cycle {year} ({rule_set.name} {rule_set.version}): {result.created} steps created, "
        f"{result.updated} updated, {result.unchanged} unchanged, "
        f"{result.skipped_touched} already worked on and left alone"
    )
    listed = result.changes[:50]  # `changes` holds only the first ones; `updated` counts all
    for change in listed:
        typer.echo(
            f"  {change['agency']} {change['step']}: {change['old_due']} -> {change['new_due']}"
        )
    if result.updated > len(listed):
        typer.echo(f"  ... and {result.updated - len(listed)} more")
    if result.waived:
        typer.echo(
            f"{result.waived} untouched step(s) waived: the agency lacks the step they require "
            "(see each agency's history)"
        )


# The STEP argument of `done` and `waive`; a wrong key lists the right ones (_step_or_fail).
StepKey = Annotated[
    str, typer.Argument(help="Step key, e.g. plan or internal_audit; a wrong key lists them.")
]


def _step_or_fail(session: Session, agency: str, year: int, key: str) -> Step:
    """The step to mark by hand, or exit naming the keys the agency has that year."""
    from sqlalchemy import select

    from models import cycles
    from models.tables import AGENCY, STEP

    try:
        return cycles.find_step(session=session, agency_code=agency, year=year, key=key)
    except cycles.StepError as exc:
        # Steps that follow a corrective action are recorded with `isocycle actions`: not listed.
        valid = session.execute(
            select(STEP.c.key, STEP.c.title)
            .join(AGENCY, AGENCY.c.id == STEP.c.agency_id)
            .where(
                AGENCY.c.code == agency,
                STEP.c.year == year,
                STEP.c.step_type.not_in(cycles.MANAGED_STEP_TYPES),
            )
            .order_by(STEP.c.due, STEP.c.key)
        ).all()
        if not valid:
            fail(str(exc))  # an unknown agency, or a year not opened
        width = max(len(k) for k, _ in valid)
        fail(
            f"unknown step {key!r} for {agency} in {year}; its steps (các bước) are:\n"
            + "\n".join(f"  {k.ljust(width)}  {title}" for k, title in valid)
        )


@app.command()
def done(
    agency: str,
    year: Year,
    step: StepKey,
    on: Annotated[
        str, typer.Option("--on", help="Date of completion / of the document (YYYY-MM-DD).")
    ],
    ref: Annotated[str, typer.Option("--ref", help="Document number, e.g. 46/KH-SNgV.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who records it (default: the OS user).")
    ] = None,
    today: Annotated[str | None, typer.Option("--today", hidden=True)] = None,
) -> None:
    """Mark a step done with its evidence (document number and date)."""
    from models import cycles

    done_on = parse_day(on, "--on")
    current = parse_day(today, "--today") if today else local_today()
    with session_scope() as session:
        try:
            target = _step_or_fail(session, agency, year, step)
            changed = cycles.mark_done(
                session=session,
                step=target,
                done_on=done_on,
                ref=ref,
                note=note,
                actor=actor(by),
                today=current,
            )
        except cycles.StepError as exc:
            fail(str(exc))
    typer.echo(
        f"{agency} {year} {step}: "
        + ("recorded as done" if changed else "already recorded, nothing changed")
    )


@app.command()
def waive(
    agency: str,
    year: Year,
    step: StepKey,
    reason: Annotated[str, typer.Option("--reason")],
    by: Annotated[str | None, typer.Option("--by")] = None,
) -> None:
    """Mark a step as not applicable to this agency this year."""
    from models import cycles

    with session_scope() as session:
        try:
            target = _step_or_fail(session, agency, year, step)
            changed = cycles.waive(session=session, step=target, reason=reason, actor=actor(by))
        except cycles.StepError as exc:
            fail(str(exc))
    typer.echo(
        f"{agency} {year} {step}: " + ("waived" if changed else "already waived, nothing changed")
    )


def _status_rows(
    year: int, agency: str | None, today: str | None
) -> tuple[list[dict[str, Any]], str]:
    """The year's step rows, and the overdue figure counted as the dashboard and digest do."""
    from models import agencies as agency_rules, cycles
    from models.overdue import count_by_year, overdue_steps

    current = parse_day(today, "--today") if today else local_today()
    with session_scope() as session:
        ids = None
        if agency:
            found = agency_rules.get_agency(session=session, code=agency)
            if found is None:
                fail(f"--agency: unknown agency {agency!r}")
            ids = list(agency_rules.iter_subtree_ids(session=session, root_id=found.id))
        rows = cycles.status_rows(session=session, year=year, today=current, agency_ids=ids)
        late = overdue_steps(session=session, today=current, years=[year])
    shown = {r["agency"] for r in rows}
    (count,) = count_by_year(((s.year, s.code) for s in late if s.code in shown), [year])
    summary = (
        f"Năm {year}, tính đến {vn_date(current)}: {vn_number(count.agencies)} đơn vị có "
        f"{vn_number(count.steps)} việc "
        "quá hạn (đơn vị đang hoạt động; cách tính như trang Tổng hợp và thư tổng hợp tuần)"
    )
    return rows, summary


@app.command()
def status(
    year: Year,
    agency: Annotated[
        str | None, typer.Option("--agency", help="An agency code: it and its units.")
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="Compute overdue as of this date.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show every step of a year: due dates, status, evidence, days overdue or late."""
    rows, summary = _status_rows(year, agency, today)
    if as_json:
        keys = (
            "agency",
            "agency_name",
            "step",
            "title",
            "nominal_due",
            "due",
            "status",
            "done_on",
            "ref",
            "days_overdue",
            "days_late",
        )
        typer.echo(to_json([{k: r[k] for k in keys} for r in rows]))
        return
    echo_status(rows)
    typer.echo(summary)


def shorten(text: str, width: int) -> str:
    """The text, or as many whole words of it as fit in `width` characters followed by "…"."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if text[width - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # drop the word that was cut
    return cut.rstrip(" ,;:-–") + "…"


def echo_status(rows: list[dict[str, Any]]) -> None:
    echo_table(
        ["Mã", "Đơn vị", "Bước", "Hạn", "Trạng thái", "Ngày xong", "Số văn bản", "Trễ (ngày)"],
        [
            (
                r["agency"],
                shorten(r["agency_name"], 40),
                shorten(r["title"], 40),
                vn_date(r["due"]),
                STATUS_LABELS[r["status"]],
                vn_date(r["done_on"]),
                r["ref"] or "",
                r["days_overdue"] or r["days_late"] or "",
            )
            for r in rows
        ],
    )
    counts = Counter(r["status"] for r in rows)
    typer.echo(
        "\n"
        + ", ".join(f"{STATUS_LABELS[s]}: {vn_number(counts.get(s, 0))}" for s in STATUS_LABELS)
    )


@app.command()
def demo(
    today: Annotated[
        str | None, typer.Option("--today", help="Pretend today is this date.")
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then run the site and the scheduler (isocycle serve).")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Load a realistic Hà Tĩnh province, open this year's cycle, show its status and accounts.

    Only into a new or empty database, or one the demo made: it refuses any other, unchanged.
    """
    from models.db import migrate
    from models.demo import NotADemoDatabase, load_demo, refusal_message, tables_with_foreign_data
    from models.users import create_demo_users

    current = parse_day(today, "--today") if today else local_today()
    eng = engine()
    try:
        # Both checks only read: a database that is not the demo's is left exactly as it was.
        with eng.connect() as conn:
            foreign = tables_with_foreign_data(conn)
        if foreign:
            fail(f"{shown_url(eng)}: {refusal_message(foreign)}")
        refusal = schema_refusal(eng, for_init=True)
        if refusal:
            fail(refusal)
        migrate(eng)
    finally:
        eng.dispose()
    with session_scope() as session:
        try:
            counts = load_demo(session=session, rules=rules(), today=current)
        except NotADemoDatabase as exc:  # data arrived between the check and now
            fail(str(exc))
        accounts = create_demo_users(session=session)
    typer.echo(f"Demo loaded: {counts}")
    rows, _ = _status_rows(current.year, None, current.isoformat())
    overdue = [r for r in rows if r["status"] == "overdue"]
    typer.echo(
        f"\nCác bước quá hạn năm {current.year} (overdue steps), tính đến {vn_date(current)}:\n"
    )
    echo_status(overdue[:40])
    if len(overdue) > 40:
        typer.echo(
            f"... và {len(overdue) - 40} bước khác. Xem tất cả: isocycle status {current.year}"
        )
    typer.echo("\nTài khoản thử (demo accounts), mật khẩu (password) / vai trò (role) / đơn vị:")
    for username, password, role, code in accounts:
        typer.echo(f"  {username:<16} {password}  {role:<10} {code or ''}")
    if serve:
        from config.settings import weak_secret

        if weak_secret(settings().secret_key.get_secret_value()):
            # No key of its own (`isocycle init` was not run here): one for this run only, so
            # the demo site is as hard to forge into as a real one; its sessions end with it.
            import secrets

            STATE.secret_key = secrets.token_urlsafe(48)
            typer.echo(
                "\nChưa có khoá bí mật (isocycle init): dùng một khoá ngẫu nhiên cho lần chạy "
                "thử này; thoát ra là các phiên đăng nhập hết hiệu lực."
            )
        serve_command(host=host, port=port)


def main() -> None:
    app()
