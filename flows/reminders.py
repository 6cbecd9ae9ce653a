"""Prefect flows: one flow run per scheduled tick, each a thin wrapper around a job (flows/jobs.py).

These are what `isocycle deploy` registers on a Prefect server and what a Prefect worker runs.
The embedded mode (`isocycle serve`, `remind`) calls flows/jobs.py directly and never imports
this module, so it never waits on a Prefect API.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from config.settings import Settings, get_settings
from flows import jobs


def _settings(database_url: str | None) -> Settings:
    base = get_settings()
    return base.model_copy(update={"database_url": database_url}) if database_url else base


def _run(job: str, database_url: str | None, now: str | None, **params: Any) -> dict[str, Any]:
    settings = _settings(database_url)
    result, _ = jobs.run_recorded(
        job,
        settings,
        runner=f"prefect {flow_run.get_id() or ''}".strip(),
        now=jobs.parse_now(now, settings),
        **params,
    )
    return result


@flow(name=jobs.SEND_REMINDERS, log_prints=True)
def send_reminders(
    now: str | None = None, database_url: str | None = None, skip_days_off: bool = False
) -> dict[str, Any]:
    """Decide today's reminders and deliver every due e-mail, in one batched run."""
    return _run(jobs.SEND_REMINDERS, database_url, now, skip_days_off=skip_days_off)


@flow(name=jobs.DELIVER_OUTBOX, log_prints=True)
def deliver_outbox(
    now: str | None = None, database_url: str | None = None, skip_days_off: bool = False
) -> dict[str, Any]:
    """Send the e-mails that are due: retries after their backoff, and expired claims."""
    return _run(jobs.DELIVER_OUTBOX, database_url, now, skip_days_off=skip_days_off)


@flow(name=jobs.OVERSEER_DIGEST, log_prints=True)
def overseer_digest(now: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Queue and send this week's digest of overdue steps to the overseer (Sở KH&CN)."""
    return _run(jobs.OVERSEER_DIGEST, database_url, now)


@flow(name=jobs.OPEN_CYCLE, log_prints=True)
def open_cycle(year: int | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Open the year's steps for every agency (the current local year unless given)."""
    return _run(jobs.OPEN_CYCLE, database_url, None, year=year)


FLOWS: dict[str, Any] = {
    jobs.OPEN_CYCLE: open_cycle,
    jobs.SEND_REMINDERS: send_reminders,
    jobs.DELIVER_OUTBOX: deliver_outbox,
    jobs.OVERSEER_DIGEST: overseer_digest,
}
