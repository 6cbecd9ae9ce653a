"""`/healthz`: is the database up, who schedules, did each job run, and what waits in the outbox.

It answers 200 when all is well and 503 when the database cannot be read or a job has not run
successfully for a day after it was due, so a monitor (or a person) sees reminders stopping.
No secrets and no error texts are shown: only times, states and counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from flows.schedules import last_tick, schedules
from models import jobs as job_runs, lease
from models.reminders import outbox_backlog
from web.deps import NowDep, SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get("/healthz")
def healthz(session: SessionDep, settings: SettingsDep, now: NowDep) -> JSONResponse:
    """The service's health as JSON; 503 when the database is down or a job is stale."""
    try:
        session.execute(text("SELECT 1"))
        holder = lease.current(session=session, name=lease.SCHEDULER)
        declared = schedules(settings)
        states = job_runs.job_states(session=session, jobs=[s.job_id for s in declared])
        watched_from = job_runs.watched_since(session=session)
        backlog = outbox_backlog(session=session, now=now)
    except SQLAlchemyError:
        return JSONResponse({"status": "failing", "database": "unreachable"}, status_code=503)
    jobs: dict[str, Any] = {}
    for s in declared:
        state = states[s.job_id]
        stale = job_runs.is_stale(
            state,
            last_tick=last_tick(s, settings, now - job_runs.STALE_AFTER),
            watched_from=watched_from,
            now=now,
        )
        jobs[s.job_id] = {
            "last_started_at": _iso(state.last_started_at),
            "last_finished_at": _iso(state.last_finished_at),
            "last_status": state.last_status,
            "last_result": state.last_result,
            "retry_at": _iso(state.retry_at),
            "last_ok_at": _iso(state.last_ok_at),
            "stale": stale,
        }
    failing = any(job["stale"] for job in jobs.values())
    body = {
        "status": "failing" if failing else "ok",
        "database": "ok",
        "scheduler": None
        if holder is None
        else {
            "holder": holder.holder,
            "since": _iso(holder.since),
            "expires_at": _iso(holder.expires_at),
            "alive": holder.expires_at > now,
        },
        "jobs": jobs,
        "outbox": {**backlog, "oldest_created_at": _iso(backlog["oldest_created_at"])},
    }
    return JSONResponse(body, status_code=503 if failing else 200)
