"""Time agency import, cycle opening and the full status JSON for N agencies; print JSON.

Memory: the process's peak RSS after import and cycle open, and at the end (the status JSON
is the largest); and the Python heap peak of opening the cycle alone (tracemalloc, on a second
open of the emptied year, so the timed run is not slowed by tracing).

Usage: python -m bench.core [--agencies 5000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session

from bench.province import write_csv
from cli.common import to_json
from models.agencies import import_agencies
from models.calendar import RuleSet, load_rule_set
from models.cycles import open_cycle, status_rows
from models.db import make_engine, migrate
from models.tables import STEP

YEAR = 2026
TODAY = date(2026, 10, 28)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        csv_path = Path(tmp) / "agencies.csv"
        count = write_csv(csv_path, args.agencies)
        rules = load_rule_set()
        figures: dict[str, object] = {"agencies": count, "database": engine.dialect.name}
        with Session(engine) as session:
            started = time.perf_counter()
            result = import_agencies(session=session, path=csv_path)
            figures["import_s"] = round(time.perf_counter() - started, 3)
            figures["imported"] = result.created

            started = time.perf_counter()
            result = import_agencies(session=session, path=csv_path)
            figures["reimport_unchanged_s"] = round(time.perf_counter() - started, 3)

            rules.working.holidays_in(YEAR)  # the holiday table is built once per process
            started = time.perf_counter()
            opened = open_cycle(session=session, year=YEAR, rules=rules)
            figures["cycle_open_s"] = round(time.perf_counter() - started, 3)
            figures["steps"] = opened.created

            started = time.perf_counter()
            again = open_cycle(session=session, year=YEAR, rules=rules)
            figures["cycle_reopen_s"] = round(time.perf_counter() - started, 3)
            assert again.created == 0  # idempotent: the second run creates nothing
            figures["peak_rss_after_open_mb"] = _peak_rss_mb()

            started = time.perf_counter()
            payload = to_json(status_rows(session=session, year=YEAR, today=TODAY))
            figures["status_json_s"] = round(time.perf_counter() - started, 3)
            figures["status_json_bytes"] = len(payload.encode())
            del payload
            # Before tracemalloc, whose own bookkeeping would inflate the process's peak.
            figures["peak_rss_mb"] = _peak_rss_mb()
            figures["cycle_open_peak_heap_mb"] = _open_heap_peak(session, rules)
        engine.dispose()
    return figures


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _open_heap_peak(session: Session, rules: RuleSet) -> float:
    """Empty the year, open it again under tracemalloc and return the heap peak in MB."""
    session.execute(delete(STEP).where(STEP.c.year == YEAR))
    session.commit()
    session.expire_all()
    tracemalloc.start()
    try:
        open_cycle(session=session, year=YEAR, rules=rules)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(), indent=2) + "\n")
