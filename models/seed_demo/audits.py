"""The internal audits and management reviews that seeds 001, 002 and 003 state.

- Seed 001 (Sở Ngoại vụ 2021): "Thời gian tổ chức cuộc đánh giá gần nhất: 29/9/2021"; "Không có
  điểm không phù hợp nhẹ, không có điểm không phù hợp nặng; có 06 điểm lưu ý"; "Ngày 03/5/2021,
  Ban Giám đốc Sở đã triệu tập cuộc họp xem xét về HTQLCL" (before the audit: recorded with a
  warning, QĐ 19/2014 Art. 4.4b asks for a review at least once a year).
- Seed 002 (Sở Công Thương 2021): "Thời gian tổ chức cuộc đánh giá gần nhất: tháng 9/2021";
  "phát hiện 01 điểm không phù hợp; 02 điểm lưu ý". It gives no date of its review.
- Seed 003 (xã Thuận Lộc 2022): Phụ lục 1 "Ngày đánh giá chất lượng nội bộ: 11/2022"; "Điểm không
  phù hợp nhẹ: 0, Điểm không phù hợp nặng: 0", and three "Điểm lưu ý" it lists. It gives no date
  of its review ("Họp xem xét của Lãnh đạo: 1").

An audit the seed dates by month only is recorded over that whole month. The seeds do not word
the observations of seeds 001 and 002, nor name the audit programmes; those texts say so.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select as orm_select

from models.calendar import RuleSet
from models.iso import FindingIn, InternalAudit, ManagementReview, record_audit, record_review
from models.iso.base import IsoRules
from models.tables import Agency

ACTOR = "demo"
UNWORDED = "Điểm lưu ý của Đoàn đánh giá nội bộ (báo cáo không nêu nội dung)"

# code → (year, start, end, programme, [(severity, unit, description)])
AUDITS: dict[str, tuple[int, date, date, str, list[tuple[str, str, str]]]] = {
    "SNGV": (
        2021,
        date(2021, 9, 29),
        date(2021, 9, 29),
        "Chương trình đánh giá nội bộ năm 2021",
        [("observation", "Các phòng chuyên môn, đơn vị thuộc Sở", UNWORDED)] * 6,
    ),
    "SCT": (
        2021,
        date(2021, 9, 1),
        date(2021, 9, 30),
        "Chương trình và Kế hoạch đánh giá nội bộ năm 2021",
        [("minor", "Các phòng chuyên môn", "Điểm không phù hợp (báo cáo không nêu nội dung)")]
        + [("observation", "Các phòng chuyên môn", UNWORDED)] * 2,
    ),
    "XTHUANLOC": (
        2022,
        date(2022, 11, 1),
        date(2022, 11, 30),
        "Đánh giá nội bộ quý 4 năm 2022, lồng ghép đánh giá CCHC cấp xã",
        [
            (
                "observation",
                "Các bộ phận, công chức chuyên môn",
                "Phải thường xuyên cập nhật đầy đủ sự thay đổi của TTHC do UBND Tỉnh ban hành, "
                "báo cáo lại với Thư ký ISO để cập nhật và ban hành lại HTTL",
            ),
            (
                "observation",
                "Các bộ phận, công chức chuyên môn",
                "Các thông tin cần cập nhật vào phiếu kiểm soát đầy đủ vào quá trình giải quyết "
                "hồ sơ",
            ),
            (
                "observation",
                "Các bộ phận, công chức chuyên môn",
                "Lập danh mục tài liệu và danh mục hồ sơ phải liên tục thường xuyên",
            ),
        ],
    ),
}
# code → (year, held_on, minutes): only the reviews a seed dates.
REVIEWS = {"SNGV": (2021, date(2021, 5, 3), "Biên bản họp xem xét của lãnh đạo ngày 03/5/2021")}


def steps_recorded() -> set[tuple[str, int, str]]:
    """The (code, year, step type) of the steps these audits and reviews complete."""
    audits = {(code, spec[0], "internal_audit") for code, spec in AUDITS.items()}
    return audits | {(code, spec[0], "management_review") for code, spec in REVIEWS.items()}


def _has(
    session: Session, model: type[InternalAudit] | type[ManagementReview], code: str, year: int
) -> bool:
    agency = session.exec(orm_select(Agency).where(Agency.code == code)).first()
    if agency is None:
        return True  # not in this database: nothing to enter
    row = session.exec(
        orm_select(model).where(model.agency_id == agency.id, model.year == year)
    ).first()
    return row is not None


def load(*, session: Session, rules: RuleSet, iso_rules: IsoRules, today: date) -> dict[str, int]:
    """Enter each seed's internal audit with its findings, and the reviews the seeds date."""
    counts = {"seed_audits": 0, "seed_reviews": 0}
    for code, (year, start, end, programme, findings) in AUDITS.items():
        if _has(session, InternalAudit, code, year):
            continue
        record_audit(
            session=session,
            agency_code=code,
            year=year,
            start_on=start,
            end_on=end,
            ref=programme,
            team=None,
            scope_units=[],
            findings=[FindingIn(severity=s, unit=u, description=d) for s, u, d in findings],
            actor=ACTOR,
            today=today,
        )
        counts["seed_audits"] += 1
    for code, (year, held_on, minutes) in REVIEWS.items():
        if _has(session, ManagementReview, code, year):
            continue
        record_review(
            session=session,
            agency_code=code,
            year=year,
            held_on=held_on,
            minutes_ref=minutes,
            decisions=None,
            actor=ACTOR,
            today=today,
        )
        counts["seed_reviews"] += 1
    return counts
