"""The seeds' documents, TTHC figures and dossier statistics (seeds 001, 002 and 003).

Where a seed gives a count without the documents' codes or titles (seeds 001 and 002), the
documents are entered with numbered codes (QTNB-01...) and a title that says so; seed 003 names
its eleven internal procedures, so they carry those names. Seed 003 gives no date for 865/QĐ-UBND,
so none is stored.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from models import iso
from models.calendar import RuleSet
from models.periods import Period, annual

SEED_ACTOR = "seed"

# Seed 001: "Tổng số 14 quy trình được ban hành theo Quyết định số 31/QĐ-SNgV ngày 25/9/2021".
# Seed 002: "Số Quy trình nội bộ được xây dựng: 02 quy trình. - Quyết định ban hành: số
# 154/QĐ-SCT ngày 24/7/2018."
# Seed 003: "11 quy trình, được ban hành theo Quyết định số: 865/QĐ-UBND".
XTHUANLOC_PROCEDURES = (
    "Tiếp nhận và trả kết quả hồ sơ giải quyết thủ tục hành chính",
    "Quy trình quản lý văn bản đi - đến",
    "Quy trình xét thi đua khen thưởng",
    "Quy trình tổ chức hội nghị",
    "Quy trình quản lý tài sản",
    "Quy trình mua sắm tài sản trang thiết bị",
    "Quy trình đào tạo cán bộ công chức, viên chức",
    "Quy trình nâng bậc lương thường xuyên",
    "Quy trình họp xem xét của lãnh đạo",
    "Quy trình đánh giá cán bộ, công chức",
    "Quy trình soạn thảo và trình ký",
)
INTERNAL = {
    "SNGV": (
        [f"Quy trình nội bộ số {i:02d} (QĐ 31/QĐ-SNgV)" for i in range(1, 15)],
        "31/QĐ-SNgV",
        date(2021, 9, 25),
    ),
    "SCT": (
        [f"Quy trình nội bộ số {i:02d} (QĐ 154/QĐ-SCT)" for i in range(1, 3)],
        "154/QĐ-SCT",
        date(2018, 7, 24),
    ),
    "XTHUANLOC": (list(XTHUANLOC_PROCEDURES), "865/QĐ-UBND", None),
}

# (agency, period, total, amended, new, abolished, approving decisions)
TTHC = (
    # Seed 001: "Số TTHC thuộc thẩm quyền giải quyết của Sở ... đến thời điểm báo cáo: 05 thủ
    # tục." "Số TTHC được sửa đổi, bổ sung 4 thủ tục; ban hành mới: 0 thủ tục; bãi bỏ: 04 thủ
    # tục trong năm 2021."
    ("SNGV", 2021, 5, 4, 0, 4, None),
    # Seed 002: "... là 96 TTHC, tại các Quyết định: 1684/QĐ-SCT ngày 06/6/2019; số
    # 2595/QĐ-UBND ngày 13/8/2020 và số 1970/QĐ-UBND ngày 05/5/2021." "Năm 2021 có 08 TTHC được
    # sửa đổi, bổ sung; không có TTHC ban hành mới, bãi bỏ."
    (
        "SCT",
        2021,
        96,
        8,
        0,
        0,
        "1684/QĐ-SCT ngày 06/6/2019; 2595/QĐ-UBND ngày 13/8/2020; 1970/QĐ-UBND ngày 05/5/2021",
    ),
)

# (agency, first day, last day, received, late, with results). None: the annual period.
DOSSIERS = (
    # Seed 001: "Số hồ sơ TTHC phát sinh năm 2021 (tính từ 15/12/2020 đến 15/11/2021): 73 (hồ
    # sơ); số hồ sơ giải quyết quá hạn: 0 hồ sơ." "Số hồ sơ được gắn kèm kết quả ...: 73 hồ sơ."
    ("SNGV", 2021, date(2020, 12, 15), date(2021, 11, 15), 73, 0, 73),
    # Seed 002: "Số hồ sơ TTHC phát sinh năm 2021 đến thời điểm ngày 19/11/2021: 9852 hồ sơ; Số
    # hồ sơ giải quyết quá hạn: không. 100% hồ sơ được gắn kèm kết quả". The first day is the
    # annual period's (15/12/2020): the seed says only "năm 2021".
    ("SCT", 2021, None, date(2021, 11, 19), 9852, 0, 9852),
    # Seed 003: "Tiếp nhận và giải quyết: 2137 hồ sơ, đúng hạn: 100%, quá hạn: 0"; "Số hồ sơ
    # được gắn kèm kết quả trả trên phần mềm dịch vụ công trực tuyến: 2137".
    ("XTHUANLOC", 2022, None, None, 2137, 0, 2137),
)


def load(
    *, session: Session, rules: RuleSet, iso_rules: iso.IsoRules, today: date
) -> dict[str, int]:
    """Enter the seeds' documents, TTHC figures and dossiers; nothing when already there."""
    counts = {"procedures": 0, "tthc_figures": 0, "dossier_stats": 0}
    for code, (titles, ref, decided) in INTERNAL.items():
        agency = iso.get_agency(session, code)
        p = iso.PROCEDURE.c
        have = session.execute(
            select(func.count()).where(p.agency_id == agency.id, p.kind == "internal")
        ).scalar_one()
        if have:
            continue
        for i, title in enumerate(titles, start=1):
            iso.issue_procedure(
                session=session,
                agency_code=code,
                kind="internal",
                code=f"QTNB-{i:02d}",
                title=title,
                decision_ref=ref,
                decision_on=decided,
                actor=SEED_ACTOR,
                today=today,
            )
            counts["procedures"] += 1
    for code, year, total, amended, new, abolished, refs in TTHC:
        period = annual(year, iso_rules.periods)
        if iso.get_tthc_figures(session=session, agency_code=code, period=period) is None:
            iso.set_tthc_figures(
                session=session,
                agency_code=code,
                period=period,
                total=total,
                amended=amended,
                new=new,
                abolished=abolished,
                decisions=refs,
                actor=SEED_ACTOR,
            )
            counts["tthc_figures"] += 1
    for code, year, first, last, received, late, with_results in DOSSIERS:
        whole = annual(year, iso_rules.periods)
        span = Period(first or whole.start, last or whole.end)
        if iso.get_dossier_stats(session=session, agency_code=code, period=whole) is None:
            iso.set_dossier_stats(
                session=session,
                agency_code=code,
                period=span,
                received=received,
                on_time=received - late,
                late=late,
                with_results=with_results,
                actor=SEED_ACTOR,
                source="báo cáo",
            )
            counts["dossier_stats"] += 1
    return counts
