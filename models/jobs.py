"""Scheduled job runs: one row per run of a job, what it did or why it failed, and health rules.

Every run of a scheduled job (open-cycle, send-reminders, deliver-outbox, overseer-digest) writes
a `JobRun` row when it starts and completes it when it ends, whether it ran in `isocycle serve`
or on a Prefect worker. `/healthz` and the reminder log read these rows, so a failing job is seen
by people, not only written to a log file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, insert, select, update
from sqlmodel import Column, Field, Session, SQLModel

from models.tables import instant, table_of

RUNNING = "running"
OK = "ok"
FAILED = "failed"
# A job that has had no successful run for this long after a scheduled tick is unhealthy.
STALE_AFTER = timedelta(days=1)
# The waits before retrying a failed job, in minutes; the last one repeats until the next tick.
RETRY_MINUTES = (1, 2, 5, 10, 20, 30)


# One run of one scheduled job.
class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job: str = Field(max_length=50)
    # Where it ran: "serve host:pid" or "prefect <flow run id>".
    runner: str = Field(max_length=200)
    started_at: datetime = instant()
    finished_at: datetime | None = instant(default=None)
    status: str = Field(default=RUNNING, max_length=16)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, max_length=2000)
    # When the scheduler will try again after a failure (None: at the next regular tick).
    retry_at: datetime | None = instant(default=None)


JOB_RUN = table_of(JobRun)


def retry_delay(failures: int) -> timedelta:
    """The wait after the failures-th failure in a row (1-based), capped at the last value."""
    return timedelta(minutes=RETRY_MINUTES[min(max(failures, 1), len(RETRY_MINUTES)) - 1])


def start_run(*, session: Session, job: str, runner: str, now: datetime) -> uuid.UUID:
    """Record that `job` started now and return the run's id (committed at once)."""
    run_id = uuid.uuid4()
    session.execute(
        insert(JOB_RUN).values(
            id=run_id, job=job, runner=runner[:200], started_at=now, status=RUNNING
        )
    )
    session.commit()
    return run_id


def finish_run(
    *,
    session: Session,
    run_id: uuid.UUID,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Complete a run: `ok` with its counts, or `failed` with the error (committed at once)."""
    session.execute(
        update(JOB_RUN)
        .where(JOB_RUN.c.id == run_id)
        .values(
            finished_at=now,
            status=FAILED if error is not None else OK,
            result=result,
            error=error[:2000] if error is not None else None,
        )
    )
    session.commit()


def set_retry(*, session: Session, job: str, at: datetime) -> None:
    """Note on the job's latest run, if it failed, when the scheduler will try again."""
    j = JOB_RUN.c
    latest = (
        select(j.id).where(j.job == job).order_by(j.started_at.desc()).limit(1).scalar_subquery()
    )
    session.execute(update(JOB_RUN).where(j.id == latest, j.status == FAILED).values(retry_at=at))
    session.commit()


def failures_in_a_row(*, session: Session, job: str) -> int:
    """How many of the job's latest runs failed since its last successful one (up to 50)."""
    j = JOB_RUN.c
    latest = session.execute(
        select(j.status)
        .where(j.job == job, j.status != RUNNING)
        .order_by(j.started_at.desc())
        .limit(50)
    ).scalars()
    count = 0
    for status in latest:
        if status != FAILED:
            break
        count += 1
    return count


@dataclass(frozen=True)
class JobState:
    """What /healthz and the reminder log say about one job."""

    job: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None
    last_result: dict[str, Any] | None
    last_error: str | None
    retry_at: datetime | None
    last_ok_at: datetime | None


def job_states(*, session: Session, jobs: Iterable[str]) -> dict[str, JobState]:
    """Return each job's latest run and latest success (two indexed queries per job)."""
    j = JOB_RUN.c
    states = {}
    for job in jobs:
        last = session.execute(
            select(j.started_at, j.finished_at, j.status, j.result, j.error, j.retry_at)
            .where(j.job == job)
            .order_by(j.started_at.desc())
            .limit(1)
        ).first()
        last_ok = session.execute(
            select(j.started_at)
            .where(j.job == job, j.status == OK)
            .order_by(j.started_at.desc())
            .limit(1)
        ).scalar()
        states[job] = JobState(
            job=job,
            last_started_at=last.started_at if last else None,
            last_finished_at=last.finished_at if last else None,
            last_status=last.status if last else None,
            last_result=last.result if last else None,
            last_error=last.error if last else None,
            retry_at=last.retry_at if last else None,
            last_ok_at=last_ok,
        )
    return states


def watched_since(*, session: Session) -> datetime | None:
    """When scheduled jobs first ran against this database (None: never)."""
    return session.execute(
        select(JOB_RUN.c.started_at).order_by(JOB_RUN.c.started_at).limit(1)
    ).scalar()


def is_stale(
    state: JobState, *, last_tick: datetime | None, watched_from: datetime | None, now: datetime
) -> bool:
    """True when the job has not run successfully for a day after a tick it was due at.

    `last_tick` is the job's latest scheduled time at least STALE_AFTER before `now`. A tick from
    before any job ran here (`watched_from`: a fresh install) proves nothing and is ignored.
    """
    if last_tick is None or watched_from is None or last_tick < watched_from:
        return False
    if last_tick > now - STALE_AFTER:
        return False
    return state.last_ok_at is None or state.last_ok_at < last_tick
