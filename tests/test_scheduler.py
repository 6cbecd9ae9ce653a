"""The in-process scheduler: four jobs, each run recorded, failures retried within minutes, and
/healthz telling a monitor when a job has stopped running. No Prefect API is involved."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from config.settings import DEFAULT_REMINDER_POLICY
from flows import jobs
from flows.schedules import LEASE_JOB, MISFIRE_GRACE_SECONDS, Scheduler, last_tick, schedules
from models import jobs as job_runs, lease
from models.jobs import FAILED, JOB_RUN, OK, RUNNING, JobState, is_stale
from models.reminders import DELIVERY, PolicyError
from models.tables import utcnow
from tests.calendars import working_today
from web.app import create_app

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


# --- when the jobs fire ------------------------------------------------------------------

NEXT_TICKS = [
    # Friday after working hours -> Monday 07:00 (not Saturday, not the next 07:30 pass only).
    ("deliver-outbox", local(2026, 10, 30, 17, 58), local(2026, 11, 2, 7, 0)),
    # A retry due at 09:02 is picked up by the 09:05 delivery, not by tomorrow's pass.
    ("deliver-outbox", local(2026, 10, 27, 9, 2), local(2026, 10, 27, 9, 5)),
    ("send-reminders", local(2026, 10, 30, 8, 0), local(2026, 11, 2, 7, 30)),
    ("overseer-digest", local(2026, 10, 27, 6, 0), local(2026, 11, 2, 8, 0)),
    # 31/12 -> 2/1 of the next year.
    ("open-cycle", local(2026, 12, 31, 23, 59), local(2027, 1, 2, 6, 0)),
]


@pytest.mark.parametrize(("job_id", "after", "expected"), NEXT_TICKS)
def test_it_fires_each_job_at_its_declared_local_time(settings, job_id, after, expected):
    (schedule,) = [s for s in schedules(settings) if s.job_id == job_id]
    assert schedule.trigger(settings).get_next_fire_time(None, after) == expected


@pytest.mark.parametrize(
    ("job_id", "before", "expected"),
    [
        ("deliver-outbox", local(2026, 11, 2, 6, 59), local(2026, 10, 30, 17, 55)),
        ("send-reminders", local(2026, 11, 2, 7, 29), local(2026, 10, 30, 7, 30)),
        # New Year's Day 2027: the last opening was 2 January 2026.
        ("open-cycle", local(2027, 1, 1, 12, 0), local(2026, 1, 2, 6, 0)),
        # 2028 is a leap year; 29/02 changes nothing.
        ("open-cycle", local(2028, 2, 29, 12, 0), local(2028, 1, 2, 6, 0)),
    ],
)
def test_it_finds_the_last_tick_before_an_instant(settings, job_id, before, expected):
    (schedule,) = [s for s in schedules(settings) if s.job_id == job_id]
    assert last_tick(schedule, settings, before) == expected


def test_it_runs_every_job_at_start_opening_the_year_first_with_safe_options(
    session, settings, engine
):
    """A tick missed while the process was down (2 January included) is caught up at start,
    and open-cycle runs before the reminder pass that reads its steps."""
    scheduler = Scheduler(settings, engine, holder="test:1")
    assert scheduler.start()
    try:
        options = {
            job.id: (job.coalesce, job.max_instances, job.misfire_grace_time)
            for job in scheduler.jobs()
        }
        wait_until(lambda: all(runs(session, s.job_id) for s in schedules(settings)))
    finally:
        assert scheduler.shutdown()
    assert options == dict.fromkeys(
        ["open-cycle", "send-reminders", "deliver-outbox", "overseer-digest"],
        (True, 1, MISFIRE_GRACE_SECONDS),
    )
    session.expire_all()
    order = session.execute(select(JOB_RUN.c.job).order_by(JOB_RUN.c.started_at)).scalars().all()
    assert order == ["open-cycle", "send-reminders", "deliver-outbox", "overseer-digest"]


def test_a_standby_whose_look_comes_late_still_looks(session, settings, engine):
    """Found in CI on a loaded machine: the scheduler thread woke 10 s after a standby's look
    was due, APScheduler dropped the look as missed (1 s grace), and the standby took over 75 s
    later than it could have. A look that comes late must still be made."""
    assert lease.acquire(
        session=session, name=lease.SCHEDULER, holder="other:1", now=utcnow(), ttl=timedelta(1)
    )
    # A 5-minute lease: the standby looks every 75 s, far beyond this test's wait.
    cfg = settings.model_copy(update={"scheduler_lease_seconds": 300.0})
    standby = Scheduler(cfg, engine, holder="test:1")
    assert not standby.start()
    try:
        lease.release(session=session, name=lease.SCHEDULER, holder="other:1")
        # What a thread that wakes late sees: the look was due 10 s ago.
        standby._aps.modify_job(LEASE_JOB, next_run_time=utcnow() - timedelta(seconds=10))
        wait_until(lambda: standby.active, deadline=30.0)
    finally:
        standby.shutdown(wait_seconds=60)


class HeldLook(Scheduler):
    """A scheduler whose next look at the lease, once armed, waits in mid-flight for `go`, and
    whose clock runs `ahead` of the real one."""

    def __init__(self, *args, **kwargs) -> None:
        self.armed = threading.Event()
        self.in_flight = threading.Event()
        self.go = threading.Event()
        self.looked = threading.Event()
        self.ahead = timedelta(0)
        super().__init__(*args, clock=lambda: utcnow() + self.ahead, **kwargs)

    def _look(self) -> None:
        if self.armed.is_set():
            self.armed.clear()
            self.in_flight.set()
            self.go.wait(60)
        super()._look()
        if self.go.is_set():
            self.looked.set()


def test_a_look_in_flight_at_shutdown_does_not_take_the_lease_back(session, settings, engine):
    """Found in review: a look already running when the process stopped renewed the lease after
    shutdown had given it back, and the stopped process held it for a whole lease period."""
    scheduler = HeldLook(settings, engine, holder="test:1")
    assert scheduler.start()
    stopping = threading.Thread(target=scheduler.shutdown)
    try:
        # Every catch-up over, so the next call of the clock is the look's, not a job's.
        wait_until(lambda: all(finished(session, s.job_id) for s in schedules(settings)))
        scheduler.armed.set()
        scheduler._aps.modify_job(LEASE_JOB, next_run_time=utcnow())
        assert scheduler.in_flight.wait(30)
        stopping.start()
        stopping.join(2)  # long enough to give the lease back, if nothing held it up
        assert stopping.is_alive()  # it waits for the look in flight
    finally:
        scheduler.go.set()
    stopping.join(30)
    assert not stopping.is_alive()
    assert scheduler.looked.wait(30)
    assert lease.current(session=session, name=lease.SCHEDULER) is None


def test_a_job_looking_at_the_lease_as_the_process_stops_does_not_run(session, settings, engine):
    """Found in review: a job whose own look was in flight when the process stopped ran after
    the lease had been given back, and the stop reported that every job had finished."""
    scheduler = HeldLook(settings, engine, holder="test:1")
    assert scheduler.start()
    job = threading.Thread(target=scheduler.run, args=["open-cycle"])
    stopping = threading.Thread(target=scheduler.shutdown, kwargs={"wait_seconds": 60})
    try:
        wait_until(lambda: all(finished(session, s.job_id) for s in schedules(settings)))
        # The lease thread starved past the lease's end: the job looks at the lease itself.
        scheduler.armed.set()  # first, so no look can renew the lease on the clock ahead
        scheduler.ahead = timedelta(seconds=settings.scheduler_lease_seconds + 1)
        job.start()
        assert scheduler.in_flight.wait(30)
        stopping.start()
        stopping.join(2)  # long enough to give the lease back, if nothing held it up
        assert stopping.is_alive()
    finally:
        scheduler.go.set()
    job.join(60)
    stopping.join(60)
    assert not job.is_alive() and not stopping.is_alive()
    assert len(runs(session, "open-cycle")) == 1
    assert lease.current(session=session, name=lease.SCHEDULER) is None


def test_a_job_runs_only_if_the_lease_is_still_ours_after_the_lease_thread_starved(
    session, settings, engine
):
    """A lease thread starved past the lease's end: a job due now looks at the lease itself.
    If nobody took it, the job renews it and runs; if another process did, it runs nothing."""
    ahead = timedelta(0)
    scheduler = Scheduler(settings, engine, holder="test:1", clock=lambda: utcnow() + ahead)
    assert scheduler.start()
    try:
        wait_until(lambda: all(finished(session, s.job_id) for s in schedules(settings)))
        ttl = timedelta(seconds=settings.scheduler_lease_seconds)
        ahead = ttl + timedelta(seconds=1)
        scheduler.run("open-cycle")
        assert len(runs(session, "open-cycle")) == 2
        assert lease.holder_of(session=session, name=lease.SCHEDULER) == "test:1"

        later = 2 * ttl + timedelta(seconds=2)
        assert lease.acquire(
            session=session, name=lease.SCHEDULER, holder="other:2", now=utcnow() + later, ttl=ttl
        )
        ahead = later
        scheduler.run("open-cycle")
        assert len(runs(session, "open-cycle")) == 2
        assert not scheduler.active and scheduler.jobs() == []
    finally:
        scheduler.shutdown(wait_seconds=60)


# --- the stale rule ----------------------------------------------------------------------

T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def state(last_ok: datetime | None) -> JobState:
    return JobState("send-reminders", None, None, None, None, None, None, last_ok)


@pytest.mark.parametrize(
    ("last_ok", "tick", "watched", "stale"),
    [
        (T - timedelta(hours=1), T - timedelta(days=1, hours=2), T - timedelta(days=30), False),
        # No success since a tick a day and a half ago: reminders have stopped.
        (T - timedelta(days=2), T - timedelta(days=1, hours=12), T - timedelta(days=30), True),
        (None, T - timedelta(days=1, hours=12), T - timedelta(days=30), True),
        # A tick from before anything ran here (a fresh install) proves nothing.
        (None, T - timedelta(days=3), T - timedelta(hours=2), False),
        (None, T - timedelta(days=3), None, False),
        # The tick is less than a day old: there is still time to run (and retry) it.
        (None, T - timedelta(hours=20), T - timedelta(days=30), False),
    ],
)
def test_a_job_is_stale_a_day_after_a_tick_with_no_success(last_ok, tick, watched, stale):
    assert is_stale(state(last_ok), last_tick=tick, watched_from=watched, now=T) is stale


# --- runs, failures and retries ----------------------------------------------------------


def runs(session: Session, job: str) -> list[tuple[str, datetime | None]]:
    session.expire_all()
    rows = session.execute(
        select(JOB_RUN.c.status, JOB_RUN.c.retry_at)
        .where(JOB_RUN.c.job == job)
        .order_by(JOB_RUN.c.started_at)
    ).all()
    session.commit()
    return [(r.status, r.retry_at) for r in rows]


def finished(session: Session, job: str) -> bool:
    """True if the job has run and no run of it is still going."""
    done = runs(session, job)
    return bool(done) and all(status != RUNNING for status, _ in done)


def wait_until(condition, deadline: float = 120.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not met before the deadline"
        time.sleep(0.05)


def test_it_records_every_run_with_its_counts(session, settings, opened_2026):
    result, run_id = jobs.run_recorded(
        "send-reminders",
        settings,
        runner="test",
        now=datetime(2026, 10, 27, 0, 30, tzinfo=UTC),
    )
    # No SMTP server in these settings: the mails are written to files, none is sent.
    assert (result["decided"], result["queued"], result["written"], result["sent"]) == (30, 6, 6, 0)
    row = session.execute(select(JOB_RUN).where(JOB_RUN.c.id == run_id)).one()
    assert (row.status, row.result["written"], row.error) == (OK, 6, None)
    assert row.finished_at >= row.started_at


def test_a_failed_run_is_recorded_with_its_error_and_raised(session, settings, tmp_path):
    broken = settings.model_copy(update={"reminder_policy_file": tmp_path / "missing.toml"})
    with pytest.raises(PolicyError) as raised:
        jobs.run_recorded("deliver-outbox", broken, runner="test")
    row = session.execute(select(JOB_RUN)).one()
    assert row.status == FAILED
    assert row.error.startswith(type(raised.value).__name__)
    assert "missing.toml" in row.error
    assert job_runs.failures_in_a_row(session=session, job="deliver-outbox") == 1


def test_failures_in_a_row_count_back_to_the_last_success(session, settings, tmp_path):
    broken = settings.model_copy(update={"reminder_policy_file": tmp_path / "missing.toml"})
    for cfg in (broken, settings, broken, broken):
        try:
            jobs.run_recorded("deliver-outbox", cfg, runner="test")
        except Exception:
            pass
    assert job_runs.failures_in_a_row(session=session, job="deliver-outbox") == 2
    assert [job_runs.retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 40)] == [
        60,
        120,
        300,
        1800,
        1800,
    ]


def test_a_failed_job_is_retried_within_minutes_not_at_the_next_tick(
    session, settings, opened_2026, tmp_path, engine
):
    """Found in the field: a failure at start was only logged, and the next try was the next
    day's 07:30 tick. Here the policy file is broken at start and mended a moment later."""
    policy = tmp_path / "policy.toml"
    policy.write_text(DEFAULT_REMINDER_POLICY.read_text("utf-8"), encoding="utf-8")
    # Today a working day whatever day the suite runs on: on a day off the pass is skipped
    # (it succeeds without reading the policy), and there would be nothing to retry.
    cfg = settings.model_copy(
        update={"reminder_policy_file": policy, "calendar_file": working_today(tmp_path)}
    )
    # Instead of 1, 2, 5 ... minutes, the test waits 0.1, 0.2, 0.5 ... seconds.
    scheduler = Scheduler(
        cfg, engine, holder="test:1", retry_delay=lambda n: job_runs.retry_delay(n) / 600
    )
    # The schedules are read at construction; from here on the jobs read a broken file.
    policy.write_text("before_days = 'seven'\n", encoding="utf-8")  # refused: not a list
    assert scheduler.start()
    try:
        wait_until(lambda: any(at for _, at in runs(session, "send-reminders")))
        failed_at_retry = runs(session, "send-reminders")[0][1]
        policy.write_text(DEFAULT_REMINDER_POLICY.read_text("utf-8"), encoding="utf-8")
        wait_until(lambda: runs(session, "send-reminders")[-1][0] == OK)
        wait_until(lambda: runs(session, "deliver-outbox")[-1][0] == OK)
    finally:
        assert scheduler.shutdown()
    statuses = [status for status, _ in runs(session, "send-reminders")]
    assert statuses[0] == FAILED and statuses[-1] == OK
    assert failed_at_retry is not None
    assert runs(session, "open-cycle")[0][0] == OK  # it needs no policy


def test_a_failed_pass_shows_in_healthz_and_in_the_reminder_log(
    session, settings, opened_2026, tmp_path
):
    broken = settings.model_copy(update={"reminder_policy_file": tmp_path / "missing.toml"})
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    # Jobs have run here for a month; send-reminders last succeeded two days ago.
    with Session(session.get_bind()) as s:
        for job in ("open-cycle", "send-reminders", "deliver-outbox", "overseer-digest"):
            old = job_runs.start_run(
                session=s, job=job, runner="test", now=two_days_ago - timedelta(days=30)
            )
            job_runs.finish_run(
                session=s, run_id=old, now=two_days_ago - timedelta(days=30), result={}
            )
        ok = job_runs.start_run(session=s, job="send-reminders", runner="test", now=two_days_ago)
        job_runs.finish_run(session=s, run_id=ok, now=two_days_ago, result={"sent": 0})
    with pytest.raises(PolicyError):
        jobs.run_recorded("send-reminders", broken, runner="test")
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            health = client.get("/healthz")
    finally:
        app.state.engine.dispose()
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "failing" and body["database"] == "ok"
    assert body["jobs"]["send-reminders"]["last_status"] == FAILED
    assert body["jobs"]["send-reminders"]["stale"] is True
    assert "missing.toml" not in health.text  # no error texts for anonymous callers


def test_healthz_reports_the_lease_the_jobs_and_the_outbox(session, settings, opened_2026, engine):
    scheduler = Scheduler(settings, engine, holder="web-1:4242")
    assert scheduler.start()
    try:
        wait_until(
            lambda: (
                len(runs(session, "overseer-digest")) == 1
                and runs(session, "overseer-digest")[0][0] == OK
            )
        )
    finally:
        scheduler.shutdown()
    # Shut down, it gave the lease back; a new holder takes it for the report.
    from models import lease

    with Session(engine) as s:
        lease.acquire(
            session=s,
            name=lease.SCHEDULER,
            holder="web-2:77",
            now=datetime.now(UTC),
            ttl=timedelta(minutes=5),
        )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            health = client.get("/healthz")
    finally:
        app.state.engine.dispose()
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["scheduler"]["holder"] == "web-2:77" and body["scheduler"]["alive"] is True
    assert set(body["jobs"]) == {
        "open-cycle",
        "send-reminders",
        "deliver-outbox",
        "overseer-digest",
    }
    assert all(job["last_status"] == OK and not job["stale"] for job in body["jobs"].values())
    assert set(body["outbox"]) == {"waiting", "due_now", "oldest_created_at", "failed"}


def test_healthz_answers_503_when_the_database_is_gone(settings, tmp_path):
    gone = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    app = create_app(gone)
    try:
        with TestClient(app) as client:
            health = client.get("/healthz")
    finally:
        app.state.engine.dispose()
    assert health.status_code == 503
    assert health.json() == {"status": "failing", "database": "unreachable"}


# --- the embedded mode never waits on Prefect ---------------------------------------------


def test_remind_never_starts_or_imports_prefect(opened_2026, database_url, tmp_path):
    """Found in the field: every `remind` started Prefect's temporary API server and waited up
    to 20 s for it; under load it needed 65 s and the command failed. The embedded mode must not
    touch Prefect at all. Prefect's own start-up timeout is cut to 1 s here: any use fails."""
    script = (
        "import sys\n"
        "from cli.main import app\n"
        "try:\n"
        f"    app(['--db', {database_url!r}, 'remind', '--now', '2026-10-27T07:30'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')\n"
        "assert not loaded, loaded[:5]\n"
        "print('prefect-free')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")} | {
        "ISOCYCLE_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "1",
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Reminders decided: 30 (in 6 e-mails)" in done.stdout
    assert "prefect-free" in done.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 6


def test_a_mail_refused_at_the_morning_pass_goes_out_at_a_delivery_minutes_later(
    session, settings, opened_2026, rules
):
    """Found in the field: delivery ran only inside the 07:30 pass, so a retry due 10 minutes
    later waited for the next working day (Friday to Monday: 3 days). Now the deliver-outbox
    job, every 5 minutes in working hours, sends it at the first tick after its backoff."""
    from tests.smtp_sink import Sink, free_port
    from tests.test_reminders import OCT_27, at, smtp

    port = free_port()  # nothing listens yet: connection refused
    down, _ = jobs.run_recorded(
        "send-reminders", smtp(settings, Sink(port)), runner="test", now=at(OCT_27)
    )
    assert (down["sent"], down["waiting_retry"]) == (0, 6)
    retry_at = session.execute(select(func.min(DELIVERY.c.next_attempt_at))).scalar_one()
    (deliver,) = [s for s in schedules(settings) if s.job_id == "deliver-outbox"]
    tick = deliver.trigger(settings).get_next_fire_time(None, retry_at)
    assert tick - retry_at <= timedelta(minutes=5)
    assert tick.astimezone(ZONE).date() == OCT_27  # the same morning

    sink = Sink(port).start()
    try:
        sent, _ = jobs.run_recorded(
            "deliver-outbox", smtp(settings, sink), runner="test", now=tick, skip_days_off=True
        )
    finally:
        sink.stop()
    assert (sent["sent"], sent["waiting_retry"]) == (6, 0)
    assert len({r.message["Message-ID"] for r in sink.received}) == len(sink.received) == 6
