"""`isocycle serve`: the web app and the scheduler, in one process."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import engine, ensure_schema, fail, settings

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy.engine import Engine

    from config.settings import Settings

log = logging.getLogger(__name__)
# Renewed every minute on a thread of its own, so a long reminder pass cannot let it lapse.
LEASE_TTL = timedelta(minutes=5)
LEASE_RENEW_SECONDS = 60


def is_loopback(host: str) -> bool:
    """True when a bind address is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def uses_dev_secret(cfg: Settings) -> bool:
    """True when the session-signing key is the checked-in development default or a placeholder."""
    from config.settings import PLACEHOLDER_SECRETS

    key = cfg.secret_key.get_secret_value()
    return key in PLACEHOLDER_SECRETS or key.startswith("dev-only")


def _renew(eng: Engine, holder: str, jobs: BackgroundScheduler) -> None:
    """Keep the scheduler lease; if another process has taken it, stop scheduling here."""
    from sqlmodel import Session

    from models import lease
    from models.tables import utcnow

    with Session(eng) as session:
        kept = lease.acquire(
            session=session, name=lease.SCHEDULER, holder=holder, now=utcnow(), ttl=LEASE_TTL
        )
    if not kept:
        log.error("scheduler lease lost to another process; pausing this scheduler")
        jobs.pause()


def start_scheduler(eng: Engine, cfg: Settings) -> tuple[BackgroundScheduler, str] | None:
    """Start the scheduler if this process wins the database lease, else return None."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from sqlmodel import Session

    from flows.schedules import build_scheduler
    from models import lease
    from models.tables import utcnow

    holder = f"{socket.gethostname()}:{os.getpid()}"
    with Session(eng) as session:
        won = lease.acquire(
            session=session, name=lease.SCHEDULER, holder=holder, now=utcnow(), ttl=LEASE_TTL
        )
        current = lease.holder_of(session=session, name=lease.SCHEDULER)
    if not won:
        typer.echo(
            f"Another process ({current}) runs the scheduler for this database; "
            "this one does not (exactly one scheduler per database)."
        )
        return None
    jobs = build_scheduler(cfg)
    jobs.add_executor(ThreadPoolExecutor(max_workers=1), alias="lease")
    jobs.add_job(
        _renew,
        "interval",
        seconds=LEASE_RENEW_SECONDS,
        args=[eng, holder, jobs],
        id="scheduler-lease",
        executor="lease",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    jobs.start()
    for job in jobs.get_jobs():
        if job.id != "scheduler-lease":
            typer.echo(f"Lịch (job) {job.id}: {job.name}; next run {job.next_run_time}")
    return jobs, holder


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the reminder scheduler here (only if no other process runs it).",
        ),
    ] = True,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Serve the web app and API.")] = True,
) -> None:
    """Run the web app and the scheduler (open_cycle, send_reminders, overseer_digest)."""
    from sqlmodel import Session

    from models import lease

    cfg = settings()
    # Anyone who knows the public development key can forge a session cookie: never expose it.
    if web and not is_loopback(host) and uses_dev_secret(cfg):
        fail(
            f"--host {host}: refusing to serve beyond this machine with the development secret "
            'key; set ISOCYCLE_SECRET_KEY to a long random value (e.g. `python -c "import '
            'secrets; print(secrets.token_urlsafe(48))"`) and ISOCYCLE_ENVIRONMENT=production, '
            "or bind 127.0.0.1 behind a reverse proxy."
        )
    eng = engine()
    ensure_schema(eng)
    running = start_scheduler(eng, cfg) if scheduler else None
    try:
        if web:
            import uvicorn

            from web.app import create_app, settle_heap

            app = create_app(cfg)
            settle_heap()
            typer.echo(f"Trang web (site): http://{host}:{port}/")
            uvicorn.run(app, host=host, port=port, proxy_headers=False)
        elif running is not None:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if running is not None:
            jobs, holder = running
            jobs.shutdown(wait=False)
            with Session(eng) as session:
                lease.release(session=session, name=lease.SCHEDULER, holder=holder)
        eng.dispose()
