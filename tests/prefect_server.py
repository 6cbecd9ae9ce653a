"""A real Prefect server (`prefect server start`) for the session, and helpers to run processes.

Prefect's temporary (ephemeral) API server is never used: on a busy machine it needs longer than
its own 20 s start-up timeout. The server here is started once per session in its own process
group, with its own PREFECT_HOME; its database is a SQLite file there, or a fresh PostgreSQL
database when the suite runs on PostgreSQL. Its scheduler service is off, so no flow run starts
unless a test asks for it (a test creates scheduled runs through the API instead).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.smtp_sink import free_port

BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
ISOCYCLE = str(BIN / "isocycle")
# Generous: a cold start on a loaded 2-core machine (migrations, imports). A quiet start takes
# about 20 s on SQLite.
START_DEADLINE = 300.0


def wait_for(what: Callable[[], Any], deadline: float, why: Callable[[], str]) -> Any:
    """Poll `what` until it returns something truthy (returned) or fail after `deadline` s."""
    end = time.monotonic() + deadline
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"gave up after {deadline:.0f} s: {why()}")
        time.sleep(0.2)


class Proc:
    """A command in its own process group, its output in a log file, stopped by group."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def output(self, last: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-last:]

    def stop(self, grace: float) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds; the group's children too."""
        pgid = self.popen.pid  # start_new_session: the process leads its own group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=grace)
        # Also when the leader is gone: a flow-run process it started may still be there.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.popen.wait(timeout=60)


def prefect_env(**extra: str) -> dict[str, str]:
    """This environment without any PREFECT_ setting of the caller's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    proc: Proc

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a client process (CLI, worker) of this server."""
        return prefect_env(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.home), **extra)

    def client(self) -> Any:
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(self.api_url)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False


@contextlib.contextmanager
def _prefect_database(tmp: Path) -> Iterator[str]:
    """Prefect's own database: a fresh PostgreSQL one on PostgreSQL runs, else SQLite."""
    if os.environ.get("ISOCYCLE_TEST_BACKEND", "sqlite") != "postgres":
        yield f"sqlite+aiosqlite:///{tmp / 'prefect.db'}"
        return
    admin = make_url(os.environ["ISOCYCLE_TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"prefect_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """`prefect server start` on a free port, healthy, for the whole session."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    home = tmp / "home"
    with _prefect_database(tmp) as database:
        port = free_port()
        proc = Proc(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            prefect_env(
                PREFECT_HOME=str(home),
                PREFECT_SERVER_DATABASE_CONNECTION_URL=database,
                PREFECT_UI_ENABLED="false",
                # Scheduled runs would start at their real times in the middle of a test.
                PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
            ),
            tmp / "server.log",
            tmp,
        )
        server = PrefectServer(f"http://127.0.0.1:{port}/api", home, proc)
        try:

            def up() -> bool:
                if proc.popen.poll() is not None:
                    raise AssertionError(f"prefect server exited:\n{proc.output()}")
                return server.healthy()

            wait_for(up, START_DEADLINE, proc.output)
            yield server
        finally:
            proc.stop(grace=30)


@pytest.fixture
def prefect_api(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows called in this test process report to the session's Prefect server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.configuration import setup_logging
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect's console handler keeps the sys.stderr of the moment its logging is set up, which
    # is on first use: inside a CliRunner call that would be a stream closed right after.
    setup_logging(incremental=False)
    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server
        # Send the logs and events of this test's runs while the server is still there.
        with contextlib.suppress(RuntimeError):
            APILogWorker.instance().drain()
        EventsWorker.drain_all()
