"""A realistic Hà Tĩnh dataset, built from the seed reports and the 2025 list of communes."""

from __future__ import annotations

import csv
import hashlib
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from config.settings import CONFIG_DIR
from models.agencies import FIELDS, upsert_agencies
from models.calendar import RuleSet
from models.cycles import mark_done, open_cycle
from models.tables import AGENCY, STEP_OPEN, Step

UNITS_CSV = CONFIG_DIR / "data" / "vn_units_2025.csv"
HA_TINH = "42"
MAIL_DOMAIN = "demo.hatinh.example"  # RFC 2606: can never reach a real mailbox
RESTRUCTURED_ON = date(2025, 7, 1)

# (code, name, kind, parent): the province's own agencies, as named in the seed reports.
PROVINCE_AGENCIES = [
    ("HATINH", "UBND tỉnh Hà Tĩnh", "ubnd_tinh", None),
    ("VPUBND", "Văn phòng UBND tỉnh Hà Tĩnh", "van_phong", "HATINH"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "so", "HATINH"),
    ("SNGV", "Sở Ngoại vụ", "so", "HATINH"),
    ("TTDVDN", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "trung_tam", "SNGV"),
    ("SCT", "Sở Công Thương", "so", "HATINH"),
    ("CCQLTT", "Chi cục Quản lý thị trường", "chi_cuc", "SCT"),
    ("SNV", "Sở Nội vụ", "so", "HATINH"),
    ("STC", "Sở Tài chính", "so", "HATINH"),
    ("SXD", "Sở Xây dựng", "so", "HATINH"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "so", "HATINH"),
    ("SYT", "Sở Y tế", "so", "HATINH"),
    ("STP", "Sở Tư pháp", "so", "HATINH"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "so", "HATINH"),
    ("CCKL", "Chi cục Kiểm lâm", "chi_cuc", "SNNMT"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "so", "HATINH"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "so", "HATINH"),
    ("TTR", "Thanh tra tỉnh", "so", "HATINH"),
]
# Before 1/7/2025: thị xã Hồng Lĩnh and its commune Thuận Lộc (seed 003), kept with their history.
HISTORICAL_AGENCIES = [
    ("TXHL", "UBND thị xã Hồng Lĩnh", "ubnd_huyen", "HATINH"),
    ("XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "TXHL"),
    ("XTHUANLOC-VP", "Văn phòng HĐND và UBND xã Thuận Lộc", "phong", "XTHUANLOC"),
]
PEOPLE = [
    "Nguyễn Thị Hà",
    "Trần Văn Minh",
    "Lê Thị Thu",
    "Phạm Quốc Huy",
    "Hoàng Thị Lan",
    "Võ Văn Đức",
    "Đặng Thị Nga",
    "Bùi Xuân Trường",
    "Đỗ Thị Hương",
    "Hồ Sỹ Tùng",
]


def _mailbox(code: str, role: str) -> str:
    return f"{role}.{code.lower()}@{MAIL_DOMAIN}"


def _pick(seed: str, choices: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % choices


def ha_tinh_communes(path: Path = UNITS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["province_code"] == HA_TINH]


def demo_rows() -> tuple[list[str], list[list[str]]]:
    """Return the import header and rows of the demo province."""
    rows: list[list[str]] = []

    def add(
        code: str,
        name: str,
        kind: str,
        parent: str | None,
        valid_from: str = "",
        valid_to: str = "",
    ) -> None:
        secretary, head = PEOPLE[_pick(code, len(PEOPLE))], PEOPLE[_pick(code + "h", len(PEOPLE))]
        rows.append(
            [
                code,
                name,
                kind,
                parent or "",
                secretary,
                _mailbox(code, "thuky"),
                head,
                _mailbox(code, "thutruong"),
                "1" if not valid_to else "0",
                valid_from,
                valid_to,
            ]
        )

    for code, name, kind, parent in PROVINCE_AGENCIES:
        add(code, name, kind, parent)
    for code, name, kind, parent in HISTORICAL_AGENCIES:
        add(
            code,
            name,
            kind,
            parent,
            "2018-01-01",
            (RESTRUCTURED_ON - timedelta(days=1)).isoformat(),
        )
    for unit in ha_tinh_communes():
        add(
            f"UB{unit['unit_code']}",
            f"UBND {unit['unit_full_name']}",
            "ubnd_xa",
            "HATINH",
            RESTRUCTURED_ON.isoformat(),
        )
    return list(FIELDS), rows


def load_demo(*, session: Session, rules: RuleSet, today: date) -> dict[str, int]:
    """Load the demo agencies, open last year and this year, and complete a realistic mix.

    About six in ten past-due steps are done on time, one in six late, and the rest left open.
    """
    imported = upsert_agencies(session=session, header=demo_rows()[0], data=demo_rows()[1])
    counts = {"agencies": imported.created + imported.updated + imported.unchanged}
    for year in (today.year - 1, today.year):
        counts[f"steps_{year}"] = open_cycle(
            session=session, year=year, rules=rules, actor="demo"
        ).created
    codes: dict[uuid.UUID, str] = dict(
        session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples().all()
    )
    done = 0
    for year in (today.year - 1, today.year):
        steps = session.exec(
            orm_select(Step)
            .where(Step.year == year, Step.state == STEP_OPEN, col(Step.due) <= today)
            .order_by(col(Step.due))
        ).all()
        for step in steps:
            roll = _pick(f"{codes[step.agency_id]}:{year}:{step.key}", 12)
            if roll >= 10 and year == today.year:
                continue  # left open: overdue
            offset = -_pick(step.key + str(year), 9) if roll < 8 else 3 + roll * 2
            done_on = min(step.due + timedelta(days=offset), today)
            ref = (
                f"{10 + roll * 7}/{'BC' if 'report' in step.key else 'KH'}-{codes[step.agency_id]}"
            )
            done += mark_done(
                session=session,
                step=step,
                done_on=done_on,
                ref=ref,
                note=None,
                actor="demo",
                today=today,
                check=False,
            )
    counts["steps_done"] = done
    return counts
