"""Sở KH&CN's documents, the review's cases: the overseer's own annual report, a chasing letter
for a letter that asked only some kinds or set no deadline, and an update not yet due."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook

from models import iso
from models.cycles import open_cycle
from models.iso import reporting
from models.iso.province_facts import AgencyRow, province_rows
from models.iso.province_summary import province_summary
from models.iso.report_facts import agency_facts
from models.periods import Period, annual, six_month
from reports import province as documents
from reports.document import DocumentError
from tests.docx_checks import docx_text, find_table
from tests.province_data import CALENDAR, LETTER, YEAR, request, send_and_receive, settle

DAY = date(2026, 12, 1)


@pytest.fixture
def settled(province, session, rules) -> None:
    """2026 opened, every calendar step up to the review done on its deadline."""
    open_cycle(session=session, year=YEAR, rules=rules)
    settle(session, keys=CALENDAR)


def _letter(session, rules, *, kinds: list[str], due: date | None) -> reporting.ReportRequest:
    reporting.create_request(
        session=session, unit_code="SKHCN", letter_number=LETTER, letter_date=date(2026, 11, 2),
        kind="annual_report", period=annual(YEAR), recipient_kinds=kinds, due=due,
        actor="skhcn", today=date(2026, 11, 2), working=rules.working,
    )  # fmt: skip
    return reporting.get_request(session=session, unit_code="SKHCN", letter_number=LETTER)


def test_the_overseer_s_own_annual_report_is_not_counted(session, rules, settled) -> None:
    """Sở KH&CN receives the reports and cannot send one to itself (check_recipient): its own
    annual report step, left open, is neither missing from the summary nor late."""
    request(session, rules, due=date(2026, 11, 20), letter_date=date(2026, 11, 2))
    for code in ("HATINH", "SNGV", "TTDVDN", "SCT", "UB18073"):
        send_and_receive(session, code, date(2026, 11, 20))
    rows = {r.code: r for r in province_rows(session=session, year=YEAR, today=DAY)}
    assert rows["SKHCN"].report is None
    s = province_summary(list(rows.values()))
    assert s.reports.text == "5/5" and s.late_reports == []
    assert not any("Sở Khoa học và Công nghệ" in line for line in s.shortcomings)
    text = docx_text(
        documents.province_summary_docx(
            session=session,
            unit_code="SKHCN",
            year=YEAR,
            today=DAY,
            province="Hà Tĩnh",
            score_distribution=[],
        )  # fmt: skip
    )
    assert "đã nhận 5/5 báo cáo năm, trong đó 5/5 báo cáo đúng hạn." in text
    assert "chưa gửi báo cáo" not in text
    book = load_workbook(
        io.BytesIO(
            documents.phu_luc_ii_xlsx(session=session, year=YEAR, today=DAY, province="Hà Tĩnh")
        )
    )
    sheet = list(book["Phụ lục II"].iter_rows(min_row=4, values_only=True))
    skhcn = dict(zip(sheet[0], next(r for r in sheet if r[0] == "SKHCN"), strict=True))
    assert skhcn["Báo cáo"] is None and skhcn["Hạn gửi báo cáo"] is None


def test_the_chasing_letter_counts_only_the_agencies_the_letter_asked(
    session, rules, settled
) -> None:
    """A letter to the Sở only (SNGV, SCT): the others are late on the calendar's report too,
    but the letter's sentence counts the two it asked."""
    letter = _letter(session, rules, kinds=["so"], due=date(2026, 11, 25))
    data = documents.chasing_letter(
        session=session, unit_code="SKHCN", year=YEAR, today=date(2026, 11, 27),
        province="Hà Tĩnh", letter=letter,
    )  # fmt: skip
    assert [r[1] for r in find_table(data, "TT")[1:] if r[1]] == [
        "UBND tỉnh Hà Tĩnh", "Sở Công Thương", "Sở Ngoại vụ",
        "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "UBND Phường Thành Sen",
    ]  # fmt: skip
    assert (
        "có hạn gửi ngày 25/11/2026; đến nay 02 cơ quan, đơn vị chưa gửi hoặc chưa được "
        "tiếp nhận." in docx_text(data)
    )


def test_a_letter_without_a_deadline_is_chased_against_the_calendar_s(
    session, rules, settled
) -> None:
    """A letter recorded without --due leaves the calendar's 20/11: the letter says that day,
    never "trước ngày ." with the date missing."""
    letter = _letter(session, rules, kinds=["so"], due=None)
    text = docx_text(
        documents.chasing_letter(
            session=session,
            unit_code="SKHCN",
            year=YEAR,
            today=date(2026, 11, 27),
            province="Hà Tĩnh",
            letter=letter,
        )  # fmt: skip
    )
    assert "đề nghị các cơ quan, đơn vị gửi báo cáo trước ngày 20/11/2026." in text
    assert "có hạn gửi ngày 20/11/2026; đến nay 02 cơ quan, đơn vị chưa gửi" in text
    assert "ngày ." not in text and "ngày ;" not in text


def test_an_update_not_yet_due_is_not_counted_as_missed(session, rules, settled) -> None:
    """A legal change of 01/10/2026 is due for its update in January 2027: on 01/12/2026 Phụ lục
    II's "cập nhật đúng hạn" leaves it out instead of reading 0/1."""
    iso.record_event(
        session=session, kind="legal_change", number="30/2026/NĐ-CP",
        effective_on=date(2026, 10, 1), agency_codes=["SNGV"], actor="test",
        rules=iso.load_iso_rules(), working=rules.working, title="Nghị định mới",
    )  # fmt: skip
    s = province_summary(province_rows(session=session, year=YEAR, today=DAY))
    assert s.update_counts["pending"] == 1
    assert s.updates.total.on_time_text == "0/0"
    data = documents.phu_luc_ii(
        session=session, unit_code="SKHCN", year=YEAR, today=DAY, province="Hà Tĩnh"
    )
    table = find_table(data, "Cấp")
    column = table[0].index("Cập nhật quy trình đúng hạn (lượt)")
    assert [row[column] for row in table[1:]] == ["0/0", "0/0", "0/0"]


def test_the_levels_sheet_keeps_counts_and_amounts_as_numbers(session, settled) -> None:
    """The "Theo cấp" sheet of Phụ lục II's .xlsx: Excel sums its counts and its budget, so they
    are numbers, not the .docx's "25.000.000" text."""
    iso.set_budget(session=session, agency_code="SNGV", period=annual(YEAR),
                   allocated=15_000_000, spent=None, actor="test")  # fmt: skip
    data = documents.phu_luc_ii_xlsx(session=session, year=YEAR, today=DAY, province="Hà Tĩnh")
    sheet = load_workbook(io.BytesIO(data))["Theo cấp"]
    header = [c.value for c in sheet[3]]
    rows = {r[0].value: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4)}
    assert [rows[level]["Số cơ quan"].value for level in rows] == [5, 1, 6]
    budget = rows["Toàn tỉnh"]["Kinh phí (đồng)"]
    assert budget.value == 15_000_000 and budget.data_type == "n"
    assert rows["Cấp tỉnh"]["Công bố lại trong năm"].value == 0


def test_the_summary_counts_figures_entered_for_another_span_as_the_agency_s_report_does(
    session, settled
) -> None:
    """Figures entered for the first half (6t/2026) or a budget for the calendar year 2026 are in
    Sở Ngoại vụ's annual report (report_facts); the province's totals count them the same way
    instead of only figures entered for exactly 15/12/2025–14/12/2026."""
    six, calendar_year = six_month(YEAR), Period(date(2026, 1, 1), date(2026, 12, 31))
    iso.add_training(
        session=session, agency_code="SNGV", period=six, title="Tập huấn ISO 9001:2015",
        organiser="Sở KH&CN", mode="held", held_on=date(2026, 3, 10), person_times=20,
        actor="test", today=DAY,
    )  # fmt: skip
    iso.set_budget(session=session, agency_code="SNGV", period=calendar_year,
                   allocated=10_000_000, spent=4_000_000, actor="test")  # fmt: skip
    iso.set_tthc_figures(session=session, agency_code="SNGV", period=six, total=40, amended=0,
                         new=0, abolished=0, actor="test")  # fmt: skip
    facts = agency_facts(session=session, agency_code="SNGV", period=annual(YEAR), today=DAY)
    assert facts.training["person_times"] == 20 and facts.budget["allocated"] == 10_000_000
    assert facts.tthc is not None and facts.tthc["total"] == 40
    s = province_summary(province_rows(session=session, year=YEAR, today=DAY))
    assert (s.training_courses, s.training_person_times) == (1, 20)
    assert (s.budget_allocated, s.budget_spent, s.budget_agencies) == (10_000_000, 4_000_000, 1)
    assert (s.tthc_total, s.tthc_agencies) == (40, 1)


def test_the_xlsx_heading_writes_the_number_of_agencies_the_vietnamese_way(session) -> None:
    """5.000 agencies, not "5000"."""
    rows = [
        AgencyRow(
            agency_id=uuid.uuid4(),
            code=f"X{i:04d}",
            name=f"UBND xã {i}",
            kind="ubnd_xa",
            level="xa",
            parent_code=None,
        )  # fmt: skip
        for i in range(1_234)
    ]
    data = documents.phu_luc_ii_xlsx(
        session=session, year=YEAR, today=DAY, province="Hà Tĩnh", rows=rows
    )
    heading = load_workbook(io.BytesIO(data))["Phụ lục II"]["A2"].value
    assert heading == "Tỉnh Hà Tĩnh; số liệu đến ngày 01/12/2026; 1.234 cơ quan, đơn vị."


def test_a_chasing_letter_for_a_letter_of_another_year_is_refused(session, rules, settled) -> None:
    """`chase 2025 --letter` of a 2026 letter would leave out everyone late on the letter's
    report and say "00 cơ quan" chưa gửi: refused, naming the letter's year."""
    open_cycle(session=session, year=2025, rules=rules)
    letter = _letter(session, rules, kinds=["so"], due=date(2026, 11, 25))
    with pytest.raises(DocumentError, match="Công văn số 1234/SKHCN-TĐC là công văn năm 2026"):
        documents.chasing_letter(
            session=session, unit_code="SKHCN", year=2025, today=date(2026, 11, 27),
            province="Hà Tĩnh", letter=letter,
        )  # fmt: skip
