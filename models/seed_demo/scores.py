"""The 7.2 self-scores the seeds state (QĐ 3396/QĐ-UBND), entered as each agency scored itself.

- Seed 001 (Sở Ngoại vụ, 177/BC-SNgV of 17/11/2021): "tự chấm điểm ... với tổng số điểm: 5/5
  (gửi kèm theo phụ lục IA)"; its Phụ lục IA scores Trung tâm DTDVĐN "0,5 0,5 1 1,5 1 0,5 = 5".
  The report gives Sở Ngoại vụ's total only: 5/5 is every criterion's maximum.
- Seed 002 (Sở Công Thương, report of 22/11/2021): "chấm điểm ở mức 4,5/5,0 điểm", 0 on 7.2.2
  ("Số quy trình nội bộ dưới 05 quy trình"), with a note per criterion.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from models import iso
from models.calendar import RuleSet
from models.iso.scores import SCORE

ACTOR = "demo"
SEED_001 = "Theo Báo cáo 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ"
SEED_001_IA = "Theo Phụ lục IA, Báo cáo 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ"
SEED_002 = "Theo Báo cáo năm 2021 của Sở Công Thương ngày 22/11/2021, mục 11 Tự chấm điểm"
# Seed 002's "Ghi chú" column, criterion by criterion.
SCT_NOTES = {
    "7.2.1": "Thực hiện đầy đủ, kịp thời",
    "7.2.2": "Số quy trình nội bộ dưới 05 quy trình",
    "7.2.3": "Tuân thủ theo quy trình/ hướng dẫn đã ban hành",
    "7.2.4": "Tuân thủ theo quy trình đã công bố",
    "7.2.5": "Tuân thủ theo quy trình có file kết quả gắn kèm",
    "7.2.6": "Đảm bảo từ 90% hồ sơ, tài liệu trở lên được sắp xếp, lưu trữ theo quy định",
}
CODES = ("7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.2.5", "7.2.6")
# (agency, year, the report's date, points per criterion, reason, notes)
SCORES: list[tuple[str, int, date, tuple[str, ...], str, dict[str, str]]] = [
    ("SNGV", 2021, date(2021, 11, 17), ("0,5", "0,5", "1", "1,5", "1", "0,5"), SEED_001, {}),
    ("TTDVDN", 2021, date(2021, 11, 17), ("0,5", "0,5", "1", "1,5", "1", "0,5"), SEED_001_IA, {}),
    ("SCT", 2021, date(2021, 11, 22), ("0,5", "0", "1", "1,5", "1", "0,5"), SEED_002, SCT_NOTES),
]


def load(*, session: Session, rules: RuleSet, iso_rules: Any, today: date) -> dict[str, int]:
    """Enter the seeds' self-scores; adds nothing for an agency-year already scored."""
    added = 0
    for code, year, reported, points, reason, notes in SCORES:
        if reported > today:
            continue
        agency = iso.get_agency(session, code)
        have = session.execute(
            select(func.count()).where(SCORE.c.agency_id == agency.id, SCORE.c.year == year)
        ).scalar_one()
        if have:
            continue
        iso.set_self_scores(
            session=session,
            agency_code=code,
            year=year,
            entries=[
                iso.ScoreIn(c, p, reason, notes.get(c)) for c, p in zip(CODES, points, strict=True)
            ],
            actor=ACTOR,
            today=today,
            periods=iso_rules.periods,
        )
        added += len(CODES)
    return {"seed_scores": added}
