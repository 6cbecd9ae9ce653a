"""`isocycle serve` runs the web app and the scheduler in one process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(database_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    """Start `isocycle serve` in its own process group and wait until its site answers."""
    exe = Path(sys.executable).with_name("isocycle")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "ISOCYCLE_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    proc = subprocess.Popen(
        [exe, "--db", database_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                assert response.status == 200
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise AssertionError("isocycle serve did not answer on its port")


def stop(proc: subprocess.Popen[str]) -> list[str]:
    """Stop it as Ctrl-C would, then make sure nothing it started (Prefect's API) lingers."""
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return out.splitlines()


def jobs_in(lines: list[str]) -> list[str]:
    return sorted(line.split(":")[0].split()[-1] for line in lines if line.startswith("Lịch (job)"))


def test_it_serves_the_site_and_schedules_the_three_jobs(database_url: str, tmp_path: Path):
    assert jobs_in(stop(start(database_url, tmp_path))) == [
        "open-cycle",
        "overseer-digest",
        "send-reminders",
    ]


def test_a_second_process_serves_the_site_but_never_a_second_scheduler(
    database_url: str, tmp_path: Path
):
    first = start(database_url, tmp_path)
    try:
        second_lines = stop(start(database_url, tmp_path))
    finally:
        first_lines = stop(first)
    assert jobs_in(first_lines) == ["open-cycle", "overseer-digest", "send-reminders"]
    assert jobs_in(second_lines) == []
    assert any("runs the scheduler for this database" in line for line in second_lines)
    # The first gave its lease back on the way out: the next process schedules again at once.
    assert jobs_in(stop(start(database_url, tmp_path))) == [
        "open-cycle",
        "overseer-digest",
        "send-reminders",
    ]
