"""Time the 7.2 score paths on a province of N agencies; prints JSON.

`python -m bench.scores [N] [DATABASE_URL]` (default 5000 agencies on a temporary SQLite file):
every agency's six criteria stored in bulk (one in ten reviewed), then the province's final
totals (score_totals), their distribution, and one agency's card with its suggestions.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlmodel import Session

from models import iso
from models.agencies import upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate
from models.iso.scores import SCORE
from models.tables import AGENCY

YEAR = 2026
TODAY = date(2026, 12, 31)


def run(count: int, url: str) -> dict[str, object]:
    engine = make_engine(url)
    migrate(engine)
    scheme = iso.scheme_for_year(YEAR)
    timings: dict[str, float] = {}
    with Session(engine) as session:
        rows = [[f"A{n:05d}", f"UBND xã số {n}", "ubnd_xa", ""] for n in range(count)]
        upsert_agencies(session=session, header=["code", "name", "kind", "parent_code"], data=rows)
        open_cycle(session=session, year=YEAR, rules=load_rule_set())
        ids = list(session.execute(select(AGENCY.c.id)).scalars())
        stored = [
            {
                "id": uuid.uuid4(),
                "agency_id": agency_id,
                "year": YEAR,
                "criterion": c.code,
                "scheme": scheme.decision,
                "self_quarters": 0 if (n * 7 + i) % (n % 6 + 2) == 0 else int(c.max_points * 4),
                "reviewed_quarters": 0 if n % 10 == 0 and i == 1 else None,
            }
            for n, agency_id in enumerate(ids)
            for i, c in enumerate(scheme.criteria)
        ]
        session.execute(insert(SCORE), stored)
        session.commit()

        start = time.perf_counter()
        totals = iso.score_totals(session=session, year=YEAR, agency_ids=ids, scheme=scheme)
        timings["score_totals_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        bands = iso.score_distribution(totals, scheme.max_total)
        timings["score_distribution_s"] = round(time.perf_counter() - start, 4)
        start = time.perf_counter()
        iso.score_card(session=session, agency_code="A00001", year=YEAR, today=TODAY)
        timings["one_score_card_s"] = round(time.perf_counter() - start, 3)
    engine.dispose()
    return {"agencies": count, "scored": len(totals), "bands": bands, **timings}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    if len(sys.argv) > 2:
        report = run(count, sys.argv[2])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run(count, f"sqlite:///{Path(tmp) / 'bench.db'}")
    sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
