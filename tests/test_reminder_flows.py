"""Schedules declared once (APScheduler and Prefect agree), and the flows on a real Prefect API.

The Prefect tests share one temporary Prefect server for the session (prefect_test_harness);
starting it and the first flow run take several seconds, which is expected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config.settings import get_settings
from flows.schedules import build_deployments, schedules

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

    deployments = {d.name: d for d in build_deployments(settings)}
    assert set(deployments) == {s.job_id for s in schedules(settings)}
    schedule = deployments[job_id].schedules[0].schedule
    assert schedule.timezone == "Asia/Ho_Chi_Minh"
    assert schedule.cron == next(s.cron for s in schedules(settings) if s.job_id == job_id)
    assert deployments[job_id].entrypoint.startswith("flows/reminders.py:")
    # No database URL (and password) is baked into a deployment: the worker's environment has it.
    assert "database_url" not in deployments[job_id].parameters
    dates = asyncio.run(
        CronSchedule(cron=schedule.cron, timezone=schedule.timezone).get_dates(n=1, start=after)
    )
    assert dates[0] == expected


# --- real Prefect ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def env_settings(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("ISOCYCLE_MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("ISOCYCLE_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "outbox"
    get_settings.cache_clear()


def test_it_runs_a_reminder_pass_as_one_flow_run_without_tasks(
    prefect_api, env_settings, opened_2026, database_url
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.reminders import send_reminders

    state = send_reminders(now="2026-10-27T07:30", database_url=database_url, return_state=True)
    assert state.is_completed()
    counts = state.result()
    assert (counts["decided"], counts["queued"], counts["sent"], counts["failed"]) == (30, 6, 6, 0)
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

    again = send_reminders(now="2026-10-27T09:00", database_url=database_url)
    assert (again["decided"], again["sent"]) == (0, 0)


def test_it_skips_public_holidays_in_the_scheduled_run(
    prefect_api, env_settings, opened_2026, database_url
):
    from flows.reminders import send_reminders

    # 02/09/2026, National Day: the scheduled run sends nothing; a manual run would.
    assert send_reminders(
        now="2026-09-02T07:30", database_url=database_url, skip_days_off=True
    ) == {"skipped_day_off": 1}


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
    assert (digest["queued"], digest["sent"]) == (1, 1)


def test_it_registers_the_deployments_on_a_prefect_server(prefect_api, cli):
    """`isocycle deploy` puts the three schedules on the Prefect API with their cron and zone."""
    from prefect.client.orchestration import get_client

    result = cli("deploy")
    assert result.exit_code == 0, result.output

    async def read() -> dict[str, tuple[str, str, bool]]:
        async with get_client() as client:
            found = {}
            for d in await client.read_deployments():
                (schedule,) = d.schedules
                found[d.name] = (
                    schedule.schedule.cron,
                    schedule.schedule.timezone,
                    schedule.active,
                )
            return found

    assert asyncio.run(read()) == {
        "open-cycle": ("0 6 2 1 *", "Asia/Ho_Chi_Minh", True),
        "send-reminders": ("30 7 * * mon-fri", "Asia/Ho_Chi_Minh", True),
        "deliver-outbox": ("*/5 7-17 * * mon-fri", "Asia/Ho_Chi_Minh", True),
        "overseer-digest": ("0 8 * * mon", "Asia/Ho_Chi_Minh", True),
    }
