"""The request letters and reports the seeds state: who asked, for which period and deadline, and
what each agency sent, to whom (Nơi nhận), with the number and date as the report writes them.

The seeds say nothing of receipts, so none is recorded: the reports stand as sent.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select as orm_select

from models.calendar import RuleSet
from models.iso import base as iso_base, reporting
from models.periods import Period, annual

# Seed 004: "Số: 1550 /SKHCN-TĐC ... Hà Tĩnh, ngày 11 tháng 11 năm 2020 ... Kính gửi: - Các Sở,
# Ban, ngành cấp tỉnh; - UBND các huyện, thành phố, thị xã; - Các Chi cục, Ban thuộc Sở, ngành.
# ... gửi về Sở Khoa học và Công nghệ trước ngày 20/11/2020." Its outline asks for figures "đến
# thời điểm kiểm tra đánh giá": the period ends on the letter's date.
REQUEST_004 = {
    "unit": "SKHCN",
    "letter_number": "1550/SKHCN-TĐC",
    "letter_date": date(2020, 11, 11),
    "due": date(2020, 11, 20),
    "kinds": ["so", "ubnd_huyen", "chi_cuc"],
    "agencies": [],
    "outline": "Đề cương báo cáo kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo "
    "TCVN ISO 9001 năm 2020",
    "title": "V/v kiểm tra thực hiện xây dựng và áp dụng ISO tại các cơ quan, đơn vị",
    "year": 2020,
}
# Seed 001: "Công văn số 1753 ngày 09/11/2021 của Sở Khoa học và Công nghệ" (no deadline stated).
REQUEST_001 = {
    "unit": "SKHCN",
    "letter_number": "1753",
    "letter_date": date(2021, 11, 9),
    "due": None,
    "kinds": [],
    "agencies": ["SNGV"],
    "outline": None,
    "title": None,
    "year": 2021,
}
# Seed 003: "Thực hiện Công văn số: 1671/UBND-KT, ngày 21 tháng 10 năm 2022 của UBND Thị xã Hồng
# Lĩnh về việc báo cáo kết quả việc duy trì, cải tiến Hệ thống quản lý chất lượng ISO 9001:2015."
REQUEST_003 = {
    "unit": "TXHL",
    "letter_number": "1671/UBND-KT",
    "letter_date": date(2022, 10, 21),
    "due": None,
    "kinds": [],
    "agencies": ["XTHUANLOC"],
    "outline": None,
    "title": "V/v báo cáo kết quả việc duy trì, cải tiến Hệ thống quản lý chất lượng ISO 9001:2015",
    "year": 2022,
}
REQUESTS = [REQUEST_004, REQUEST_001, REQUEST_003]

# (agency, year, number, date, receiving unit, letter, Nơi nhận "(Báo cáo)" lines as written)
REPORTS = [
    # Seed 001: "Số: 177/BC-SNgV ... Hà Tĩnh, ngày 17 tháng 11 năm 2021 ... Nơi nhận: - Sở Khoa
    # học Công nghệ;"
    ("SNGV", 2021, "177/BC-SNgV", date(2021, 11, 17), "SKHCN", "1753", "Sở Khoa học Công nghệ"),
    # Seed 002: "Số: /BC-SCT ... Hà Tĩnh, ngày 22 tháng 11 năm 2021 ... Nơi nhận: - Sở KH&CN;
    # - Chi cục TCĐLCL;" (the number left blank, as printed before the văn thư numbers it).
    ("SCT", 2021, "/BC-SCT", date(2021, 11, 22), "SKHCN", None, "Sở KH&CN; Chi cục TCĐLCL"),
    # Seed 003: no number and no date ("Báo cáo số…./BC- ngày / /2022"); "Nơi nhận: - BCĐ ISO
    # thị xã; - Phòng Kinh tế; (Báo cáo)".
    ("XTHUANLOC", 2022, None, None, "TXHL", "1671/UBND-KT", "BCĐ ISO thị xã; Phòng Kinh tế"),
]


def load(
    *, session: Session, rules: RuleSet, iso_rules: iso_base.IsoRules, today: date
) -> dict[str, int]:
    """Enter the seeds' request letters and reports; adds nothing when run again."""
    counts = {"report_requests": 0, "reports": 0}
    for spec in REQUESTS:
        unit = iso_base.get_agency(session, str(spec["unit"]))
        exists = session.exec(
            orm_select(reporting.ReportRequest).where(
                reporting.ReportRequest.unit_id == unit.id,
                reporting.ReportRequest.letter_number == spec["letter_number"],
            )
        ).first()
        if exists is not None:
            continue
        year = int(str(spec["year"]))
        letter_date = spec["letter_date"]
        assert isinstance(letter_date, date)
        period = (
            Period(annual(year, iso_rules.periods).start, letter_date)
            if spec is REQUEST_004
            else annual(year, iso_rules.periods)
        )
        reporting.create_request(
            session=session,
            unit_code=unit.code,
            letter_number=str(spec["letter_number"]),
            letter_date=letter_date,
            kind="annual_report",
            period=period,
            agency_codes=list(spec["agencies"] or []),  # type: ignore[call-overload]
            recipient_kinds=list(spec["kinds"] or []),  # type: ignore[call-overload]
            due=spec["due"],  # type: ignore[arg-type]
            outline=spec["outline"],  # type: ignore[arg-type]
            title=spec["title"],  # type: ignore[arg-type]
            actor="demo",
            today=today,
            working=rules.working,
        )
        counts["report_requests"] += 1
    for code, year, number, day, unit_code, letter, addressed in REPORTS:
        agency = iso_base.get_agency(session, code)
        if reporting._find_report(session, agency, year, "annual_report") is not None:
            continue
        reporting.submit_report(
            session=session,
            agency_code=code,
            year=year,
            step_key="annual_report",
            number=number,
            report_date=day,
            actor="demo",
            today=today,
            letter_number=letter,
            unit_code=unit_code,
            addressed_to=addressed,
            require_file=False,
        )
        counts["reports"] += 1
    return counts
