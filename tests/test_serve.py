"""`isocycle serve`: the web app and the scheduler in one process, stopped by Ctrl-C or SIGKILL.

Every process here is the real CLI in its own process group. Waits poll a condition until a
deadline; the deadlines are only there so a broken build fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import lease
from models.jobs import JOB_RUN, OK
from models.reminders import DELIVERY, SENDING, decide_reminders, load_policy
from tests.calendars import working_today
from tests.smtp_sink import Sink, free_port
from tests.test_reminders import OCT_27, at

ISOCYCLE = str(Path(sys.executable).with_name("isocycle"))
ALL_JOBS = ["deliver-outbox", "open-cycle", "overseer-digest", "send-reminders"]
# Generous: a cold start on a loaded 2-core machine; a healthy start takes a second or two.
START_DEADLINE = 120.0
TEST_SECRET_KEY = "test-only-" + "k" * 40


class Serve:
    """One `isocycle serve` process whose output is read line by line as it comes."""

    def __init__(
        self, database_url: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [ISOCYCLE, "--db", database_url, "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={
                **os.environ,
                "ISOCYCLE_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            },
            cwd=tmp_path,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, what: Callable[[], bool], deadline: float = START_DEADLINE) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if what():
                return
            if self.proc.poll() is not None:
                self._reader.join(5)
                raise AssertionError(f"serve exited early:\n{self.output}")
            time.sleep(0.05)
        raise AssertionError(f"condition not met; output so far:\n{self.output}")

    def said(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)

    def site_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def interrupt(self) -> float:
        """Send Ctrl-C; return how many seconds the process took to exit."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # the stacks of every thread, to the output
            time.sleep(2)
            self.kill()
            self._reader.join(5)
            raise AssertionError(f"serve did not stop after Ctrl-C:\n{self.output}") from None
        finally:
            self.kill()
        self._reader.join(5)
        return time.monotonic() - began

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@pytest.fixture
def serves(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []
    calendar = working_today(tmp_path)

    def start(*args: str, env: dict[str, str] | None = None) -> Serve:
        env = {
            "ISOCYCLE_CALENDAR_FILE": str(calendar),
            "ISOCYCLE_SECRET_KEY": TEST_SECRET_KEY,  # serve refuses the public default
            **(env or {}),
        }
        started.append(Serve(database_url, tmp_path, *args, env=env))
        return started[-1]

    yield start
    for s in started:
        s.kill()


def jobs_in(lines: list[str]) -> list[str]:
    return sorted(line.split(":")[0].split()[-1] for line in lines if line.startswith("Lịch (job)"))


def ok_runs(session: Session, runner_prefix: str) -> set[str]:
    session.expire_all()
    rows = session.execute(
        select(JOB_RUN.c.job).where(
            JOB_RUN.c.status == OK, JOB_RUN.c.runner.like(f"{runner_prefix}%")
        )
    )
    session.commit()
    return set(rows.scalars())


def test_it_serves_the_site_and_runs_the_four_jobs_at_start(serves, session):
    first = serves()
    first.wait_for(lambda: first.site_answers() and len(ok_runs(session, "serve")) == 4)
    assert jobs_in(first.lines) == ALL_JOBS
    assert first.interrupt() < 5
    assert "Traceback" not in first.output


def test_a_second_process_waits_and_schedules_after_the_first_stops(serves, session):
    # A standby looks every quarter of the lease: every 15 s, not every 75 s as by default, so
    # the wait below has room for a loaded machine.
    ttl = 60.0
    env = {"ISOCYCLE_SCHEDULER_LEASE_SECONDS": str(ttl)}
    first = serves(env=env)
    first.wait_for(lambda: first.said("Lịch (job) send-reminders"))
    second = serves(env=env)
    second.wait_for(lambda: second.site_answers() and second.said("scheduler on standby"))
    assert jobs_in(second.lines) == []
    # The first gives its lease back on the way out: the second takes over at its next look.
    stopped = time.monotonic()
    first.interrupt()
    # The four "Lịch (job)" lines come in next-run order, so wait for all of them, not one.
    second.wait_for(lambda: jobs_in(second.lines) == ALL_JOBS)
    # Given back, not expired: an expired lease would have kept it waiting at least 3/4 of ttl.
    taken = time.monotonic() - stopped
    assert taken < ttl * 3 / 4 - 5, taken


def test_a_standby_takes_over_within_a_lease_period_after_the_holder_is_killed(
    serves, session, engine
):
    """Found in the field: after a kill the other process never asked again, and reminders
    stopped until someone noticed. Now a standby asks every quarter of the lease period."""
    # Long enough that the holder keeps its lease when a renewal comes a few seconds late.
    ttl = 20.0
    env = {"ISOCYCLE_SCHEDULER_LEASE_SECONDS": str(ttl)}
    holder = serves("--no-web", env=env)
    holder.wait_for(lambda: holder.said("Lịch (job) send-reminders"))
    standby = serves("--no-web", env=env)
    standby.wait_for(lambda: standby.said("scheduler on standby"))
    with Session(engine) as s:
        before = lease.current(session=s, name=lease.SCHEDULER)
    assert before is not None and before.holder.endswith(f":{holder.proc.pid}")

    holder.kill()  # SIGKILL: no lease given back, no clean-up of any kind
    killed_at = time.time()
    standby.wait_for(lambda: standby.said("Lịch (job) send-reminders"))
    with Session(engine) as s:
        after = lease.current(session=s, name=lease.SCHEDULER)
    assert after is not None and after.holder.endswith(f":{standby.proc.pid}")
    # The lease outlives its last renewal by ttl; a standby looks every ttl / 4. A loaded
    # machine may wake the look late: CI saw 10 s.
    taken = after.since.timestamp() - killed_at
    assert taken <= ttl + ttl / 4 + 10, taken
    standby.wait_for(lambda: "deliver-outbox" in ok_runs(session, f"serve {after.holder}"))


def test_ctrl_c_stops_a_pass_between_two_mails_within_5_seconds(
    serves, session, opened_2026, rules
):
    """Found in the field: Ctrl-C in the first minute took over 60 s and printed 28,189 lines.
    Here a pass is sending to a slow SMTP server (1 s a mail) when Ctrl-C comes."""
    # Six mails decided on 27/10/2026 wait in the outbox; the start-up pass sends them.
    queued = decide_reminders(
        session=session, today=OCT_27, now=at(OCT_27), policy=load_policy(), working=rules.working
    )
    assert queued.deliveries == 6
    slow = Sink().start()
    slow.handler.delay = 1.0
    try:
        proc = serves(env={"ISOCYCLE_SMTP_HOST": "127.0.0.1", "ISOCYCLE_SMTP_PORT": str(slow.port)})
        proc.wait_for(lambda: len(slow.received) >= 1)
        took = proc.interrupt()
    finally:
        slow.stop()
    assert took < 5, f"{took:.1f} s\n{proc.output}"
    assert "Traceback" not in proc.output and "RecursionError" not in proc.output
    session.expire_all()
    counts = dict(
        session.execute(select(DELIVERY.c.status, func.count()).group_by(DELIVERY.c.status)).all()
    )
    # What was not sent is given back at once, not left `sending` until its claim expires.
    assert counts.get(SENDING, 0) == 0, counts
    assert sum(counts.values()) > len(slow.received)


def test_ctrl_c_during_start_up_is_not_lost(serves):
    """Found under load: a Ctrl-C that came while uvicorn was still starting was swallowed, and
    the process ran on. Here Ctrl-C comes as soon as the scheduler speaks, before the site is up."""
    proc = serves()
    proc.wait_for(lambda: proc.said("scheduler active"))
    assert proc.interrupt() < 5
    assert not proc.site_answers()


def test_sigterm_stops_it_like_ctrl_c(serves):
    proc = serves("--no-web")
    proc.wait_for(lambda: proc.said("Lịch (job) send-reminders"))
    began = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(timeout=60) == 0
    assert time.monotonic() - began < 5
