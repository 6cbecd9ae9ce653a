"""Time the overseer dashboard for a province of N agencies; prints JSON.

Run: .venv/bin/python -m bench.web [AGENCIES ...]   (default 300 and 5000)
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from config.settings import Settings
from models.agencies import FIELDS, upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate
from models.progress import overview, select_agencies
from models.tables import STEP, STEP_DONE
from models.users import create_user, scope_of
from web.app import create_app, settle_heap

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)
RUNS = 20


def province(n: int) -> list[list[str]]:
    """A root, twenty departments with a unit each, and communes up to n agencies."""
    rows = [["HATINH", "UBND tỉnh", "ubnd_tinh", ""]]
    for i in range(20):
        rows.append([f"SO{i:02}", f"Sở số {i}", "so", "HATINH"])
        rows.append([f"CC{i:02}", f"Chi cục số {i}", "chi_cuc", f"SO{i:02}"])
    while len(rows) < n:
        rows.append([f"XA{len(rows):05}", f"UBND xã số {len(rows)}", "ubnd_xa", "HATINH"])
    width = len(FIELDS)
    return [r + [""] * (width - len(r)) for r in rows[:n]]


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def measure(n: int, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / f'bench-{n}.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        upsert_agencies(session=session, header=list(FIELDS), data=province(n))
        open_cycle(session=session, year=2026, rules=load_rule_set())
        # Most past deadlines met, so the matrix has every status.
        session.execute(
            update(STEP)
            .where(STEP.c.due < date(2026, 10, 1))
            .values(state=STEP_DONE, done_on=STEP.c.due, ref="1/KH")
        )
        session.commit()
        user = create_user(session=session, username="admin", password="bench-pass", role="admin")
        scope = scope_of(session=session, user=user)

        def counts() -> None:
            chosen = select_agencies(session=session, scope=scope)
            overview(session=session, selection=chosen, year=2026, today=TODAY)

        query_ms = [timed(counts) for _ in range(RUNS)]
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        client.post(
            "/login",
            data={"username": "admin", "password": "bench-pass", "csrf_token": token.group(1)},
        )
        for _ in range(2):  # warm-up: template compilation, first connection
            assert client.get("/dashboard?year=2026").status_code == 200
        settle_heap()  # as `isocycle web` does before serving
        page_ms = [timed(lambda: client.get("/dashboard?year=2026")) for _ in range(RUNS)]
        search_ms = [timed(lambda: client.get("/dashboard?year=2026&q=xa+so+1")) for _ in range(5)]
        list_ms = [
            timed(lambda: client.get("/dashboard/list?year=2026&status=overdue")) for _ in range(5)
        ]
        xlsx_ms = [timed(lambda: client.get("/dashboard.xlsx?year=2026")) for _ in range(3)]
        size = len(client.get("/dashboard?year=2026").content)
    app.state.engine.dispose()
    engine.dispose()
    budget = 150 if n <= 300 else 500
    return {
        "agencies": n,
        "steps": n * 9,
        "dashboard_request": summary(page_ms),
        "dashboard_counts": summary(query_ms),
        "search_request": summary(search_ms),
        "list_request": summary(list_ms),
        "xlsx_request": summary(xlsx_ms),
        "html_bytes": size,
        "budget_ms": budget,
        "within_budget": statistics.median(page_ms) < budget,
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [300, 5000]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(n, Path(tmp)) for n in sizes]
    report = {"bench": "web.dashboard", "runs": RUNS, "results": results}
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
