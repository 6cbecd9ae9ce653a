"""Benchmark: decide and queue every reminder for 5,000 agencies, then deliver to a local sink.

Usage: python -m bench.reminders [--agencies 5000] [--db URL] [--day 2026-10-27]
Prints JSON: setup sizes, seconds to decide and queue, messages per second delivered over SMTP to
an aiosmtpd sink running in its own process, and peak memory (RSS) of this process.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from config.settings import Settings
from models.agencies import FIELDS, upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate
from models.demo import PROVINCE_AGENCIES, UNITS_CSV, commune_agency_name
from models.reminders import DELIVERY, REMINDER, decide_reminders, load_policy
from models.tables import STEP, STEP_DONE, STEP_OPEN
from notifications.outbox import deliver_pending


def _pick(seed: str, choices: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % choices


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def province_rows(count: int) -> list[list[str]]:
    """A province-like tree: UBND tỉnh, its Sở and chi cục, public units under them, communes."""
    rows: list[list[str]] = []

    def add(code: str, name: str, kind: str, parent: str) -> None:
        rows.append(
            [
                code,
                name,
                kind,
                parent,
                "Thư ký ISO",
                f"thuky.{code.lower()}@bench.example",
                "Thủ trưởng",
                f"thutruong.{code.lower()}@bench.example",
                "1",
                "",
                "",
                "",  # abbreviation: document_abbreviation falls back to UBND or the code
            ]
        )

    for code, name, kind, parent in PROVINCE_AGENCIES:
        add(code, name, kind, parent or "")
    with UNITS_CSV.open(encoding="utf-8") as fh:
        communes = list(csv.DictReader(fh))
    for unit in communes:
        if len(rows) >= count * 2 // 3:
            break
        add(f"UB{unit['unit_code']}", commune_agency_name(unit), "ubnd_xa", "HATINH")
    sos = [c for c, _, kind, _ in PROVINCE_AGENCIES if kind == "so"]
    n = 0
    while len(rows) < count:
        parent = sos[n % len(sos)]
        add(
            f"{parent}-DV{n:04d}",
            f"Đơn vị sự nghiệp số {n} thuộc {parent}",
            "don_vi_su_nghiep",
            parent,
        )
        n += 1
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the aiosmtpd sink did not start")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument(
        "--db", default=None, help="database URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--day", default="2026-10-27")
    args = parser.parse_args(argv)
    day = date.fromisoformat(args.day)
    tmp = Path(tempfile.mkdtemp(prefix="isocycle-bench-"))
    url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    migrate(engine)
    rules = load_rule_set()
    policy = load_policy()
    out: dict[str, Any] = {"database": engine.dialect.name, "day": day.isoformat()}

    with Session(engine) as session:
        upsert_agencies(session=session, header=list(FIELDS), data=province_rows(args.agencies))
        opened = open_cycle(session=session, year=day.year, rules=rules, actor="bench")
        # About 30% of all steps left overdue: most past-due steps done, the rest open.
        past = session.execute(
            select(STEP.c.id, STEP.c.key, STEP.c.agency_id).where(STEP.c.due < day)
        ).all()
        total = opened.created
        keep_open = int(total * 0.30)
        ranked = sorted(past, key=lambda r: _pick(f"{r.agency_id}:{r.key}", 1_000_003))
        done = [{"b_id": r.id} for r in ranked[keep_open:]]
        session.connection().execute(
            update(STEP)
            .where(STEP.c.id == bindparam("b_id"))
            .values(state=STEP_DONE, done_on=day, ref="bench"),
            done,
        )
        session.commit()
        overdue = session.execute(
            select(func.count())
            .select_from(STEP)
            .where(STEP.c.state == STEP_OPEN, STEP.c.due < day)
        ).scalar_one()
        out.update(agencies=len(province_rows(args.agencies)), steps=total, overdue_steps=overdue)
        out["overdue_share"] = round(overdue / total, 3)

        now = datetime.combine(day, dtime(7, 30), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(
            UTC
        )
        start = time.perf_counter()
        decided = decide_reminders(
            session=session, today=day, now=now, policy=policy, working=rules.working
        )
        out["decide_seconds"] = round(time.perf_counter() - start, 3)
        out["reminders_decided"] = decided.decided
        out["deliveries_queued"] = decided.deliveries
        out["peak_rss_mb_after_decide"] = _peak_rss_mb()

        start = time.perf_counter()
        again = decide_reminders(
            session=session, today=day, now=now, policy=policy, working=rules.working
        )
        out["decide_again_seconds"] = round(time.perf_counter() - start, 3)
        out["decided_again"] = again.decided

        port = free_port()
        sink = start_sink(port)
        try:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_outbox_dir=tmp / "outbox",
            )
            start = time.perf_counter()
            delivered = deliver_pending(session=session, settings=settings, policy=policy, now=now)
            elapsed = time.perf_counter() - start
        finally:
            sink.terminate()
            sink.wait(timeout=10)
        out["delivered"] = delivered.sent
        out["delivery_failed_or_retry"] = delivered.failed + delivered.retry
        out["delivery_seconds"] = round(elapsed, 3)
        out["delivery_msgs_per_second"] = round(delivered.sent / elapsed, 1) if elapsed else None
        out["ledger_rows"] = session.execute(
            select(func.count()).select_from(REMINDER)
        ).scalar_one()
        out["outbox_rows"] = session.execute(
            select(func.count()).select_from(DELIVERY)
        ).scalar_one()
    out["peak_rss_mb"] = _peak_rss_mb()
    out["targets"] = {
        "decide_under_2s": out["decide_seconds"] < 2,
        "delivery_at_least_200_per_s": (out["delivery_msgs_per_second"] or 0) >= 200,
    }
    engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))  # noqa: T201
