"""Scale-out: `isocycle deploy --work-pool` on a real Prefect server, and a Prefect worker that
runs the deployed flows.

The server is the session's `prefect server start` (tests/prefect_server.py), on SQLite or, on
PostgreSQL runs, on a PostgreSQL database of its own. Workers and the CLI are real processes in
their own process groups, stopped by group at the end of each test, failed or not.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from models.jobs import JOB_RUN, OK
from tests.prefect_server import ISOCYCLE, PREFECT, START_DEADLINE, PrefectServer, Proc, wait_for
from tests.test_reminder_faults import SECRETARIES, to_addrs

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULES = {
    "open-cycle": ("0 6 2 1 *", "Asia/Ho_Chi_Minh", True),
    "send-reminders": ("30 7 * * mon-fri", "Asia/Ho_Chi_Minh", True),
    "deliver-outbox": ("*/5 7-17 * * mon-fri", "Asia/Ho_Chi_Minh", True),
    "overseer-digest": ("0 8 * * mon", "Asia/Ho_Chi_Minh", True),
}


def _deployments(server: PrefectServer) -> dict[str, object]:
    with server.client() as client:
        return {d.name: d for d in client.read_deployments()}


def _scheduled_times(server: PrefectServer, deployment_id: object) -> list[datetime]:
    """Ask the server to schedule a deployment's runs for one week of January 2030 (the same
    code path as its scheduler service) and return their start times, local."""
    week = {
        "start_time": "2030-01-07T00:00:00+07:00",
        "end_time": "2030-01-13T23:59:00+07:00",
        "min_runs": 50,
        "max_runs": 50,
    }
    url = f"{server.api_url}/deployments/{deployment_id}/schedule"
    # Prefect answers 503 when its own database is busy (its scheduler service writing on a
    # loaded machine) and expects clients to come back, as its PrefectClient does for 429/503.
    for attempt in range(6):
        reply = httpx.post(url, json=week, timeout=60)
        if reply.status_code not in (429, 503):
            break
        time.sleep(float(reply.headers.get("Retry-After", 2**attempt)))
    assert reply.status_code == 200, f"{reply.status_code} {reply.text}\n{server.proc.output()}"
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with server.client() as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )
    return sorted(r.expected_start_time.astimezone(ZONE).replace(tzinfo=None) for r in runs)


@pytest.mark.prefect_server
def test_deploy_registers_the_four_schedules_in_a_process_work_pool(prefect_api, cli):
    """`isocycle deploy --work-pool` creates the process pool if missing, registers the four
    deployments with their cron, zone and a working directory for the worker, again without
    duplicates, and the server turns the schedules into runs at the right local times."""
    pool = f"isocycle-{uuid.uuid4().hex[:8]}"
    first = cli("deploy", "--work-pool", pool)
    assert first.exit_code == 0, first.output
    assert f"Created the process work pool '{pool}'" in first.output
    assert f"prefect worker start --pool {pool}" in first.output
    again = cli("deploy", "--work-pool", pool)
    assert again.exit_code == 0, again.output
    assert "Created" not in again.output

    with prefect_api.client() as client:
        assert client.read_work_pool(pool).type == "process"
    found = _deployments(prefect_api)
    assert {
        name: (s.schedule.cron, s.schedule.timezone, s.active)
        for name, d in found.items()
        for s in d.schedules
    } == SCHEDULES
    assert {len(d.schedules) for d in found.values()} == {1}
    for d in found.values():
        assert d.work_pool_name == pool
        assert d.entrypoint == f"flows/reminders.py:{d.name.replace('-', '_')}"
        project = Path(d.job_variables["working_dir"])
        assert (project / d.entrypoint.split(":")[0]).is_file()
        assert "database_url" not in d.parameters  # the worker's environment has it

    # Working days at 07:30 local, Monday 8 to Friday 12 January 2030; the digest on Monday.
    assert _scheduled_times(prefect_api, found["send-reminders"].id) == [
        datetime(2030, 1, day, 7, 30) for day in range(7, 12)
    ]
    assert _scheduled_times(prefect_api, found["overseer-digest"].id) == [
        datetime(2030, 1, 7, 8, 0)
    ]


@pytest.mark.prefect_server
def test_deploy_refuses_a_work_pool_of_another_type(prefect_api, cli):
    from prefect.client.schemas.actions import WorkPoolCreate

    pool = f"k8s-{uuid.uuid4().hex[:8]}"
    with prefect_api.client() as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="kubernetes"))
    result = cli("deploy", "--work-pool", pool)
    assert result.exit_code == 1
    assert "is of type 'kubernetes'" in result.output


def test_deploy_refuses_to_run_without_a_prefect_server(cli):
    """Without PREFECT_API_URL Prefect would register the deployments on a temporary server
    that is gone when the command ends: refuse instead, before starting anything."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = cli("deploy")
    assert result.exit_code == 1
    assert "deploy needs a Prefect server: set PREFECT_API_URL" in result.output


# --- a worker runs the deployed flows ------------------------------------------------------


@pytest.fixture
def processes() -> Iterator[Callable[..., Proc]]:
    """Start processes in their own groups; every one is stopped when the test ends."""
    started: list[Proc] = []

    def start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> Proc:
        started.append(Proc(args, env, log, cwd))
        return started[-1]

    yield start
    for proc in reversed(started):
        proc.stop(grace=30)  # a worker stops within a second or two of its SIGTERM


@pytest.mark.prefect_server
def test_a_worker_runs_the_deployed_reminder_pass_and_each_mail_arrives_once(
    prefect_server, processes, sink, opened_2026, database_url, session, tmp_path
):
    """The deployments `isocycle deploy` registered (from another directory) run on a plain
    `prefect worker start --pool NAME` that has the database and SMTP server in its
    environment: the flow run completes, each secretary gets one mail, the run is recorded."""
    pool = f"isocycle-{uuid.uuid4().hex[:8]}"
    deploy = subprocess.run(
        [ISOCYCLE, "deploy", "--work-pool", pool],
        env=prefect_server.env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=START_DEADLINE,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr

    worker = processes(
        [PREFECT, "worker", "start", "--pool", pool],
        prefect_server.env(
            ISOCYCLE_DATABASE_URL=database_url,
            ISOCYCLE_SMTP_HOST="127.0.0.1",
            ISOCYCLE_SMTP_PORT=str(sink.port),
            ISOCYCLE_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
            PREFECT_WORKER_QUERY_SECONDS="1",
        ),
        tmp_path / "worker.log",
        tmp_path,
    )
    with prefect_server.client() as client:
        deployment = client.read_deployment_by_name("send-reminders/send-reminders")
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"now": "2026-10-27T07:30"}
        )

        def finished() -> object:
            if worker.popen.poll() is not None:
                raise AssertionError(f"the worker exited:\n{worker.output()}")
            state = client.read_flow_run(run.id).state
            return state if state is not None and state.is_final() else None

        state = wait_for(finished, START_DEADLINE, worker.output)
        assert state.is_completed(), f"{state}\n{worker.output()}"
        assert client.read_flow_run(run.id).parameters == {
            "skip_days_off": True,
            "now": "2026-10-27T07:30",
        }

    assert to_addrs(sink) == sorted(SECRETARIES)
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(set(ids)) == len(ids) == 6
    rows = session.execute(
        select(JOB_RUN.c.job, JOB_RUN.c.runner, JOB_RUN.c.status, JOB_RUN.c.result)
    ).all()
    assert [(job, runner, status) for job, runner, status, _ in rows] == [
        ("send-reminders", f"prefect {run.id}", OK)
    ]
    assert (rows[0].result["decided"], rows[0].result["sent"]) == (30, 6)
