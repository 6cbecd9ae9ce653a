"""Sở KH&CN's documents: the facts behind them (one row per agency, the late agencies, the
summary's x/y), the documents opened back with python-docx and openpyxl, and who may fetch them."""

from __future__ import annotations

from datetime import date

import pytest

from models.iso import reporting
from models.iso.province_facts import late_agencies, province_rows
from models.iso.province_summary import province_summary
from tests.province_data import LETTER, build_chase_year, build_summary_year

CHASE_DAY = date(2026, 11, 24)
SUMMARY_DAY = date(2026, 12, 1)


@pytest.fixture
def chase_year(province, session, rules) -> None:
    build_chase_year(session, rules)


@pytest.fixture
def summary_year(province, session, rules) -> None:
    build_summary_year(session, rules)


def letter(session) -> reporting.ReportRequest:
    return reporting.get_request(session=session, unit_code="SKHCN", letter_number=LETTER)


def late_table(session, today: date, with_letter: bool = True) -> dict[str, list[tuple]]:
    found = late_agencies(
        session=session, year=2026, today=today, letter=letter(session) if with_letter else None
    )
    return {a.code: [(i.title, i.due, i.days_late) for i in a.items] for a in found}


AUDIT = "Đánh giá nội bộ"
ACTIONS = "Thực hiện hành động khắc phục"
OBJECTIVES = "Ban hành mục tiêu chất lượng"
REPORT = "Báo cáo năm gửi Sở Khoa học và Công nghệ"


def test_the_late_agencies_are_exactly_those_with_open_steps_past_their_deadline(
    session, chase_year
) -> None:
    assert late_table(session, CHASE_DAY) == {
        "SNGV": [(AUDIT, date(2026, 10, 15), 40), (REPORT, date(2026, 11, 23), 1)],
        # Sunday 15/11 moved to Monday 16/11: 8 days, not 9.
        "TTDVDN": [(ACTIONS, date(2026, 11, 16), 8), (REPORT, date(2026, 11, 23), 1)],
        # 15/02 falls in Tết: due Monday 23/02, 274 days before 24/11.
        "UB18073": [(OBJECTIVES, date(2026, 2, 23), 274), (REPORT, date(2026, 11, 23), 1)],
    }


def test_a_deadline_moved_past_the_weekend_is_not_late_on_that_monday(session, chase_year) -> None:
    # The letter's Saturday 21/11 is Monday 23/11: nobody is late on the report that day.
    monday = late_table(session, date(2026, 11, 23))
    assert all(REPORT not in [t for t, _, _ in items] for items in monday.values())
    assert sorted(monday) == ["SNGV", "TTDVDN", "UB18073"]
    # On 16/11 the corrective actions are due that very day: TTDVDN is not late on them.
    assert "TTDVDN" not in late_table(session, date(2026, 11, 16))


def test_the_rows_count_each_agency_once_with_its_steps(session, chase_year) -> None:
    rows = {r.code: r for r in province_rows(session=session, year=2026, today=CHASE_DAY)}
    assert sorted(rows) == ["HATINH", "SCT", "SKHCN", "SNGV", "TTDVDN", "UB18073"]
    assert rows["SCT"].items["plan"].status == "done_late"
    assert rows["SCT"].items["plan"].days_late == 28  # 02/02 → 02/03
    assert rows["SCT"].report is not None and rows["SCT"].report.status == "done_late"
    assert rows["HATINH"].report is not None and rows["HATINH"].report.status == "done"
    assert rows["SKHCN"].report is not None and rows["SKHCN"].report.status == "waived"
    assert rows["UB18073"].level == "xa" and rows["TTDVDN"].level == "tinh"
    with_letter = province_rows(session=session, year=2026, today=CHASE_DAY, letter=letter(session))
    assert {r.code for r in with_letter if r.report is None} == {"SKHCN"}  # not asked


def test_the_summary_counts_x_of_y_by_kind(session, summary_year) -> None:
    rows = province_rows(session=session, year=2026, today=SUMMARY_DAY)
    s = province_summary(rows)
    assert s.agencies == 6
    assert s.kinds == ["ubnd_tinh", "so", "trung_tam", "ubnd_xa"]
    lines = {line.key: line for line in s.items}
    assert lines["plan"].total.text == "5/6"
    assert lines["plan"].by_kind["ubnd_xa"].text == "0/1"
    assert lines["audit"].total.text == "5/6" and lines["audit"].total.on_time_text == "4/6"
    assert lines["audit"].by_kind["so"].text == "2/3"
    assert lines["audit"].by_kind["so"].on_time == 1
    # Reports: SKHCN's waived; SNGV and HATINH on time, SCT late, TTDVDN and UB18073 missing.
    assert s.reports.text == "3/5" and s.reports.on_time_text == "2/5"
    assert [(r.code, r.days_late, r.received_on) for r in s.late_reports] == [
        ("SCT", 5, date(2026, 11, 25)),
        ("TTDVDN", 11, None),
        ("UB18073", 11, None),
    ]
    assert s.findings == {"major": 1, "minor": 2, "observation": 1}
    assert s.announced.total.text == "2/6" and s.announced.by_kind["so"].text == "2/3"
    assert s.reannounced.total.text == "1/6"
    assert (s.tthc_total, s.tthc_agencies) == (165, 2)
    assert (s.internal_procedures, s.tthc_procedures) == (3, 1)
    assert (s.budget_allocated, s.budget_spent) == (25_000_000, 12_500_000)
    assert (s.training_courses, s.training_person_times) == (3, 65)
    ins = s.inspections
    assert (ins.planned, ins.planned_onsite, ins.planned_dossier) == (3, 1, 2)
    assert (ins.held, ins.held_onsite) == (1, 1)
    assert not ins.onsite_ok and ins.onsite_needed == 2
    assert ins.followup["overdue"] == 1
    assert s.shortcomings == [
        "01 cơ quan chưa ban hành kế hoạch duy trì, cải tiến HTQLCL: UBND Phường Thành Sen.",
        "01 cơ quan chưa tổ chức đánh giá nội bộ: Sở Ngoại vụ.",
        "01 cơ quan tổ chức đánh giá nội bộ muộn: Sở Công Thương.",
        "02 cơ quan chưa gửi báo cáo (quá hạn): Trung tâm Dịch thuật và Dịch vụ đối ngoại, "
        "UBND Phường Thành Sen.",
        "01 cơ quan gửi báo cáo muộn: Sở Công Thương.",
        "01 cơ quan có điểm không phù hợp nặng khi đánh giá nội bộ: Sở Công Thương.",
        "01 cơ quan chưa báo cáo kết quả khắc phục sau kiểm tra quá thời hạn 2 tháng: Sở Ngoại vụ.",
        "Kế hoạch kiểm tra mới có 01/06 cơ quan được kiểm tra trực tiếp tại trụ sở (16,7%), "
        "chưa đạt tối thiểu 1/3 (cần ít nhất 02 cơ quan) theo Điều 33 Thông tư "
        "26/2014/TT-BKHCN.",
    ]
