"""Time importing the portal's dossier file for many agencies (.xlsx and .csv); prints JSON.

Run: .venv/bin/python -m bench.dossier_import [AGENCIES ...]   (default 5000)
Each size is timed importing into an empty period, then again replacing every row (history keeps
the old figures), for both file types (each in its own period). Reading the file is timed apart
from the whole import (which includes it).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from sqlmodel import Session

from bench.web import province, timed
from models.agencies import FIELDS, upsert_agencies
from models.db import make_engine, migrate
from models.iso import import_dossier_stats, read_dossier_file
from models.periods import annual

HEADER = [
    "STT",
    "Mã đơn vị",
    "Tên đơn vị",
    "Số hồ sơ tiếp nhận",
    "Đúng hạn",
    "Quá hạn",
    "Gắn kèm kết quả",
]


def rows(codes: list[str], bump: int) -> list[list[Any]]:
    return [[i, c, f"Đơn vị {c}", 100 + bump, 99 + bump, 1, 90] for i, c in enumerate(codes, 1)]


def xlsx(data: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ"])
    sheet.append(HEADER)
    for r in data:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(data: list[list[Any]]) -> bytes:
    lines = [";".join(HEADER)] + [";".join(str(c) for c in r) for r in data]
    return ("\n".join(lines) + "\n").encode()


def measure(n: int, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / f'dossiers-{n}.db'}"
    engine = make_engine(url)
    migrate(engine)
    out: dict[str, Any] = {"agencies": n}
    with Session(engine) as session:
        data = province(n)
        upsert_agencies(session=session, header=list(FIELDS), data=data)
        codes = [r[0] for r in data]
        for kind, make, period in (("xlsx", xlsx, annual(2026)), ("csv", csv, annual(2025))):
            for phase, bump in (("new", 0), ("replace", 1)):
                payload = make(rows(codes, bump))
                name = f"dvc.{kind}"
                read_ms = timed(lambda p=payload, nm=name: read_dossier_file(nm, p))
                total_ms = timed(
                    lambda p=payload, nm=name, pd=period: import_dossier_stats(
                        session=session, name=nm, data=p, period=pd, actor="bench"
                    )
                )
                out[f"{kind}_{phase}"] = {
                    "file_kb": round(len(payload) / 1024, 1),
                    "read_ms": round(read_ms, 1),
                    "import_ms": round(total_ms, 1),
                }
    engine.dispose()
    return out


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [5000]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(n, Path(tmp)) for n in sizes]
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
