"""Generate a realistic national agency tree for benchmarks from the 2025 list of communes."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from models.agencies import FIELDS
from models.demo import UNITS_CSV, commune_agency_name

DEPARTMENTS = [
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SNV", "Sở Nội vụ"),
    ("STC", "Sở Tài chính"),
    ("SCT", "Sở Công Thương"),
    ("SXD", "Sở Xây dựng"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("STP", "Sở Tư pháp"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SNGV", "Sở Ngoại vụ"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo"),
    ("TTR", "Thanh tra tỉnh"),
]
BRANCHES = [
    ("CCQLTT", "Chi cục Quản lý thị trường", "SCT"),
    ("CCKL", "Chi cục Kiểm lâm", "SNNMT"),
    ("CCTL", "Chi cục Thủy lợi", "SNNMT"),
    ("CCDS", "Chi cục Dân số", "SYT"),
]


# Units under each commune, added in turn until the target size is reached (20,000 ≈ the country
# before the 2025 merger).
COMMUNE_UNITS = [
    ("TT", "Trung tâm phục vụ hành chính công", "trung_tam"),
    ("TYT", "Trạm Y tế", "don_vi_su_nghiep"),
    ("MN", "Trường Mầm non", "don_vi_su_nghiep"),
    ("TH", "Trường Tiểu học", "don_vi_su_nghiep"),
    ("THCS", "Trường Trung học cơ sở", "don_vi_su_nghiep"),
]


def national_rows(target: int) -> list[list[str]]:
    """Return `target` import rows: each province's departments and communes, then commune units."""
    communes: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with UNITS_CSV.open(encoding="utf-8") as fh:
        for unit in csv.DictReader(fh):
            communes[(unit["province_code"], unit["province_name"])].append(unit)
    rows: list[list[str]] = []

    def add(code: str, name: str, kind: str, parent: str) -> None:
        mail = code.lower().replace("-", ".")
        rows.append(
            [
                code,
                name,
                kind,
                parent,
                "Nguyễn Thị Hà",
                f"thuky.{mail}@bench.example",
                "Trần Văn Minh",
                f"thutruong.{mail}@bench.example",
                "1",
                "",
                "",
                "",  # abbreviation: document_abbreviation falls back to UBND or the code
            ]
        )

    for (pcode, pname), units in sorted(communes.items()):
        root = f"P{pcode}"
        # "UBND tỉnh Hà Tĩnh", "UBND thành phố Hà Nội": the unit type is a common noun here.
        pname = pname[:1].lower() + pname[1:]
        add(root, f"UBND {pname}", "ubnd_tinh", "")
        add(f"{root}-VP", f"Văn phòng UBND {pname}", "van_phong", root)
        for code, name in DEPARTMENTS:
            add(f"{root}-{code}", f"{name} {pname}", "so", root)
        for code, name, parent in BRANCHES:
            add(f"{root}-{code}", f"{name} {pname}", "chi_cuc", f"{root}-{parent}")
        for unit in units:
            add(f"X{unit['unit_code']}", commune_agency_name(unit), "ubnd_xa", root)
    # Parents come before their units, so cutting the list at `target` leaves no orphan.
    commune_rows = [r for r in rows if r[2] == "ubnd_xa"]
    for suffix, label, kind in COMMUNE_UNITS:
        for commune in commune_rows:
            if len(rows) >= target:
                return rows[:target]
            add(
                f"{commune[0]}-{suffix}",
                f"{label} {commune[1].removeprefix('UBND ')}",
                kind,
                commune[0],
            )
    return rows[:target]


def write_csv(path: Path, target: int) -> int:
    rows = national_rows(target)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return len(rows)
