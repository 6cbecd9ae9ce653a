"""`isocycle serve` runs the web app and the scheduler in one process."""

from __future__ import annotations

import os
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


def test_it_serves_the_site_and_schedules_the_three_jobs(database_url: str, tmp_path: Path):
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
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login", timeout=2
                ) as response:
                    status = response.status
            except OSError:
                time.sleep(0.3)
        assert status == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        lines = out.splitlines()
    jobs = sorted(line.split(":")[0].split()[-1] for line in lines if line.startswith("Lịch (job)"))
    assert jobs == ["open-cycle", "overseer-digest", "send-reminders"]
