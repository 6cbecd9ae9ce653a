"""The scheduled jobs as plain functions: settings and an instant in, counts out, runs recorded.

These never import Prefect. `isocycle serve` and `isocycle remind` call them directly (the
embedded mode), and the Prefect flows in flows/reminders.py wrap them for a Prefect server and
worker. Either way every run leaves a `JobRun` row, which /healthz and the reminder log read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from models import jobs as job_runs
from models.calendar import load_rule_set
from models.cycles import open_cycle as open_cycle_rule, rules_for_year
from models.db import make_engine
from models.reminders import RETRY, load_policy, outbox_counts
from models.tables import AGENCY, utcnow
from notifications.outbox import deliver_pending, digest_pass, reminder_pass

OPEN_CYCLE = "open-cycle"
SEND_REMINDERS = "send-reminders"
DELIVER_OUTBOX = "deliver-outbox"
OVERSEER_DIGEST = "overseer-digest"


def parse_now(now: str | None, settings: Settings) -> datetime | None:
    """The instant a run works for: the given ISO time (local zone if naive); None: the clock."""
    if not now:
        return None
    value = datetime.fromisoformat(now)
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.zone)
    return value.astimezone(UTC)


def _day_off(settings: Settings, now: datetime) -> bool:
    rules = load_rule_set(settings.calendar_file)
    return not rules.working.is_working_day(now.astimezone(settings.zone).date())


def open_cycle(
    engine: Engine, settings: Settings, *, now: datetime, year: int | None = None
) -> dict[str, Any]:
    """Open the year's steps for every agency (the local year of `now` unless given)."""
    year = year or now.astimezone(settings.zone).year
    with Session(engine) as session:
        rules = rules_for_year(
            session=session, year=year, default=load_rule_set(settings.calendar_file)
        )
        result = open_cycle_rule(session=session, year=year, rules=rules, actor="flow:open-cycle")
    return {"year": year, "created": result.created, "updated": result.updated}


def send_reminders(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    skip_days_off: bool = False,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Decide today's reminders and deliver every due e-mail, in one batched pass.

    With skip_days_off (the scheduled run) nothing is sent on a public holiday; the next working
    day's pass catches up with the current stage.
    """
    if skip_days_off and _day_off(settings, now):
        return {"skipped_day_off": 1}
    with Session(engine) as session:
        result = reminder_pass(
            session=session,
            settings=settings,
            policy=load_policy(settings.reminder_policy_file),
            working=load_rule_set(settings.calendar_file).working,
            now=now,
            stop=stop,
        )
    return result.counts()


def deliver_outbox(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    skip_days_off: bool = False,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Send every delivery that is due: retries after their backoff, and claims that expired."""
    if skip_days_off and _day_off(settings, now):
        return {"skipped_day_off": 1}
    with Session(engine) as session:
        done = deliver_pending(
            session=session,
            settings=settings,
            policy=load_policy(settings.reminder_policy_file),
            now=now,
            stop=stop,
        )
        waiting = outbox_counts(session=session)[RETRY]
    return {
        "sent": done.sent,
        "written": done.written,
        "retry": done.retry,
        "failed": done.failed,
        "cancelled": done.cancelled,
        "waiting_retry": waiting,
    }


def overseer_digest(engine: Engine, settings: Settings, *, now: datetime) -> dict[str, Any]:
    """Queue and send this week's digest of overdue steps to the overseer (Sở KH&CN).

    A database with no agency yet (a fresh install) has nobody to report on or to: nothing to
    do. Once agencies exist, a missing overseer is a configuration error and fails the run.
    """
    with Session(engine) as session:
        if session.execute(select(AGENCY.c.id).limit(1)).first() is None:
            return {"skipped_no_agencies": 1}
        return digest_pass(
            session=session,
            settings=settings,
            policy=load_policy(settings.reminder_policy_file),
            now=now,
        )


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    OPEN_CYCLE: open_cycle,
    SEND_REMINDERS: send_reminders,
    DELIVER_OUTBOX: deliver_outbox,
    OVERSEER_DIGEST: overseer_digest,
}
# The jobs that stop between two e-mails when the process is asked to stop.
STOPPABLE = {SEND_REMINDERS, DELIVER_OUTBOX}


def describe(exc: BaseException) -> str:
    """One line for the run's record: the kind of error and its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def run_recorded(
    job: str,
    settings: Settings,
    *,
    runner: str,
    now: datetime | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
    **params: Any,
) -> tuple[dict[str, Any], Any]:
    """Run one job and record it as a JobRun; return (its counts, the run id).

    `now` is the instant the job works for (the clock if None); `clock` times the record. An
    exception is recorded as a failed run and raised again, so the caller can retry.
    """
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            run_id = job_runs.start_run(session=session, job=job, runner=runner, now=clock())
        if job in STOPPABLE:
            params["stop"] = stop
        try:
            result = JOBS[job](engine, settings, now=now or clock(), **params)
        except Exception as exc:
            with Session(engine) as session:
                job_runs.finish_run(
                    session=session, run_id=run_id, now=clock(), error=describe(exc)
                )
            raise
        with Session(engine) as session:
            job_runs.finish_run(session=session, run_id=run_id, now=clock(), result=result)
        return result, run_id
    finally:
        engine.dispose()
