"""The seeds' training, budget, directing documents and own inspections, and Thuận Lộc's successor.

What each seed states, and what the demo adds only to hold it:
- Seed 001 (177/BC-SNgV, Phụ lục IIA) states counts, not lists: "Ban hành văn bản chỉ đạo: 05",
  one course held and three attended, "24 lượt", and "04 cuộc, 04 đơn vị". The demo's five
  documents are the ones the report itself names for 2021 (46/KH-SNgV, 163/SNgV-VPTTr, the
  biên bản of 15/6/2021, 25/QĐ-SNgV, 31/QĐ-SNgV); which five the annex counted is not said.
  The split of the 24 person-times between courses, and the inspections' dates and units, are
  the demo's own (the seed gives only totals). Budget: "được cấp 10.000.000 đồng"; what was
  spent is not given.
- Seed 002 (Sở Công Thương 2021): "Kinh phí được cấp cho năm 2021 từ ngân sách tỉnh là 9 triệu
  đồng", no training ("Sở không nhận được Văn bản mời tham dự"), and its directing documents
  51/KH-SCT, 231/SCT-VP2 and 248/SCT-VP4.
- Seed 003 (xã Thuận Lộc 2022): 0 trained, 0 courses; directing documents 12/KH-UBND and
  41/QĐ-UBND; no budget figure. On 1/7/2025 xã Thuận Lộc became part of phường Nam Hồng Lĩnh
  (code 18118, Nghị quyết 1665/NQ-UBTVQH15 Điều 1 khoản 67).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select as orm_select

from models import lineage
from models.calendar import RuleSet
from models.iso import activities
from models.iso.base import IsoRules
from models.periods import annual
from models.tables import Agency

ACTOR = "demo"
THUAN_LOC_SUCCESSOR = "UB18118"  # Phường Nam Hồng Lĩnh (QĐ 19/2025/QĐ-TTg code 18118)
THUAN_LOC_BASIS = "Nghị quyết 1665/NQ-UBTVQH15 Điều 1 khoản 67"

# code → (number, title, issued_on)
DOCUMENTS = {
    "SNGV": [
        (
            "46/KH-SNgV",
            "Kế hoạch áp dụng, duy trì, cải tiến HTQLCL TCVN ISO 9001:2015 năm 2021",
            date(2021, 1, 19),
        ),
        (
            "163/SNgV-VPTTr",
            "Công văn về tập trung khắc phục tồn tại, hạn chế trong thực hiện CCHC năm 2020 và "
            "tăng cường thực hiện các nhiệm vụ CCHC năm 2021",
            date(2021, 3, 10),
        ),
        ("", "Biên bản họp xem xét của Ban Chỉ đạo ISO", date(2021, 6, 15)),
        (
            "25/QĐ-SNgV",
            "Quyết định công bố HTQLCL tại Sở Ngoại vụ phù hợp TCVN ISO 9001:2015",
            date(2021, 7, 16),
        ),
        ("31/QĐ-SNgV", "Quyết định ban hành 14 quy trình nội bộ", date(2021, 9, 25)),
    ],
    "SCT": [
        (
            "231/SCT-VP2",
            "Văn bản chỉ đạo thực hiện các nhiệm vụ CCHC năm 2021",
            date(2021, 2, 22),
        ),
        (
            "51/KH-SCT",
            "Kế hoạch duy trì và cải tiến HTQLCL theo TCVN ISO 9001:2015 năm 2021",
            date(2021, 2, 23),
        ),
        ("248/SCT-VP4", "Văn bản ban hành Mục tiêu chất lượng ISO năm 2021", date(2021, 2, 25)),
    ],
    "XTHUANLOC": [
        (
            "12/KH-UBND",
            "Kế hoạch duy trì, cải tiến HTQLCL theo TCVN ISO 9001:2015 năm 2022",
            date(2022, 1, 21),
        ),
        ("41/QĐ-UBND", "Quyết định ban hành Mục tiêu chất lượng năm 2022", date(2022, 1, 24)),
    ],
}
# Seed 001: 1 held, 3 attended, 24 person-times in all (the split is the demo's).
TRAINING = {
    "SNGV": [
        (
            "Tập huấn nâng cao nhận thức về HTQLCL TCVN ISO 9001:2015",
            "Sở Ngoại vụ",
            "held",
            date(2021, 4, 8),
            16,
        ),
        ("Lớp tập huấn công tác ISO", "Sở Khoa học và Công nghệ", "attended", date(2021, 3, 18), 2),
        (
            "Tập huấn đánh giá nội bộ",
            "Chi cục Tiêu chuẩn Đo lường Chất lượng",
            "attended",
            date(2021, 8, 20),
            3,
        ),
        (
            "Tập huấn triển khai ISO điện tử",
            "Sở Khoa học và Công nghệ",
            "attended",
            date(2021, 10, 14),
            3,
        ),
    ],
}
# Seed 001: "04 cuộc, 04 đơn vị" (dates, units and references are the demo's).
INSPECTIONS = {
    "SNGV": [
        (date(2021, 5, 12), "Văn phòng Sở", "BB kiểm tra 01/BB-SNgV"),
        (date(2021, 5, 13), "Phòng Hợp tác quốc tế", "BB kiểm tra 02/BB-SNgV"),
        (date(2021, 5, 14), "Phòng Lãnh sự - Biên giới", "BB kiểm tra 03/BB-SNgV"),
        (date(2021, 5, 17), "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "BB kiểm tra 04/BB-SNgV"),
    ],
}
# code → (allocated, spent, note)
BUDGETS = {
    "SNGV": (
        10_000_000,
        None,
        "Năm 2021, Sở được cấp 10.000.000 đồng; thực hiện tiết kiệm chi 10%.",
    ),
    "SCT": (
        9_000_000,
        None,
        "Kinh phí được cấp từ ngân sách tỉnh; chi xây dựng tài liệu, quy trình "
        "và kiểm tra, đánh giá nội bộ.",
    ),
}
YEARS = {"SNGV": 2021, "SCT": 2021, "XTHUANLOC": 2022}


def _agency(session: Session, code: str) -> Agency | None:
    return session.exec(orm_select(Agency).where(Agency.code == code)).one_or_none()


def load(*, session: Session, rules: RuleSet, iso_rules: IsoRules, today: date) -> dict[str, int]:
    """Enter the seeds' training, budget, documents and inspections, and the Thuận Lộc link."""
    counts = {
        "training": 0,
        "budgets": 0,
        "directing_documents": 0,
        "own_inspections": 0,
        "links": 0,
    }
    for code, year in YEARS.items():
        agency = _agency(session, code)
        if agency is None:
            continue
        period = annual(year, iso_rules.periods)
        if not activities.count_rows(session, activities.DirectingDocument, agency, period):
            for number, title, on in DOCUMENTS.get(code, []):
                activities.add_directing_document(
                    session=session,
                    agency_code=code,
                    period=period,
                    number=number,
                    title=title,
                    issued_on=on,
                    actor=ACTOR,
                    today=today,
                )
                counts["directing_documents"] += 1
        if not activities.count_rows(session, activities.TrainingCourse, agency, period):
            for title, organiser, mode, on, people in TRAINING.get(code, []):
                activities.add_training(
                    session=session,
                    agency_code=code,
                    period=period,
                    title=title,
                    organiser=organiser,
                    mode=mode,
                    held_on=on,
                    person_times=people,
                    actor=ACTOR,
                    today=today,
                )
                counts["training"] += 1
        if not activities.count_rows(session, activities.OwnInspection, agency, period):
            for on, unit, ref in INSPECTIONS.get(code, []):
                activities.add_own_inspection(
                    session=session,
                    agency_code=code,
                    period=period,
                    held_on=on,
                    unit=unit,
                    ref=ref,
                    actor=ACTOR,
                    today=today,
                )
                counts["own_inspections"] += 1
        if code in BUDGETS and not activities.count_rows(
            session, activities.IsoBudget, agency, period
        ):
            allocated, spent, note = BUDGETS[code]
            activities.set_budget(
                session=session,
                agency_code=code,
                period=period,
                allocated=allocated,
                spent=spent,
                note=note,
                actor=ACTOR,
            )
            counts["budgets"] += 1
    if _agency(session, "XTHUANLOC") and _agency(session, THUAN_LOC_SUCCESSOR):
        counts["links"] = lineage.add_links(
            session=session,
            links=[lineage.LinkIn("XTHUANLOC", THUAN_LOC_SUCCESSOR, THUAN_LOC_BASIS)],
            actor=ACTOR,
        )
    return counts
