"""Time the severity table of the dashboard and the audits API with findings; prints JSON.

Run: .venv/bin/python -m bench.web_iso [AGENCIES ...]   (default 300 and 5000)
Every agency gets one internal audit with five findings (inserted in bulk, not through the
model functions, which are timed separately by posting a few audits through the API).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlmodel import Session

from bench.web import province, summary, timed
from config.settings import Settings
from models.agencies import FIELDS, upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate
from models.iso import SEVERITIES, Finding, InternalAudit, severity_counts_for_year
from models.tables import AGENCY, table_of
from models.users import create_user, issue_token
from web.app import create_app, settle_heap

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
RUNS = 20
AUDIT = {
    "start_on": "2026-10-05",
    "end_on": "2026-10-07",
    "ref": "25/BC-ĐGNB",
    "findings": [
        {"severity": s, "clause": "8.5.1", "unit": "Một cửa", "description": "Trễ hạn"}
        for s in ("major", "minor", "observation")
    ],
}


def fill(session: Session) -> int:
    """One audit with five findings per agency; return the number of findings."""
    ids = session.execute(select(AGENCY.c.id)).scalars().all()
    audits, findings = [], []
    for agency_id in ids:
        audit_id = uuid.uuid4()
        audits.append(
            {
                "id": audit_id,
                "agency_id": agency_id,
                "year": 2026,
                "kind": "internal",
                "start_on": date(2026, 10, 5),
                "end_on": date(2026, 10, 7),
                "ref": "1/BC",
                "created_by": "bench",
                "created_at": NOW,
            }
        )
        for n in range(1, 6):
            findings.append(
                {
                    "id": uuid.uuid4(),
                    "audit_id": audit_id,
                    "agency_id": agency_id,
                    "year": 2026,
                    "number": n,
                    "severity": SEVERITIES[n % 3],
                    "unit": "Văn phòng",
                    "description": "Phát hiện",
                }
            )
    session.execute(insert(table_of(InternalAudit)), audits)
    session.execute(insert(table_of(Finding)), findings)
    session.commit()
    return len(findings)


def measure(n: int, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / f'bench-iso-{n}.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        upsert_agencies(session=session, header=list(FIELDS), data=province(n))
        open_cycle(session=session, year=2026, rules=load_rule_set())
        findings = fill(session)
        counts_ms = [
            timed(lambda: severity_counts_for_year(session=session, year=2026)) for _ in range(RUNS)
        ]
        user = create_user(session=session, username="admin", password="bench-pass", role="admin")
        token = issue_token(session=session, user=user)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, clock=lambda: NOW)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        page = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        client.post(
            "/login",
            data={"username": "admin", "password": "bench-pass", "csrf_token": csrf.group(1)},
        )
        for _ in range(2):
            assert client.get("/dashboard?year=2026").status_code == 200
        settle_heap()
        page_ms = [timed(lambda: client.get("/dashboard?year=2026")) for _ in range(RUNS)]
        audits = "/api/v1/agencies/SO00/cycles/2026/audits"
        get_ms = [timed(lambda: client.get(audits, headers=headers)) for _ in range(RUNS)]
        post_ms = []
        for i in range(5):
            code = f"SO{i + 1:02}"
            url_i = f"/api/v1/agencies/{code}/cycles/2026/audits"
            post_ms.append(timed(lambda u=url_i: client.post(u, json=AUDIT, headers=headers)))
    app.state.engine.dispose()
    engine.dispose()
    return {
        "agencies": n,
        "findings": findings,
        "severity_counts_for_year": summary(counts_ms),
        "dashboard_request": summary(page_ms),
        "get_audits_request": summary(get_ms),
        "post_audit_request": summary(post_ms),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [300, 5000]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(n, Path(tmp)) for n in sizes]
    sys.stdout.write(json.dumps({"bench": "web.iso", "runs": RUNS, "results": results}) + "\n")


if __name__ == "__main__":
    main()
