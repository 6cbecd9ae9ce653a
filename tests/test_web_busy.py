"""Web writes that meet a database busy with a long job: 503 with Retry-After, never a 500."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, select

from bench.province import national_rows
from models.agencies import FIELDS, upsert_agencies
from models.cycles import find_step
from models.db import is_busy_error, make_engine
from models.tables import STEP, HistoryEntry
from tests.conftest import BACKEND
from tests.web_support import NOW, bearer, csrf_of, login
from web.app import BUSY_MESSAGE, create_app

ROOT = Path(__file__).resolve().parents[1]
API_STEP, FORM_STEP = "quality_objectives", "internal_audit"
COMPLETE = {"done_on": "2026-02-20", "ref": "12/KH-TEST", "note": "Ban hành kèm Quyết định"}
API_URL = f"/api/v1/agencies/SNGV/cycles/2026/steps/{API_STEP}/complete"
FORM_URL = f"/agencies/SNGV/2026/steps/{FORM_STEP}"
FORM = {"done_on": "24/11/2026", "ref": "177/BC-SNgV", "note": "Gửi qua hệ thống"}


@contextmanager
def write_lock(database_url: str, step_ids: list[uuid.UUID]) -> Iterator[None]:
    """Hold a write lock from another connection, as a long job's transaction does.

    SQLite: BEGIN IMMEDIATE takes the database's one write lock. PostgreSQL: inserts never
    block other rows, so the job is one holding the very rows the web writes (SELECT ... FOR
    UPDATE), e.g. cycle open moving those steps' deadlines, or a hand-run transaction.
    """
    if BACKEND == "postgres":
        engine = make_engine(database_url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.select(STEP.c.id).where(STEP.c.id.in_(step_ids)).with_for_update())
                yield
                conn.rollback()
        finally:
            engine.dispose()
        return
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@pytest.fixture
def busy_client(settings) -> Iterator[TestClient]:
    """The app with a short lock wait, so a held lock is met within the test's patience."""
    app = create_app(settings.model_copy(update={"web_busy_timeout": 0.3}), clock=lambda: NOW)
    with TestClient(app, follow_redirects=False) as c:
        yield c
    app.state.engine.dispose()


def _step_ids(session: Session, *keys: str) -> list[uuid.UUID]:
    return [find_step(session=session, agency_code="SNGV", year=2026, key=k).id for k in keys]


def _untouched(session: Session, key: str) -> bool:
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2026, key=key)
    entries = session.exec(select(HistoryEntry).where(HistoryEntry.entity_id == key)).all()
    return (step.state, step.ref, step.touched_at, entries) == ("open", None, None, [])


def test_an_api_write_meeting_a_held_lock_answers_503_and_writes_nothing(
    busy_client, tokens, session, database_url
):
    headers = bearer(tokens["sec_sngv"])
    with write_lock(database_url, _step_ids(session, API_STEP)):
        refused = busy_client.post(API_URL, json=COMPLETE, headers=headers)
        assert _untouched(session, API_STEP)  # read while the lock is still held
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.json() == {"detail": BUSY_MESSAGE}
    assert "thử lại" in BUSY_MESSAGE
    assert _untouched(session, API_STEP)

    done = busy_client.post(API_URL, json=COMPLETE, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_a_form_write_meeting_a_held_lock_shows_a_503_page_and_writes_nothing(
    busy_client, tokens, session, database_url
):
    login(busy_client, "sec_sngv")
    data = FORM | {"csrf_token": csrf_of(busy_client.get(FORM_URL).text)}
    with write_lock(database_url, _step_ids(session, FORM_STEP)):
        refused = busy_client.post(FORM_URL, data=data)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.headers["content-type"].startswith("text/html")
    assert "Hệ thống đang bận" in refused.text and "thử lại sau ít giây" in refused.text
    assert _untouched(session, FORM_STEP)

    done = busy_client.post(FORM_URL, data=data)
    assert done.status_code == 303
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2026, key=FORM_STEP)
    assert (step.state, step.ref) == ("done", "177/BC-SNgV")


def _lock_wait(engine: sa.Engine) -> str:
    query = "PRAGMA busy_timeout" if BACKEND != "postgres" else "SHOW lock_timeout"
    with engine.connect() as conn:
        return str(conn.execute(sa.text(query)).scalar_one())


def test_the_web_waits_for_a_lock_less_than_the_jobs(settings, database_url):
    """The web tells a user within seconds; the CLI and jobs keep waiting their 30 s (SQLite)."""
    app = create_app(settings, clock=lambda: NOW)
    job = make_engine(database_url)
    try:
        web_wait, job_wait = _lock_wait(app.state.engine), _lock_wait(job)
    finally:
        app.state.engine.dispose()
        job.dispose()
    assert settings.web_busy_timeout == 5.0
    if BACKEND == "postgres":
        assert (web_wait, job_wait) == ("5s", "0")  # 0: no limit, as before
    else:
        assert (web_wait, job_wait) == ("5000", "30000")


def test_it_tells_a_lock_error_from_other_database_errors(database_url, session, opened_2026):
    engine = make_engine(database_url, busy_timeout=0.2)
    try:
        with write_lock(database_url, _step_ids(session, API_STEP)), engine.connect() as conn:
            with pytest.raises(OperationalError) as locked:
                conn.execute(sa.update(STEP).values(note="x"))
        assert is_busy_error(locked.value)
        with engine.connect() as conn, pytest.raises(DBAPIError) as missing:
            conn.execute(sa.text("SELECT * FROM no_such_table"))
        assert not is_busy_error(missing.value)
    finally:
        engine.dispose()


def test_other_database_errors_stay_a_500(settings, tokens, monkeypatch):
    """Only a lock is worth a retry; a broken database must not hide behind 'try again'."""

    def broken(**_kwargs: object) -> bool:
        try:
            sqlite3.connect(":memory:").execute("SELECT * FROM step")
        except sqlite3.OperationalError as exc:
            raise OperationalError("SELECT * FROM step", {}, exc) from exc
        return True

    monkeypatch.setattr("web.api.cycles.mark_done", broken)
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(API_URL, json=COMPLETE, headers=bearer(tokens["sec_sngv"]))
    app.state.engine.dispose()
    assert response.status_code == 500
    assert "retry-after" not in response.headers


OPEN_2027 = """
import sys
from sqlmodel import Session
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine

engine = make_engine(sys.argv[1])
with Session(engine) as session:
    result = open_cycle(session=session, year=2027, rules=load_rule_set(), chunk_size=50)
print(result.created)
"""


def _count_2027(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(STEP).where(STEP.c.year == 2027)
        ).scalar_one()


def test_api_writes_go_through_between_the_chunks_of_a_cycle_open(
    client, tokens, session, database_url
):
    """A real `open_cycle` on ~4,000 agencies (50 per chunk) in another process while the API
    takes writes with the default busy timeout: none fails with a 500, and writes commit while
    the year is half open (one transaction for the whole year would show 0 or all steps)."""
    upsert_agencies(session=session, header=FIELDS, data=national_rows(4000))
    engine = make_engine(database_url)
    job = subprocess.Popen(
        [sys.executable, "-c", OPEN_2027, database_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    statuses: list[int] = []
    seen: list[int] = []  # the 2027 steps committed when a write had just succeeded
    try:
        deadline = time.monotonic() + 120
        while _count_2027(engine) == 0 and job.poll() is None:
            assert time.monotonic() < deadline, "cycle open never started writing"
            time.sleep(0.01)
        n = 0
        while job.poll() is None:
            n += 1
            response = client.post(
                API_URL,
                json=COMPLETE | {"ref": f"{n}/KH-TEST"},
                headers=bearer(tokens["sec_sngv"]),
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                seen.append(_count_2027(engine))
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
        engine.dispose()
    assert job.returncode == 0, err
    total = int(out)
    assert total > 30_000
    assert statuses and set(statuses) <= {200, 503}, statuses
    assert any(0 < c < total for c in seen), (seen, total)
