"""Time the ISO bulk paths on a province of N agencies; prints JSON.

`python -m bench.iso [N] [DATABASE_URL]` (default 20000 agencies on a temporary SQLite file):
a legal change affecting every agency, findings and actions for one in ten agencies, the
province-wide counts by severity, and the events list.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlmodel import Session

from models import iso
from models.agencies import upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate

YEAR = 2026
TODAY = date(2026, 12, 31)


def run(count: int, url: str) -> dict[str, object]:
    engine = make_engine(url)
    migrate(engine)
    rules = load_rule_set()
    iso_rules = iso.load_iso_rules()
    timings: dict[str, float] = {}
    with Session(engine) as session:
        rows = [[f"A{n:05d}", f"UBND xã số {n}", "ubnd_xa", ""] for n in range(count)]
        upsert_agencies(session=session, header=["code", "name", "kind", "parent_code"], data=rows)
        open_cycle(session=session, year=YEAR, rules=rules)

        start = time.perf_counter()
        result = iso.record_event(
            session=session,
            kind="legal_change",
            number="BENCH/QĐ-UBND",
            effective_on=date(YEAR, 3, 15),
            agency_codes=[r[0] for r in rows],
            actor="bench",
            rules=iso_rules,
            working=rules.working,
        )
        timings["legal_change_all_agencies_s"] = time.perf_counter() - start

        audited = [r[0] for r in rows[::10]]
        start = time.perf_counter()
        for code in audited:
            iso.record_audit(
                session=session,
                agency_code=code,
                year=YEAR,
                start_on=date(YEAR, 9, 29),
                end_on=date(YEAR, 9, 30),
                ref="CT ĐGNB",
                team=None,
                scope_units=[],
                findings=[
                    iso.FindingIn("minor", "Văn phòng", "Hồ sơ trễ hạn"),
                    iso.FindingIn("observation", "Văn phòng", "Biểu mẫu cũ"),
                ],
                actor="bench",
                today=TODAY,
            )
        timings["audit_per_agency_ms"] = (time.perf_counter() - start) / len(audited) * 1000

        start = time.perf_counter()
        counts = iso.severity_counts_for_year(session=session, year=YEAR)
        timings["severity_counts_for_year_s"] = time.perf_counter() - start

        start = time.perf_counter()
        events = iso.list_events(session=session, year=YEAR)
        timings["list_events_s"] = time.perf_counter() - start
    engine.dispose()
    return {
        "agencies": count,
        "backend": engine.dialect.name,
        "procedure_update_steps": result.steps_created,
        "audited_agencies": len(audited),
        "agencies_with_findings": len(counts),
        "open_steps_of_event": events[0]["open_steps"],
        **{k: round(v, 4) for k, v in timings.items()},
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    if len(sys.argv) > 2:
        report = run(count, sys.argv[2])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run(count, f"sqlite:///{Path(tmp) / 'bench.db'}")
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
