"""Sở KH&CN's documents: the facts behind them (one row per agency, the late agencies, the
summary's x/y), the documents opened back with python-docx and openpyxl, and who may fetch them."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

from models import iso
from models.iso import reporting
from models.iso.province_facts import late_agencies, province_rows
from models.iso.province_summary import InspectionCounts, province_summary
from models.users import create_user, issue_token
from reports import province
from reports.document import DocumentError, pdf_text, to_pdf
from tests.docx_checks import assert_nd30, docx_text, find_table
from tests.province_data import LETTER, build_chase_year, build_summary_year
from tests.web_support import PASSWORD, bearer, csrf_of, login
from web.documents import province as province_web

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
    assert rows["SKHCN"].report is None  # Sở KH&CN receives the reports
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


def test_a_third_on_site_is_checked_with_the_agencies_in_scope() -> None:
    assert InspectionCounts(agencies=6, planned=3, planned_onsite=2).onsite_ok
    short = InspectionCounts(agencies=7, planned=3, planned_onsite=2)  # 2/7 < 1/3
    assert not short.onsite_ok and short.onsite_needed == 3 and short.onsite_percent == "28,6%"
    assert InspectionCounts().onsite_ok  # nobody to inspect: nothing short


# --- the documents ------------------------------------------------------------------------------

HEAD = {"parent_body": "UBND TỈNH HÀ TĨNH", "issuer": "SỞ KHOA HỌC VÀ CÔNG NGHỆ"}


def test_the_request_letter_asks_the_kinds_with_the_deadline_and_the_outline(
    session, chase_year
) -> None:
    data = province.request_letter(session=session, request=letter(session), province="Hà Tĩnh")
    assert_nd30(
        data, number_line="Số: 1234/SKHCN-TĐC",
        date_line="Hà Tĩnh, ngày 02 tháng 11 năm 2026", **HEAD,
    )  # fmt: skip
    text = docx_text(data)
    lines = text.splitlines()
    start = lines.index("Kính gửi:")
    assert lines[start + 1 : start + 5] == [
        "- Các Sở, Ban, ngành cấp tỉnh;",
        "- Các Trung tâm thuộc Sở, ngành;",
        "- Văn phòng UBND tỉnh;",
        "- UBND các xã, phường.",
    ]
    assert "V/v báo cáo kết quả duy trì, cải tiến HTQLCL năm 2026" in lines
    # The deadline the letter states (Saturday 21/11), and the period of the annual report.
    assert "gửi về Sở Khoa học và Công nghệ trước ngày 21/11/2026." in text
    assert "(số liệu từ ngày 15/12/2025 đến ngày 14/12/2026)" in text
    assert "ĐỀ CƯƠNG BÁO CÁO" in lines
    assert (
        "(Kèm theo Công văn số 1234/SKHCN-TĐC ngày 02/11/2026 của Sở Khoa học và Công nghệ)"
        in lines
    )
    assert (
        "5.3. Kế hoạch xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo TCVN ISO 9001:2015 năm 2027."
        in lines
    )
    assert ["- Như trên;", "- Giám đốc, các Phó Giám đốc Sở;", "- Lưu: VT, TĐC."] == [
        line for line in lines if line.startswith("- ") and line.endswith(("Sở;", "trên;", "TĐC."))
    ]
    assert "Trần Văn Minh" in lines  # the unit's head signs by default


def test_the_chasing_letter_lists_exactly_the_late_agencies_and_their_days(
    session, chase_year
) -> None:
    data = province.chasing_letter(
        session=session, unit_code="SKHCN", year=2026, today=CHASE_DAY, province="Hà Tĩnh",
        number="5/SKHCN-TĐC", issued_on=CHASE_DAY, letter=letter(session),
    )  # fmt: skip
    assert_nd30(
        data, number_line="Số: 05/SKHCN-TĐC", date_line="Hà Tĩnh, ngày 24 tháng 11 năm 2026",
        **HEAD,
    )  # fmt: skip
    assert find_table(data, "TT") == [
        ["TT", "Cơ quan, đơn vị", "Nội dung chậm thực hiện", "Hạn", "Số ngày quá hạn"],
        ["1", "Sở Ngoại vụ", AUDIT, "15/10/2026", "40"],
        ["", "", REPORT, "23/11/2026", "1"],
        ["2", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", ACTIONS, "16/11/2026", "8"],
        ["", "", REPORT, "23/11/2026", "1"],
        ["3", "UBND Phường Thành Sen", OBJECTIVES, "23/02/2026", "274"],
        ["", "", REPORT, "23/11/2026", "1"],
    ]
    lines = docx_text(data).splitlines()
    start = lines.index("Kính gửi:")
    assert lines[start + 1 : start + 4] == [
        "- Sở Ngoại vụ;",
        "- Trung tâm Dịch thuật và Dịch vụ đối ngoại;",
        "- UBND Phường Thành Sen.",
    ]
    text = "\n".join(lines)
    assert "Đến ngày 24/11/2026, 03 cơ quan, đơn vị còn chậm thực hiện" in text
    assert "đến nay 03 cơ quan, đơn vị chưa gửi hoặc chưa được tiếp nhận" in text
    assert "Sở Công Thương" not in text and "Sở Khoa học và Công nghệ đề nghị" in text
    assert "- UBND tỉnh (để báo cáo);" in lines


def test_nobody_late_means_no_chasing_letter(session, chase_year) -> None:
    with pytest.raises(DocumentError, match="không có cơ quan, đơn vị nào chậm"):
        province.chasing_letter(
            session=session, unit_code="SKHCN", year=2026, today=date(2026, 2, 2),
            province="Hà Tĩnh",
        )  # fmt: skip


def summary_docx(session, scores=()) -> bytes:
    return province.province_summary_docx(
        session=session, unit_code="SKHCN", year=2026, today=SUMMARY_DAY, province="Hà Tĩnh",
        score_distribution=list(scores), number="12/BC-SKHCN", issued_on=SUMMARY_DAY,
    )  # fmt: skip


def test_the_summary_report_states_the_figures(session, summary_year) -> None:
    data = summary_docx(session)
    assert_nd30(
        data, number_line="Số: 12/BC-SKHCN", date_line="Hà Tĩnh, ngày 01 tháng 12 năm 2026",
        **HEAD,
    )  # fmt: skip
    text = docx_text(data)
    for heading in ("I. TÌNH HÌNH CHUNG", "II. KẾT QUẢ THỰC HIỆN", "7. Công tác kiểm tra",
                    "III. NHỮNG TỒN TẠI", "IV. KIẾN NGHỊ, ĐỀ XUẤT"):  # fmt: skip
        assert heading in text.splitlines()
    assert "Kính gửi: Ủy ban nhân dân tỉnh Hà Tĩnh." in text
    assert "đã nhận 3/5 báo cáo năm, trong đó 2/5 báo cáo đúng hạn." in text
    assert find_table(data, "TT") == [
        ["TT", "Cơ quan, đơn vị", "Hạn gửi", "Ngày nhận", "Số ngày chậm"],
        ["1", "Sở Công Thương", "20/11/2026", "25/11/2026", "5"],
        ["2", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "20/11/2026", "Chưa nhận", "11"],
        ["3", "UBND Phường Thành Sen", "20/11/2026", "Chưa nhận", "11"],
    ]
    assert find_table(data, "Loại cơ quan")[1:] == [
        ["UBND tỉnh", "01", "0/1", "0"],
        ["Sở, ngành", "03", "2/3", "01"],
        ["Trung tâm", "01", "0/1", "0"],
        ["UBND xã, phường", "01", "0/1", "0"],
        ["Cộng", "06", "2/6", "01"],
    ]
    items = find_table(data, "Nội dung")
    audit = items.index(["Tổ chức đánh giá nội bộ", "UBND tỉnh", "1/1", "1/1"])
    assert items[audit + 1 : audit + 5] == [
        ["", "Sở, ngành", "2/3", "1/3"],
        ["", "Trung tâm", "1/1", "1/1"],
        ["", "UBND xã, phường", "1/1", "1/1"],
        ["", "Cộng", "5/6", "4/6"],
    ]
    assert ["", "UBND xã, phường", "0/1", "0/1"] in items  # the ward's missing plan
    assert (
        "phát hiện 01 điểm không phù hợp nặng, 02 điểm không phù hợp nhẹ và 01 điểm lưu ý" in text
    )
    assert "165 thủ tục" in text and "số quy trình nội bộ: 3." in text
    assert "25.000.000 đồng; đã sử dụng 12.500.000 đồng" in text
    assert "03 lớp đào tạo, tập huấn về ISO hành chính với 65 lượt người" in text
    assert "kiểm tra 03/06 cơ quan: 01 cơ quan kiểm tra trực tiếp tại trụ sở, 02 cơ quan" in text
    assert "16,7%, chưa đạt yêu cầu tối thiểu 1/3" in text
    assert "01 cơ quan quá hạn chưa báo cáo" in text
    assert "Chưa có cơ quan nào gửi điểm tự chấm." in text
    assert "- 01 cơ quan chưa tổ chức đánh giá nội bộ: Sở Ngoại vụ." in text
    assert "[Phần do cơ quan viết: kiến nghị, đề xuất với UBND tỉnh]" in text


def test_the_summary_shows_the_score_distribution_it_is_given(session, summary_year) -> None:
    data = summary_docx(session, [("Từ 4,5 đến 5 điểm", 2), ("Dưới 3 điểm", 1)])
    assert "03/06 cơ quan đã gửi điểm tự chấm tiêu chí 7.2 (thang điểm 5)" in docx_text(data)
    assert find_table(data, "Khoảng điểm") == [
        ["Khoảng điểm", "Số cơ quan"], ["Từ 4,5 đến 5 điểm", "02"], ["Dưới 3 điểm", "01"],
    ]  # fmt: skip
    assert "Chưa có cơ quan nào gửi điểm tự chấm." not in docx_text(data)
    # Nobody has scored 2026: the one place the distribution is fetched gives nothing.
    assert province.score_distribution_for(session, 2026, SUMMARY_DAY) == []


def test_the_summary_counts_the_recorded_self_scores(session, summary_year) -> None:
    points = ("0,5", "0", "1", "1,5", "1", "0,5")  # Sở Công Thương's 4,5 of seed 002
    iso.set_self_scores(
        session=session, agency_code="SCT", year=2026,
        entries=[iso.ScoreIn(f"7.2.{n}", p, "Theo báo cáo năm 2026", None)
                 for n, p in enumerate(points, start=1)],
        actor="thuky.sct", today=SUMMARY_DAY,
    )  # fmt: skip
    bands = dict(province.score_distribution_for(session, 2026, SUMMARY_DAY))
    assert bands["từ 4 đến dưới 5 điểm"] == 1 and sum(bands.values()) == 1
    data = summary_docx(session, province.score_distribution_for(session, 2026, SUMMARY_DAY))
    text = docx_text(data)
    assert "01/06 cơ quan đã gửi điểm tự chấm tiêu chí 7.2 (thang điểm 5)" in text
    assert ["từ 4 đến dưới 5 điểm", "01"] in find_table(data, "Khoảng điểm")
    assert "Chưa có cơ quan nào gửi điểm tự chấm." not in text


def test_the_summary_converts_to_pdf(session, summary_year) -> None:
    text, pages = pdf_text(to_pdf(summary_docx(session)))
    assert pages >= 3
    flat = " ".join(text.split())
    for words in ("BÁO CÁO", "III. NHỮNG TỒN TẠI", "UBND Phường Thành Sen", "Số: 12/BC-SKHCN",
                  "3/5 báo cáo năm", "Trần Văn Minh"):  # fmt: skip
        assert words in flat


def test_the_letters_and_phu_luc_ii_convert_to_pdf(session, chase_year) -> None:
    """Each default template's output opens in LibreOffice with its pages and its text."""
    request = province.request_letter(session=session, request=letter(session), province="Hà Tĩnh")
    text, pages = pdf_text(to_pdf(request))
    flat = " ".join(text.split())
    # The letter, then its outline (đề cương) as an annex on a page of its own.
    sheets = text.split("\f")
    assert pages >= 2 and "ĐỀ CƯƠNG BÁO CÁO" not in sheets[0] and "ĐỀ CƯƠNG BÁO CÁO" in sheets[1]
    for words in ("Số: 1234/SKHCN-TĐC", "Hà Tĩnh, ngày 02 tháng 11 năm 2026",
                  "trước ngày 21/11/2026", "Lưu: VT, TĐC."):  # fmt: skip
        assert words in flat
    chase = province.chasing_letter(
        session=session, unit_code="SKHCN", year=2026, today=CHASE_DAY, province="Hà Tĩnh",
        number="5/SKHCN-TĐC", issued_on=CHASE_DAY, letter=letter(session),
    )  # fmt: skip
    text, pages = pdf_text(to_pdf(chase))
    flat = " ".join(text.split())
    assert pages >= 1 and "Số: 05/SKHCN-TĐC" in flat
    assert "Sở Ngoại vụ" in flat and "15/10/2026 40" in flat and "Sở Công Thương" not in flat
    annex = province.phu_luc_ii(session=session, unit_code="SKHCN", year=2026, today=CHASE_DAY,
                                province="Hà Tĩnh", number="20/BC-UBND", issued_on=CHASE_DAY)  # fmt: skip
    text, pages = pdf_text(to_pdf(annex))
    flat = " ".join(text.split())
    assert pages >= 2 and "Toàn tỉnh" in text.split("\f")[pages - 1]
    assert "(Kèm theo Báo cáo số 20/BC-UBND ngày 24/11/2026)" in flat


def test_phu_luc_ii_as_xlsx_has_one_row_per_agency(session, summary_year) -> None:
    data = province.phu_luc_ii_xlsx(
        session=session, year=2026, today=SUMMARY_DAY, province="Hà Tĩnh"
    )
    book = load_workbook(io.BytesIO(data))
    sheet = list(book["Phụ lục II"].iter_rows(values_only=True))
    assert sheet[0][0].startswith("PHỤ LỤC II") and "giả định" in sheet[2][0]
    header, body = list(sheet[3]), [list(r) for r in sheet[4:]]
    assert header == province.XLSX_HEADER
    assert [r[0] for r in body] == ["HATINH", "SCT", "SKHCN", "SNGV", "TTDVDN", "UB18073"]
    sct = dict(zip(header, body[1], strict=True))
    assert sct["Đánh giá nội bộ"] == "Muộn 5 ngày (20/10/2026)"
    assert (sct["KPH nặng"], sct["KPH nhẹ"], sct["Điểm lưu ý"]) == (1, 2, 0)
    assert sct["Số TTHC"] == 120 and sct["Kinh phí cấp (đồng)"] == 10_000_000
    assert sct["Quyết định công bố gần nhất"] == "301/QĐ-SCT"
    assert sct["Báo cáo"] == "Muộn 5 ngày (25/11/2026)"
    assert sct["Hình thức kiểm tra"] == "Qua hồ sơ, báo cáo"
    sngv = dict(zip(header, body[3], strict=True))
    assert sngv["Đánh giá nội bộ"] == "Quá hạn 47 ngày"
    assert sngv["Hình thức kiểm tra"] == "Trực tiếp tại trụ sở"
    assert sngv["Báo cáo khắc phục sau kiểm tra"].startswith("Quá hạn")
    levels = [list(r) for r in book["Theo cấp"].iter_rows(min_row=4, values_only=True)]
    assert [(r[0], r[1], r[5]) for r in levels] == [
        ("Cấp tỉnh", 5, "4/5"), ("Cấp xã", 1, "1/1"), ("Toàn tỉnh", 6, "5/6"),
    ]  # fmt: skip


def test_phu_luc_ii_as_docx_is_by_level(session, summary_year) -> None:
    data = province.phu_luc_ii(session=session, unit_code="SKHCN", year=2026, today=SUMMARY_DAY,
                               province="Hà Tĩnh", number="20/BC-UBND", issued_on=SUMMARY_DAY)  # fmt: skip
    assert_nd30(
        data, number_line="Số: 20/BC-UBND", date_line="Hà Tĩnh, ngày 01 tháng 12 năm 2026",
        parent_body="", issuer="ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH",
    )  # fmt: skip
    rows = find_table(data, "Cấp")
    assert rows[1:] == [
        ["Cấp tỉnh", "5", "2/5", "1", "5/5", "4/5", "5/5", "0/0", "0 / 1", "2/4", "25.000.000"],
        ["Cấp xã", "1", "0/1", "0", "0/1", "1/1", "1/1", "0/0", "0 / 0", "0/1", "0"],
        ["Toàn tỉnh", "6", "2/6", "1", "5/6", "5/6", "6/6", "0/0", "0 / 1", "2/5", "25.000.000"],
    ]
    text = docx_text(data)
    assert "(Kèm theo Báo cáo số 20/BC-UBND ngày 01/12/2026)" in text
    assert "giả định của isocycle" in text


# --- the command line ---------------------------------------------------------------------------


def test_the_cli_writes_each_document(cli, session, summary_year, tmp_path) -> None:
    day = ["--today", "2026-12-01"]
    result = cli("report", "summary", "2026", "--out", "th.docx", "--xlsx", "bang.xlsx", *day)
    assert result.exit_code == 0, result.output
    assert "Đã ghi th.docx" in result.output
    assert "đã nhận 3/5 báo cáo năm" in docx_text((tmp_path / "th.docx").read_bytes())
    book = load_workbook(tmp_path / "bang.xlsx")
    assert book["Phụ lục II"].max_row == 4 + 6
    result = cli("report", "request-letter", "SKHCN", LETTER, "--out", "cv.docx")
    assert result.exit_code == 0, result.output
    assert "ĐỀ CƯƠNG BÁO CÁO" in docx_text((tmp_path / "cv.docx").read_bytes())
    result = cli(
        "report", "chase", "2026", "--letter", LETTER, "--number", "7/SKHCN-TĐC",
        "--on", "01/12/2026", "--by", "10/12/2026", "--out", "dd.docx", *day,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    chase = (tmp_path / "dd.docx").read_bytes()
    assert "trước ngày 10/12/2026./." in docx_text(chase)
    assert [r[1] for r in find_table(chase, "TT")[1:] if r[1]] == [
        "Sở Ngoại vụ", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "UBND Phường Thành Sen",
    ]  # fmt: skip
    for out in ("pl2.docx", "pl2.xlsx"):
        assert cli("report", "phu-luc-ii", "2026", "--out", out, *day).exit_code == 0
    assert load_workbook(tmp_path / "pl2.xlsx")["Phụ lục II"].cell(5, 1).value == "HATINH"


def test_the_cli_refuses_in_vietnamese_and_writes_nothing(cli, summary_year, tmp_path) -> None:
    cases = [
        (["request-letter", "SKHCN", "9/KHONG-CO", "--out", "a.docx"],
         "Không có công văn số «9/KHONG-CO» của Sở Khoa học và Công nghệ."),
        (["summary", "2031", "--out", "a.docx"], "Năm 2031 chưa mở chu kỳ ISO"),
        (["summary", "2026", "--out", "a.pdf"], "phải có đuôi .docx"),
        (["phu-luc-ii", "2026", "--out", "khong-co/pl2.xlsx"], "thư mục «khong-co» không có"),
        (["chase", "2026", "--out", "a.docx", "--today", "2026-02-02"],
         "không có cơ quan, đơn vị nào chậm"),
    ]  # fmt: skip
    for args, message in cases:
        result = cli("report", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert not list(tmp_path.glob("*.docx")) and not list(tmp_path.glob(".isocycle-*"))


# --- the web app and the API ----------------------------------------------------------------------


@pytest.fixture
def skhcn_token(session, tokens) -> str:
    user = create_user(
        session=session, username="skhcn", password=PASSWORD, role="supervisor",
        agency_code="SKHCN",
    )  # fmt: skip
    return issue_token(session=session, user=user)


def test_the_api_serves_the_documents_to_skhcn_only(
    client, chase_year, tokens, skhcn_token
) -> None:
    url = "/api/v1/documents/province/summary?year=2026"
    for refused in ("sec_sngv", "sup_sngv", "view_all"):
        response = client.get(url, headers=bearer(tokens[refused]))
        assert response.status_code == 403, refused
        assert "Sở KH&CN" in response.json()["detail"]
    response = client.get(url, headers=bearer(skhcn_token))
    assert response.status_code == 200
    assert response.headers["content-type"] == province_web.DOCX
    assert response.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20t%E1%BB%95ng%20h%E1%BB%A3p%20ISO%202026.docx"
    )
    assert "Kính gửi: Ủy ban nhân dân tỉnh Hà Tĩnh." in docx_text(response.content)
    # The clock of the app is 24/11/2026: the chasing letter is the chase test's.
    chase = client.get(
        "/api/v1/documents/province/chase?" + urlencode({"year": 2026, "letter": LETTER}),
        headers=bearer(tokens["admin"]),
    )
    assert chase.status_code == 200
    assert ["3", "UBND Phường Thành Sen", OBJECTIVES, "23/02/2026", "274"] in find_table(
        chase.content, "TT"
    )
    xlsx = client.get(
        "/api/v1/documents/province/phu-luc-ii?year=2026", headers=bearer(skhcn_token)
    )
    assert xlsx.headers["content-type"] == province_web.XLSX
    assert load_workbook(io.BytesIO(xlsx.content))["Phụ lục II"].max_row == 4 + 6
    letter_doc = client.get(
        "/api/v1/documents/province/request-letter?" + urlencode({"letter": LETTER}),
        headers=bearer(skhcn_token),
    )
    assert letter_doc.status_code == 200 and "Kính gửi:" in docx_text(letter_doc.content)
    missing = client.get(
        "/api/v1/documents/province/request-letter?letter=9%2FX", headers=bearer(skhcn_token)
    )
    assert missing.status_code == 404 and "Không có công văn số «9/X»" in missing.json()["detail"]
    assert (
        client.get(
            "/api/v1/documents/province/summary?year=2031", headers=bearer(skhcn_token)
        ).status_code
        == 404
    )


def test_the_pages_show_the_buttons_to_skhcn_only(client, chase_year, tokens, skhcn_token) -> None:
    login(client, "sec_sngv")
    page = client.get("/dashboard?year=2026").text
    assert "Tải báo cáo tổng hợp (.docx)" not in page
    assert client.get("/documents/province/summary?year=2026").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/dashboard").text)})
    login(client, "skhcn")
    page = client.get("/dashboard?year=2026").text
    for label in ("Tải báo cáo tổng hợp (.docx)", "Tải Phụ lục II (.xlsx)",
                  "Tải công văn đôn đốc (.docx)"):  # fmt: skip
        assert label in page
    reports = client.get("/reports").text
    assert "Tải công văn (.docx)" in reports
    for href in ("/documents/province/summary?year=2026", "/documents/province/phu-luc-ii.xlsx?year=2026",
                 "/documents/province/chase?year=2026",
                 "/documents/province/request-letter?" + urlencode({"letter": LETTER})):  # fmt: skip
        assert href.replace("&", "&amp;") in page + reports or href in page + reports
        response = client.get(href)
        assert response.status_code == 200, href
        assert response.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
