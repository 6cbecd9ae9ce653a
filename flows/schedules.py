"""The schedules, declared once; APScheduler runs them in-process, Prefect deployments on a server.

A job runs under APScheduler (`isocycle serve`) OR as a Prefect deployment (`isocycle deploy` + a
Prefect worker), never both, or every tick would run twice. In-process, the jobs are the plain
functions of flows/jobs.py: no Prefect API is started or waited for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from flows import jobs
from models import jobs as job_runs, lease
from models.reminders import WEEKDAYS, load_policy
from models.tables import utcnow

log = logging.getLogger(__name__)
# A tick delayed by up to this long (worker busy, machine asleep) still runs once when the
# scheduler is back; coalesce folds several missed ticks into that one run.
MISFIRE_GRACE_SECONDS = 12 * 3600
DOW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEASE_JOB = "scheduler-lease"


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

    def trigger(self, settings: Settings) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=settings.zone)


def schedules(settings: Settings) -> tuple[Schedule, ...]:
    """The four jobs, in the order a start-up runs them (the year is opened before reminding)."""
    weekday = load_policy(settings.reminder_policy_file).digest_weekday
    return (
        Schedule(
            jobs.OPEN_CYCLE,
            jobs.OPEN_CYCLE,
            "0 6 2 1 *",
            "Open the year's steps on 2 January",
            # Opening is idempotent and bulk, so running it at every start (for the current
            # year) costs little; without it a 2 January tick missed while down is lost for a year.
            catch_up_on_start=True,
        ),
        Schedule(
            jobs.SEND_REMINDERS,
            jobs.SEND_REMINDERS,
            "30 7 * * mon-fri",
            "Reminders on working days at 07:30",
            # Cron knows weekends; the pass itself skips public holidays (Tết, 30/4, 2/9 ...).
            (("skip_days_off", True),),
            catch_up_on_start=True,
        ),
        Schedule(
            jobs.DELIVER_OUTBOX,
            jobs.DELIVER_OUTBOX,
            "*/5 7-17 * * mon-fri",
            "Deliver due e-mails every 5 minutes in working hours",
            # Retries follow their backoff (10 minutes, 30, ...) instead of waiting for the next
            # day's pass, and a claim left by a killed process is taken over once it expires.
            (("skip_days_off", True),),
            catch_up_on_start=True,
        ),
        Schedule(
            jobs.OVERSEER_DIGEST,
            jobs.OVERSEER_DIGEST,
            f"0 8 * * {DOW[weekday]}",
            f"Overseer digest every {WEEKDAYS[weekday]} at 08:00",
            catch_up_on_start=True,
        ),
    )


def last_tick(schedule: Schedule, settings: Settings, before: datetime) -> datetime | None:
    """The latest time at or before `before` when the schedule fired (None: not in 400 days)."""
    trigger = schedule.trigger(settings)
    # Look back in widening windows, so a job every 5 minutes walks one day, not a year.
    for days in (1, 8, 400):
        found: datetime | None = None
        at: datetime | None = trigger.get_next_fire_time(None, before - timedelta(days=days))
        while at is not None and at <= before:
            found = at
            at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
        if found is not None:
            return found
    return None


class Scheduler:
    """The in-process scheduler of `isocycle serve`.

    - It runs jobs only while it holds the database lease; a process that does not hold it asks
      again every lease_ttl / 4, so it takes over within a lease period of the holder's death.
    - A failed job is recorded and tried again after 1, 2, 5, 10, 20, then every 30 minutes, not
      at the next day's tick.
    - `shutdown` stops a running pass between two e-mails and gives the lease back.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        holder: str,
        announce: Callable[[str], None] = log.info,
        retry_delay: Callable[[int], timedelta] = job_runs.retry_delay,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.holder = holder
        self.announce = announce
        self.retry_delay = retry_delay
        self.clock = clock
        self.ttl = timedelta(seconds=settings.scheduler_lease_seconds)
        self.stop = threading.Event()
        # Held while the lease is read or written: shutdown gives it back only after a look in
        # flight has finished, or that look would take it again for a process that has stopped.
        self._lease_lock = threading.Lock()
        self.active = False
        self._standby_told = False
        self._held_until: datetime | None = None
        # Set while no job runs: shutdown waits on it for a pass to stop between two e-mails.
        self._idle = threading.Event()
        self._idle.set()
        self._schedules = {s.job_id: s for s in schedules(settings)}
        # One worker thread for jobs: jobs due together run one after the other, never two
        # passes at once from this process. The lease has its own, so a long pass cannot let
        # the lease lapse.
        self._aps = BackgroundScheduler(
            timezone=settings.zone,
            executors={
                "default": ThreadPoolExecutor(max_workers=1),
                "lease": ThreadPoolExecutor(max_workers=1),
            },
        )

    def start(self) -> bool:
        """Start; return True if this process holds the lease and runs the jobs now."""
        self._aps.add_job(
            self.keep_lease,
            "interval",
            seconds=max(self.ttl.total_seconds() / 4, 0.5),
            id=LEASE_JOB,
            executor="lease",
            coalesce=True,
            max_instances=1,
            # A look that comes late (a loaded machine woke the thread seconds after it was
            # due) is still made: with APScheduler's 1 s default it was dropped, and a standby
            # waited a whole interval more to take over.
            misfire_grace_time=None,
        )
        self.keep_lease()
        self._aps.start()
        return self.active

    def keep_lease(self) -> None:
        """Take or renew the lease; start the jobs on winning it, pause them on losing it."""
        with self._lease_lock:
            if not self.stop.is_set():
                self._look()

    def _look(self) -> None:
        now = self.clock()
        try:
            with Session(self.engine) as session:
                won = lease.acquire(
                    session=session,
                    name=lease.SCHEDULER,
                    holder=self.holder,
                    now=now,
                    ttl=self.ttl,
                )
                current = None if won else lease.holder_of(session=session, name=lease.SCHEDULER)
        except Exception:
            log.exception("cannot reach the database to keep the scheduler lease")
            # Until our lease has surely expired nobody else can take it: keep running till then.
            if self.active and (self._held_until is None or now >= self._held_until):
                self._pause("the lease could not be renewed")
            return
        if won:
            self._held_until = now + self.ttl
            if not self.active and not self.stop.is_set():
                self._activate()
        else:
            if self.active:
                self._pause(f"the lease is held by {current}")
            elif not self._standby_told:
                self._standby_told = True
                self.announce(
                    f"Lịch nhắc việc đang chạy ở tiến trình khác ({current}); tiến trình này chờ "
                    "và sẽ nhận thay nếu tiến trình đó dừng (scheduler on standby)."
                )

    def _activate(self) -> None:
        started = datetime.now(self.settings.zone)
        for order, s in enumerate(self._schedules.values()):
            # Catch-ups run in declaration order on the one worker: the year is opened before
            # the reminder pass that reads its steps (a microsecond apart, so the order is
            # explicit).
            extra = (
                {"next_run_time": started + timedelta(microseconds=order)}
                if s.catch_up_on_start
                else {}
            )
            self._aps.add_job(
                self.run,
                s.trigger(self.settings),
                args=[s.job_id],
                id=s.job_id,
                name=s.description,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                **extra,
            )
        self.active = True
        self.announce(f"Tiến trình này chạy lịch nhắc việc (scheduler active: {self.holder}).")
        for job in self._aps.get_jobs():
            if job.id in self._schedules:
                self.announce(f"Lịch (job) {job.id}: {job.name}; next run {job.next_run_time}")

    def _pause(self, why: str) -> None:
        log.error("scheduler lease lost (%s); this process stops scheduling", why)
        for job in self._aps.get_jobs():
            if job.id != LEASE_JOB:
                job.remove()
        self.active = False

    def run(self, job_id: str, retry: bool = False) -> None:
        """Run one job now; on failure, record it and schedule a retry within minutes."""
        s = self._schedules[job_id]
        # Busy from the first check on: shutdown sets `stop` and then waits for idle, so a job
        # either sees the stop or is waited for, never runs after the lease was given back.
        self._idle.clear()
        try:
            if not self.active or self.stop.is_set() or not self._lease_is_ours(job_id):
                return
            try:
                result, _ = jobs.run_recorded(
                    s.flow_name,
                    self.settings,
                    runner=f"serve {self.holder}",
                    stop=self.stop,
                    **dict(s.parameters),
                )
            except Exception as exc:
                log.exception("job %s failed", job_id)
                self._schedule_retry(s, exc)
                return
        finally:
            self._idle.set()
        log.info("%s: %s", job_id, result)

    def _lease_is_ours(self, job_id: str) -> bool:
        """True if this process surely holds the lease now, looking again if it may have run out."""
        if self._held_now():
            return True
        # The lease thread was starved past the lease's end (a loaded machine), and another
        # process may hold it now: look here, and run the job only if the lease is still ours.
        self.keep_lease()
        if self.stop.is_set():
            return False
        if not (self.active and self._held_now()):
            log.error("job %s not run: cannot confirm this process holds the lease", job_id)
            return False
        return True

    def _held_now(self) -> bool:
        return self._held_until is not None and self.clock() < self._held_until

    def _schedule_retry(self, s: Schedule, exc: Exception) -> None:
        if self.stop.is_set():
            return
        try:
            with Session(self.engine) as session:
                failures = job_runs.failures_in_a_row(session=session, job=s.job_id)
                at = self.clock() + self.retry_delay(failures)
                regular = self._aps.get_job(s.job_id)
                if (
                    regular is not None
                    and regular.next_run_time is not None
                    and (regular.next_run_time <= at)
                ):
                    return  # the regular tick comes first and does the same work
                job_runs.set_retry(session=session, job=s.job_id, at=at)
        except Exception:
            # The database itself is failing: try again in a minute rather than never.
            log.exception("cannot record the retry of %s", s.job_id)
            at = self.clock() + self.retry_delay(1)
        self._aps.add_job(
            self.run,
            "date",
            run_date=at,
            args=[s.job_id, True],
            id=f"{s.job_id}:retry",
            name=f"Retry {s.job_id} after: {jobs.describe(exc)}",
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )

    def jobs(self) -> list[Any]:
        """The APScheduler jobs this process has now (none while on standby)."""
        return [job for job in self._aps.get_jobs() if job.id != LEASE_JOB]

    def shutdown(self, wait_seconds: float = 4.0) -> bool:
        """Stop: no new job starts, a running pass stops between two e-mails, the lease is
        given back. Returns False if a job was still running after `wait_seconds`."""
        self.stop.set()
        self._aps.shutdown(wait=False)
        finished = self._idle.wait(wait_seconds)
        with self._lease_lock:
            try:
                with Session(self.engine) as session:
                    lease.release(session=session, name=lease.SCHEDULER, holder=self.holder)
            except Exception:
                log.exception("cannot give the scheduler lease back; it expires by itself")
        return finished


# Where flows/reminders.py lives: a Prefect process worker runs the flows from here.
PROJECT_DIR = Path(__file__).resolve().parent.parent


def build_deployments(settings: Settings, work_pool: str) -> list[Any]:
    """Return one Prefect RunnerDeployment per schedule, with its cron in the local zone, for
    the process workers of `work_pool`, which run the flows in the project directory."""
    from prefect.schedules import Cron

    from flows.reminders import FLOWS

    deployments = []
    for s in schedules(settings):
        flow = FLOWS[s.flow_name]
        deployment = flow.to_deployment(
            name=s.job_id,
            description=s.description,
            schedules=[Cron(s.cron, timezone=settings.timezone)],
            # The database URL (with its password) comes from the worker's environment.
            parameters=dict(s.parameters),
            work_pool_name=work_pool,
            # A process worker starts each flow run in a new temporary directory unless told
            # otherwise; the entrypoint below is a file path relative to the project.
            job_variables={"working_dir": str(PROJECT_DIR)},
        )
        # Prefect derives the entrypoint from the current directory, so `isocycle deploy` run
        # elsewhere would register a path like ../../srv/isocycle/flows/...: pin it.
        deployment.entrypoint = f"flows/reminders.py:{flow.fn.__name__}"
        deployments.append(deployment)
    return deployments
