"""Schedules declared once (APScheduler and Prefect agree), and the flows on a real Prefect server.

The flows run in this test process and report to the session's `prefect server start` (the
`prefect_api` fixture, tests/prefect_server.py); no test starts Prefect's temporary API server.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config.settings import get_settings
from flows.schedules import PROJECT_DIR, build_deployments, schedules
from models.jobs import JOB_RUN, OK

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# (job, after, next fire time): Friday evening -> Monday 07:30, a year's end -> 2 January.
NEXT_TICKS = [
    (
        "send-reminders",
        datetime(2026, 10, 30, 8, 0, tzinfo=ZONE),
        datetime(2026, 11, 2, 7, 30, tzinfo=ZONE),
    ),
    (
        "send-reminders",
        datetime(2026, 10, 27, 6, 0, tzinfo=ZONE),
        datetime(2026, 10, 27, 7, 30, tzinfo=ZONE),
    ),
    (
        "overseer-digest",
        datetime(2026, 10, 27, 6, 0, tzinfo=ZONE),
        datetime(2026, 11, 2, 8, 0, tzinfo=ZONE),
    ),
    ("open-cycle", datetime(2026, 6, 1, tzinfo=ZONE), datetime(2027, 1, 2, 6, 0, tzinfo=ZONE)),
    (
        "deliver-outbox",
        datetime(2026, 10, 30, 17, 58, tzinfo=ZONE),
        datetime(2026, 11, 2, 7, 0, tzinfo=ZONE),
    ),
]


@pytest.mark.parametrize(("job_id", "after", "expected"), NEXT_TICKS)
def test_it_gives_prefect_deployments_the_same_cron_and_timezone(settings, job_id, after, expected):
    """The deployments come from the same declarations, and Prefect's cron agrees with
    APScheduler's (APScheduler 3 reads day-of-week numbers from Monday = 0, hence names)."""
    from prefect.server.schemas.schedules import CronSchedule

    deployments = {d.name: d for d in build_deployments(settings, "isocycle")}
    assert set(deployments) == {s.job_id for s in schedules(settings)}
    schedule = deployments[job_id].schedules[0].schedule
    assert schedule.timezone == "Asia/Ho_Chi_Minh"
    assert schedule.cron == next(s.cron for s in schedules(settings) if s.job_id == job_id)
    # A process worker runs the flow from the project directory, whatever directory
    # `isocycle deploy` was run from.
    assert deployments[job_id].entrypoint.startswith("flows/reminders.py:")
    assert deployments[job_id].work_pool_name == "isocycle"
    assert deployments[job_id].job_variables == {"working_dir": str(PROJECT_DIR)}
    assert (PROJECT_DIR / "flows" / "reminders.py").is_file()
    # No database URL (and password) is baked into a deployment: the worker's environment has it.
    assert "database_url" not in deployments[job_id].parameters
    dates = asyncio.run(
        CronSchedule(cron=schedule.cron, timezone=schedule.timezone).get_dates(n=1, start=after)
    )
    assert dates[0] == expected


# --- the flows on a real Prefect server --------------------------------------------------


@pytest.fixture
def env_settings(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("ISOCYCLE_MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("ISOCYCLE_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "outbox"
    get_settings.cache_clear()


@pytest.mark.prefect_server
def test_it_runs_a_reminder_pass_as_one_flow_run_without_tasks(
    prefect_api, env_settings, opened_2026, database_url, session
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.reminders import send_reminders

    state = send_reminders(now="2026-10-27T07:30", database_url=database_url, return_state=True)
    assert state.is_completed()
    counts = state.result()
    assert (counts["decided"], counts["queued"], counts["written"], counts["failed"]) == (
        30,
        6,
        6,
        0,
    )
    assert counts["sent"] == 0  # written to .eml files, not sent
    assert len(list(env_settings.glob("*.eml"))) == 6

    async def task_runs() -> int:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
                )
            )
            return len(runs)

    assert asyncio.run(task_runs()) == 0  # one flow run per tick, no task per agency or step
    # The run is recorded with the id Prefect gave it.
    (recorded,) = session.execute(select(JOB_RUN.c.job, JOB_RUN.c.runner, JOB_RUN.c.status)).all()
    assert tuple(recorded) == (
        "send-reminders",
        f"prefect {state.state_details.flow_run_id}",
        OK,
    )

    again = send_reminders(now="2026-10-27T09:00", database_url=database_url)
    assert (again["decided"], again["written"]) == (0, 0)


@pytest.mark.prefect_server
def test_it_skips_public_holidays_in_the_scheduled_run(
    prefect_api, env_settings, opened_2026, database_url
):
    from flows.reminders import send_reminders

    # 02/09/2026, National Day: the scheduled run sends nothing; a manual run would.
    assert send_reminders(
        now="2026-09-02T07:30", database_url=database_url, skip_days_off=True
    ) == {"skipped_day_off": 1}


@pytest.mark.prefect_server
def test_it_opens_the_cycle_and_sends_the_digest_through_flows(
    prefect_api, env_settings, province, database_url
):
    from flows.reminders import open_cycle, overseer_digest

    assert open_cycle(year=2027, database_url=database_url) == {
        "year": 2027,
        "created": 54,
        "updated": 0,
    }
    digest = overseer_digest(now="2027-03-01T08:00", database_url=database_url)
    assert (digest["queued"], digest["written"], digest["sent"]) == (1, 1, 0)
