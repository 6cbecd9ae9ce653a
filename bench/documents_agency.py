"""Time one agency's report (.docx) and its appendices (.xlsx); prints JSON.

`python -m bench.documents_agency [N] [DATABASE_URL]` (default 5000 extra agencies on a
temporary SQLite file): the demo province first (Sở Ngoại vụ's 2021 report, 177/BC-SNgV), then
the same reports once N more agencies and their year's steps are in the database. Target: < 1 s
per report (issue 12).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session

from models.agencies import upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate
from models.demo import load_demo
from reports.agency_report import agency_report, appendix_xlsx

TODAY = date(2026, 11, 24)
RUNS = 5


def _ms(work: Callable[[], object]) -> float:
    """The median of a few runs, in milliseconds (the first run warms the template cache)."""
    work()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def _timings(session: Session) -> dict[str, float]:
    def docx(code: str, year: int, variant: str = "annual") -> Callable[[], object]:
        return lambda: agency_report(
            session=session, agency_code=code, year=year, variant=variant, today=TODAY,
            score_cards=[],
        )  # fmt: skip

    def xlsx(code: str, year: int) -> Callable[[], object]:
        return lambda: appendix_xlsx(
            session=session, agency_code=code, year=year, variant="annual", today=TODAY,
            score_cards=[],
        )  # fmt: skip

    return {
        "sngv_2021_docx_ms": _ms(docx("SNGV", 2021)),
        "sngv_2021_six_month_docx_ms": _ms(docx("SNGV", 2021, "six_month")),
        "sngv_2021_xlsx_ms": _ms(xlsx("SNGV", 2021)),
        "thuan_loc_2022_docx_ms": _ms(docx("XTHUANLOC", 2022)),
        "sct_2026_docx_ms": _ms(docx("SCT", 2026)),
    }


def run(count: int, url: str) -> dict[str, object]:
    engine = make_engine(url)
    migrate(engine)
    rules = load_rule_set()
    with Session(engine) as session:
        load_demo(session=session, rules=rules, today=TODAY)
        demo = _timings(session)
        rows = [[f"B{n:05d}", f"UBND xã thử số {n}", "ubnd_xa", "HATINH"] for n in range(count)]
        upsert_agencies(session=session, header=["code", "name", "kind", "parent_code"], data=rows)
        open_cycle(session=session, year=TODAY.year, rules=rules)
        big = _timings(session)
    engine.dispose()
    return {
        "extra_agencies": count,
        "runs": RUNS,
        "demo": demo,
        f"with_{count}_more_agencies": big,
        "target_ms": 1000,
        "within_target": max([*demo.values(), *big.values()]) < 1000,
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    if len(sys.argv) > 2:
        result = run(count, sys.argv[2])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(count, f"sqlite:///{Path(tmp) / 'bench.db'}")
    print(json.dumps(result, indent=2))  # noqa: T201 (a benchmark's output)


if __name__ == "__main__":
    main()
