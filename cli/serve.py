"""`isocycle serve`: the web app and the scheduler, in one process."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cli.common import engine, ensure_schema, settings


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the reminder scheduler here. Exactly one process per database may.",
        ),
    ] = True,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Serve the web app and API.")] = True,
) -> None:
    """Run the web app and the scheduler (open_cycle, send_reminders, overseer_digest)."""
    from flows.schedules import build_scheduler

    cfg = settings()
    eng = engine()
    ensure_schema(eng)
    eng.dispose()
    jobs = build_scheduler(cfg) if scheduler else None
    if jobs is not None:
        jobs.start()
        for job in jobs.get_jobs():
            typer.echo(f"Lịch (job) {job.id}: {job.name}; next run {job.next_run_time}")
    try:
        if web:
            import uvicorn

            from web.app import create_app, settle_heap

            app = create_app(cfg)
            settle_heap()
            typer.echo(f"Trang web (site): http://{host}:{port}/")
            uvicorn.run(app, host=host, port=port, proxy_headers=False)
        elif jobs is not None:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if jobs is not None:
            jobs.shutdown(wait=False)
