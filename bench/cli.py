"""Time cold `isocycle` processes (--help, status, a remind pass with nothing to send); print JSON.

Usage: python -m bench.cli [--agencies 100] [--runs 5] [--db URL]
Each command runs --runs times as a fresh process of the installed entry point, against a
province of N agencies with the 2026 cycle open; mail goes to .eml files in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench.reminders import province_rows
from models.agencies import FIELDS, upsert_agencies
from models.calendar import load_rule_set
from models.cycles import open_cycle
from models.db import make_engine, migrate

YEAR = 2026
# A Monday morning in March: the first remind pass sends what is due, the timed ones find nothing.
REMIND_AT = "2026-03-02T07:30"


def entry_point() -> str:
    """The `isocycle` script installed next to this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).parent / "isocycle"
    found = str(beside) if beside.exists() else shutil.which("isocycle")
    if found is None:
        raise SystemExit("the isocycle entry point is not installed (make .venv/.installed-stamp)")
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run one cold process; return its wall and CPU seconds and its stdout.

    CPU time (of the process and all it waited for) varies less than wall time on a busy machine.
    """
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, cpu, done.stdout


def summary(wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        "min_s": round(min(wall), 3),
        "median_s": round(statistics.median(wall), 3),
        "max_s": round(max(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    isocycle = entry_point()
    with tempfile.TemporaryDirectory(prefix="isocycle-bench-cli-") as name:
        tmp = Path(name)
        url = args.db or f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        with Session(engine) as session:
            rows = province_rows(args.agencies)
            upsert_agencies(session=session, header=list(FIELDS), data=rows, actor="bench")
            opened = open_cycle(session=session, year=YEAR, rules=load_rule_set(), actor="bench")
        engine.dispose()

        env = {k: v for k, v in os.environ.items() if not k.startswith("ISOCYCLE_")}
        env.update(
            ISOCYCLE_MAIL_OUTBOX_DIR=str(tmp / "outbox"),
            PREFECT_HOME=str(tmp / "prefect"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_LOGGING_LEVEL="WARNING",
        )
        commands = {
            "help": [isocycle, "--help"],
            "status": [isocycle, "--db", url, "status", str(YEAR)],
            "remind_nothing_due": [isocycle, "--db", url, "remind", "--now", REMIND_AT],
        }
        # Untimed: sends what is due at REMIND_AT and sets up the Prefect home once.
        _, _, first = run(commands["remind_nothing_due"], env, tmp)
        figures: dict[str, Any] = {
            "agencies": len(rows),
            "steps": opened.created,
            "database": engine.dialect.name,
            "runs": args.runs,
            "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine
            "first_remind": first.strip(),
        }
        for label, command in commands.items():
            wall, cpu = [], []
            for _ in range(args.runs):
                elapsed, used, out = run(command, env, tmp)
                # No SMTP server here: mail would be written to files, never sent.
                nothing = f"written to files in {(tmp / 'outbox').resolve()}: 0;"
                if label == "remind_nothing_due" and nothing not in out:
                    raise SystemExit(f"a timed remind pass delivered mail: {out}")
                wall.append(elapsed)
                cpu.append(used)
            figures[label] = summary(wall, cpu)
    return figures


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(), ensure_ascii=False, indent=2) + "\n")
