"""Reminder commands: `remind`, `outbox`, `serve`, `deploy`."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import echo_table, engine, ensure_schema, fail, session_scope, settings, to_json
from cli.serve import warn_local_links

if TYPE_CHECKING:
    from config.settings import Settings

app = typer.Typer(no_args_is_help=True)


def _check_now(now: str | None) -> str | None:
    if now is None:
        return None
    try:
        datetime.fromisoformat(now)
    except ValueError:
        fail(f"--now: {now!r} is not a date and time like 2026-10-27T07:30")
    return now


def run_job(job: str, cfg: Settings, now: str | None) -> dict[str, Any]:
    """Run a job once: on the Prefect server when PREFECT_API_URL is set, else in this process.

    The embedded mode never imports Prefect, so it never waits for a temporary Prefect API.
    """
    if os.environ.get("PREFECT_API_URL"):
        from config.settings import get_settings
        from flows.reminders import FLOWS

        # Through the environment, not as a flow parameter: parameters are stored and shown by
        # the Prefect server, and the URL may hold the database password.
        os.environ["ISOCYCLE_DATABASE_URL"] = cfg.database_url
        get_settings.cache_clear()
        result: dict[str, Any] = FLOWS[job](now=now)
        return result
    from flows import jobs

    result, _ = jobs.run_recorded(
        job, cfg, runner=f"cli {os.getpid()}", now=jobs.parse_now(now, cfg)
    )
    return result


def delivered(counts: dict[str, Any], cfg: Settings) -> str:
    """How many mails left, in words that never call a file written to the outbox folder "sent".

    The counts say how each mail went (a Prefect worker may have other settings than this
    command); with none of either, this command's own settings decide which is reported.
    """
    sent, written = counts.get("sent", 0), counts.get("written", 0)
    parts = []
    if sent or cfg.emails_enabled:
        parts.append(f"sent: {sent}")
    if written or not cfg.emails_enabled:
        parts.append(f"written to files in {Path(cfg.mail_outbox_dir).resolve()}: {written}")
    return "; ".join(parts)


@app.command()
def remind(
    now: Annotated[
        str | None,
        typer.Option("--now", help="Run as if it were this local time (YYYY-MM-DDTHH:MM)."),
    ] = None,
) -> None:
    """Run one reminder pass (the send-reminders flow): decide, queue and send."""
    from models.reminders import PolicyError, load_policy

    when = _check_now(now)
    cfg = settings()
    try:
        load_policy(cfg.reminder_policy_file)
    except PolicyError as exc:
        fail(str(exc))
    eng = engine()
    ensure_schema(eng)
    eng.dispose()
    warn_local_links(cfg)
    counts = run_job("send-reminders", cfg, when)
    typer.echo(
        f"Reminders decided: {counts['decided']} (in {counts['queued']} e-mails); "
        f"{delivered(counts, cfg)}; left to retry: {counts['waiting_retry']}; "
        f"failed: {counts['failed']}"
        + (f"; cancelled (steps closed): {counts['cancelled']}" if counts["cancelled"] else "")
    )
    if counts["no_recipient"]:
        typer.echo(
            f"Warning: {counts['no_recipient']} step(s) due for a reminder have no e-mail "
            "address at all; see `isocycle agencies list`",
            err=True,
        )


@app.command()
def digest(
    now: Annotated[str | None, typer.Option("--now", help="Local time YYYY-MM-DDTHH:MM.")] = None,
) -> None:
    """Queue and send this week's overseer digest (once per week)."""
    when = _check_now(now)
    cfg = settings()
    eng = engine()
    ensure_schema(eng)
    eng.dispose()
    warn_local_links(cfg)
    try:
        counts = run_job("overseer-digest", cfg, when)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(
        f"Digest queued: {counts['queued']}; {delivered(counts, cfg)}; "
        f"retry: {counts['retry']}; failed: {counts['failed']}"
    )


@app.command()
def deliver(
    now: Annotated[str | None, typer.Option("--now", help="Local time YYYY-MM-DDTHH:MM.")] = None,
) -> None:
    """Send the e-mails that are due now: retries after their backoff, and expired claims."""
    when = _check_now(now)
    cfg = settings()
    eng = engine()
    ensure_schema(eng)
    eng.dispose()
    warn_local_links(cfg)
    counts = run_job("deliver-outbox", cfg, when)
    done = delivered(counts, cfg)
    typer.echo(
        f"{done[:1].upper()}{done[1:]}; left to retry: {counts['waiting_retry']}; "
        f"failed: {counts['failed']}"
    )


@app.command()
def outbox(
    failed: Annotated[bool, typer.Option("--failed", help="Only deliveries that failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 200,
) -> None:
    """List e-mail deliveries (newest first) with status, attempts and the last error."""
    from models.reminders import outbox_counts, outbox_rows

    with session_scope() as session:
        rows = outbox_rows(session=session, failed_only=failed, limit=limit)
        counts = outbox_counts(session=session)
    if as_json:
        keys = (
            "id",
            "kind",
            "to_addr",
            "cc",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "transport",
            "created_at",
            "items",
        )
        typer.echo(to_json([{k: r[k] for k in keys} for r in rows]))
        return
    echo_table(
        ["Người nhận", "Loại", "Trạng thái", "Lần gửi", "Việc", "Tạo lúc (UTC)", "Lỗi cuối"],
        [
            (
                r["to_addr"],
                r["kind"],
                "written to file" if r["transport"] == "file" else r["status"],
                r["attempts"],
                r["items"],
                r["created_at"].strftime("%Y-%m-%d %H:%M"),
                (r["last_error"] or "")[:80],
            )
            for r in rows
        ],
    )
    typer.echo("\n" + ", ".join(f"{k}: {v}" for k, v in counts.items()))


def _ensure_process_pool(name: str) -> None:
    """Create the process work pool `name` unless it exists; refuse a pool of another type."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            try:
                client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type=ProcessWorker.type,
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )
            except ObjectAlreadyExists:
                return  # created meanwhile by another deploy
            typer.echo(f"Created the process work pool {name!r}.")
            return
    if pool.type != ProcessWorker.type:
        fail(
            f"work pool {name!r} is of type {pool.type!r}; the flows need a process pool: "
            "choose another --work-pool name"
        )


@app.command()
def deploy(
    work_pool: Annotated[
        str,
        typer.Option(
            "--work-pool",
            help="The Prefect process work pool the flows run in (created if missing); "
            "run `prefect worker start --pool NAME` with the ISOCYCLE_ environment to run them.",
        ),
    ] = "isocycle",
) -> None:
    """Register the schedules as Prefect deployments on the Prefect server at PREFECT_API_URL.

    Run either this or `isocycle serve`'s scheduler, never both.
    """
    from prefect.settings import PREFECT_API_URL

    # Without a server Prefect would register them on a temporary one that vanishes on exit.
    if not PREFECT_API_URL.value():
        fail(
            "deploy needs a Prefect server: set PREFECT_API_URL, e.g. "
            "http://127.0.0.1:4200/api (see README, Scale out)"
        )
    from flows.schedules import build_deployments

    _ensure_process_pool(work_pool)
    for d in build_deployments(settings(), work_pool=work_pool):
        deployment_id = d.apply()
        typer.echo(f"{d.flow_name}/{d.name}: {d.schedules[0].schedule.cron} ({deployment_id})")
    typer.echo(
        f"Start a worker where isocycle is installed, with its ISOCYCLE_ settings "
        f"(database, SMTP): prefect worker start --pool {work_pool}"
    )
