"""The schedules, declared once; APScheduler runs them in-process, Prefect deployments on a server.

A job runs under APScheduler (`isocycle serve`, later the web app) OR as a Prefect deployment
(`isocycle deploy` + a Prefect worker), never both, or every tick would run twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from config.settings import Settings
from models.reminders import WEEKDAYS, load_policy

log = logging.getLogger(__name__)
# A tick delayed by up to this long (worker busy, machine asleep) still runs once when the
# scheduler is back; coalesce folds several missed ticks into that one run.
MISFIRE_GRACE_SECONDS = 12 * 3600
DOW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    """One scheduled job: which flow, and when (a 5-field cron in the local zone)."""

    job_id: str
    flow_name: str
    cron: str
    description: str
    parameters: tuple[tuple[str, Any], ...] = ()
    # Run once as soon as the scheduler starts: a tick missed while the process was down is
    # caught up at once rather than the next day (the passes are idempotent).
    catch_up_on_start: bool = False


def schedules(settings: Settings) -> tuple[Schedule, ...]:
    """The three jobs. send_reminders runs Monday to Friday; the pass itself works out holidays."""
    weekday = load_policy(settings.reminder_policy_file).digest_weekday
    return (
        Schedule(
            "open-cycle",
            "open-cycle",
            "0 6 2 1 *",
            "Open the year's steps on 2 January",
            # Opening is idempotent and bulk, so running it at every start (for the current
            # year) costs little; without it a 2 January tick missed while down is lost for a year.
            catch_up_on_start=True,
        ),
        Schedule(
            "send-reminders",
            "send-reminders",
            "30 7 * * mon-fri",
            "Reminders on working days at 07:30",
            # Cron knows weekends; the pass itself skips public holidays (Tết, 30/4, 2/9 ...).
            (("skip_days_off", True),),
            catch_up_on_start=True,
        ),
        Schedule(
            "overseer-digest",
            "overseer-digest",
            f"0 8 * * {DOW[weekday]}",
            f"Overseer digest every {WEEKDAYS[weekday]} at 08:00",
            catch_up_on_start=True,
        ),
    )


def _flows() -> dict[str, Any]:
    # Imported here: importing prefect costs seconds and `isocycle --help` should not pay it.
    from flows import reminders

    return {
        "open-cycle": reminders.open_cycle,
        "send-reminders": reminders.send_reminders,
        "overseer-digest": reminders.overseer_digest,
    }


def run_job(flow_name: str, database_url: str | None, parameters: dict[str, Any]) -> None:
    """Run one flow by name (a module-level function, so APScheduler can reference it)."""
    result = _flows()[flow_name](database_url=database_url, **parameters)
    log.info("%s: %s", flow_name, result)


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    """Return the in-process scheduler with every job registered, not started.

    Exactly one scheduler may run per database: explicit job ids with replace_existing,
    coalesce and max_instances=1 make a re-registration or a slow run harmless. Every job also
    runs once at start, so a tick missed while the process was down is not lost (APScheduler
    keeps jobs in memory and cannot know what it missed while not running).
    """
    # One worker thread: jobs due together run one after the other, never two passes at once
    # from this process (and Prefect's temporary API server is started once, not raced).
    scheduler = BackgroundScheduler(
        timezone=settings.zone, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    started = datetime.now(settings.zone)
    for order, s in enumerate(schedules(settings)):
        # Catch-ups run in declaration order on the one worker: the year is opened before the
        # reminder pass that reads its steps (a microsecond apart, so the order is explicit).
        at_start = started + timedelta(microseconds=order)
        extra = {"next_run_time": at_start} if s.catch_up_on_start else {}
        scheduler.add_job(
            run_job,
            CronTrigger.from_crontab(s.cron, timezone=settings.zone),
            args=[s.flow_name, settings.database_url, dict(s.parameters)],
            id=s.job_id,
            name=s.description,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            **extra,
        )
    return scheduler


def build_deployments(settings: Settings) -> list[Any]:
    """Return one Prefect RunnerDeployment per schedule, with its cron in the local zone."""
    from prefect.schedules import Cron

    flows = _flows()
    return [
        flows[s.flow_name].to_deployment(
            name=s.job_id,
            description=s.description,
            schedules=[Cron(s.cron, timezone=settings.timezone)],
            # The database URL (with its password) comes from the worker's environment.
            parameters=dict(s.parameters),
        )
        for s in schedules(settings)
    ]
