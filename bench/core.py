"""Time agency import, cycle opening and the full status JSON for N agencies; print JSON.

Usage: python -m bench.core [--agencies 5000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlmodel import Session

from bench.province import write_csv
from cli.common import to_json
from models.agencies import import_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle, status_rows
from models.db import make_engine, migrate

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

            started = time.perf_counter()
            payload = to_json(status_rows(session=session, year=YEAR, today=TODAY))
            figures["status_json_s"] = round(time.perf_counter() - started, 3)
            figures["status_json_bytes"] = len(payload.encode())
        engine.dispose()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(), indent=2) + "\n")
