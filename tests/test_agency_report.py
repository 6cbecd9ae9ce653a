"""The agency's report (.docx) and its appendices (.docx tables and .xlsx), rebuilt from entered
data: Sở Ngoại vụ's 2021 report 177/BC-SNgV (seed 001) and xã Thuận Lộc's 2022 Phụ lục 1 row
(seed 003), the 6-month variant's cut-off at 14/6, the "tồn tại" the evidence shows, the NĐ 30
layout, a PDF conversion, the command line and who may download."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from dataclasses import dataclass
from datetime import date

import pytest
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook
from sqlmodel import Session, select

from cli.documents import files
from models import iso
from models.calendar import RuleSet
from models.cycles import find_step, mark_done
from models.demo import load_demo
from models.iso import activities
from models.iso.report_drafts import get_draft, save_draft
from models.periods import Period, annual, six_month
from models.tables import HistoryEntry
from models.users import create_user, issue_token
from reports import agency_report as ar
from reports.document import pdf_text, to_pdf
from tests.docx_checks import assert_nd30, docx_text, find_table, open_docx
from tests.web_support import PASSWORD, bearer

TODAY = date(2026, 11, 24)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def demo(session: Session, rules: RuleSet) -> None:
    load_demo(session=session, rules=rules, today=TODAY)


def _report(session: Session, code: str, year: int, variant: str = "annual", cards=()) -> bytes:
    return ar.agency_report(
        session=session,
        agency_code=code,
        year=year,
        variant=variant,
        today=TODAY,
        score_cards=list(cards),
    ).data


def _sngv_draft(session: Session) -> None:
    """What Sở Ngoại vụ's secretary types: the seed's signer, recipients and some prose."""
    save_draft(
        session=session,
        agency_code="SNGV",
        year=2021,
        variant="annual",
        values={
            "advantages": "Chuẩn hoá quy trình, thủ tục hành chính.\nTăng cường sự phối hợp.",
            "sign_for": "KT. Giám đốc",
            "sign_title": "Phó Giám đốc",
            "signer": "Ngô Thị Hoài Nam",
            "recipients": "- Sở Khoa học Công nghệ;\n- Ban Giám đốc Sở;\n"
            "- Các phòng chuyên môn, đơn vị thuộc Sở;\n- Lưu: VT, VPTTr.",
        },
        actor="sec_sngv",
        today=TODAY,
    )


def test_sngv_2021_report_177_is_rebuilt_from_the_demo(session: Session, demo: None) -> None:
    _sngv_draft(session)
    data = _report(session, "SNGV", 2021)
    assert_nd30(
        data,
        number_line="Số: 177/BC-SNgV",
        date_line="Hà Tĩnh, ngày 17 tháng 11 năm 2021",
        parent_body="UBND TỈNH HÀ TĨNH",
        issuer="SỞ NGOẠI VỤ",
    )
    text = docx_text(data)
    # The căn cứ: the year's plan and the letter this report answers.
    assert "Thực hiện Kế hoạch số 46/KH-SNgV ngày 19/01/2021" in text
    assert (
        "Công văn số 1753 ngày 09/11/2021 của Sở Khoa học và Công nghệ, Sở Ngoại vụ báo cáo" in text
    )
    # Seed 001 part I.3: TTHC and dossiers.
    assert "đến thời điểm báo cáo: 05 thủ tục." in text
    assert "sửa đổi, bổ sung: 04 thủ tục; ban hành mới: 0 thủ tục; bãi bỏ: 04 thủ tục." in text
    assert (
        "(tính từ 15/12/2020 đến 15/11/2021): 73 hồ sơ; số hồ sơ giải quyết quá hạn: 0 hồ sơ"
        in text
    )
    assert "dịch vụ công trực tuyến: 73 hồ sơ." in text
    # Announcement: first 37/QĐ-SNgV, latest 25/QĐ-SNgV of 16/07/2021 on 2449/QĐ-UBND.
    assert "Công bố lần đầu theo Quyết định số 37/QĐ-SNgV ngày 27/09/2018." in text
    assert "Gần nhất: công bố lại theo Quyết định số 25/QĐ-SNgV ngày 16/07/2021, trên cơ sở" in text
    assert "Ban Chỉ đạo ISO được kiện toàn theo Quyết định số 29/QĐ-SNgV ngày 05/08/2020" in text
    assert "Thời gian tổ chức đánh giá: 29/09/2021." in text
    assert "Điểm không phù hợp nặng: 0; điểm không phù hợp nhẹ: 0; điểm lưu ý: 06." in text
    assert "Ngày 03/05/2021: họp xem xét của lãnh đạo" in text
    assert (
        "Tổng số 14 quy trình nội bộ được ban hành theo Quyết định số 31/QĐ-SNgV ngày 25/09/2021"
        in text
    )
    assert "Trung tâm Dịch thuật và Dịch vụ đối ngoại: áp dụng TCVN ISO 9001:2015." in text
    assert "Kinh phí được cấp: 10.000.000 đồng." in text
    assert "cơ quan chủ trì tổ chức: 01 cuộc; được mời tham gia: 03 cuộc" in text
    assert "số lượt cán bộ, công chức tham gia: 24 lượt." in text
    assert "04 cuộc tại 04 đơn vị." in text
    # Not scored on this branch: section V and Phụ lục IA say so.
    assert "- Chưa chấm điểm." in text
    # Sections I–VII in order.
    heads = [
        "I. THÔNG TIN CHUNG",
        "II. KẾT QUẢ",
        "III. CÔNG TÁC TUYÊN TRUYỀN",
        "IV. KINH PHÍ",
        "V. TỰ CHẤM ĐIỂM",
        "VI. ĐÁNH GIÁ CHUNG",
        "VII. PHƯƠNG HƯỚNG, KIẾN NGHỊ",
    ]
    places = [text.index(h) for h in heads]
    assert places == sorted(places)
    # What the secretary typed, and the marked gaps for what is not typed yet.
    assert "Chuẩn hoá quy trình, thủ tục hành chính." in text
    assert "[Phần do cơ quan viết: những thuận lợi" not in text
    assert "[Phần do cơ quan viết: những khó khăn" in text
    assert "[Phần do cơ quan viết: kiến nghị, đề xuất]" in text
    # Signature and Nơi nhận as seed 001 writes them.
    assert "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" in text and "Ngô Thị Hoài Nam" in text
    assert "- Sở Khoa học Công nghệ;\n- Ban Giám đốc Sở;" in text
    assert "- Lưu: VT, VPTTr." in text
    assert "(Kèm theo Báo cáo số 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ)" in text


def test_sngv_2021_appendices_in_the_docx(session: Session, demo: None) -> None:
    data = _report(session, "SNGV", 2021)
    doc = open_docx(data)
    # The body is portrait; the three appendices are landscape sections.
    orientations = [s.orientation for s in doc.sections]
    assert orientations == [WD_ORIENT.PORTRAIT] + [WD_ORIENT.LANDSCAPE] * 3
    # The signature block never breaks across pages.
    signature = next(t for t in doc.tables if t.cell(0, 0).text.startswith("Nơi nhận:"))
    assert "<w:cantSplit/>" in signature.rows[0]._tr.xml
    ia = find_table(data, "TT")
    assert ia[1][2:8] == [f"Tiêu chí 7.2.{i}" for i in range(1, 7)]
    assert ia[2][:2] == ["1", "Chưa chấm điểm"]
    tasks = {r[1]: r[3] for r in _table_with(data, "Nhiệm vụ/Nội dung")}
    assert tasks["Ban hành văn bản chỉ đạo"] == "05"
    assert tasks["Số cuộc tập huấn/đào tạo được cơ quan chủ trì tổ chức:"] == "01"
    assert tasks["Số cuộc tập huấn/đào tạo được mời tham gia:"] == "03"
    assert tasks["Số lượt cán bộ, công chức được tham gia tập huấn/đào tạo:"] == "24 lượt"
    assert tasks["Số cuộc kiểm tra do cơ quan chủ trì thực hiện:"] == "04"
    assert tasks["Số cơ quan/đơn vị được kiểm tra:"] == "04"
    conversion = _table_with(data, "Năm áp dụng ISO 9001:2008")
    assert conversion[1:] == [
        ["1", "Sở Ngoại vụ", "2009", "2018", ""],
        ["2", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "2017", "2019", ""],
    ]
    annex_1 = _table_with(data, "Ngày đánh giá chất lượng nội bộ")
    assert annex_1[2][:8] == [
        "1",
        "Sở Ngoại vụ",
        "27/QĐ-SNgV ngày 25/07/2018",
        "29/09/2021",
        "37/QĐ-SNgV ngày 27/09/2018; Công bố lại: 25/QĐ-SNgV ngày 16/07/2021",
        "0",
        "14",
        "0",
    ]
    assert annex_1[3][1:3] == [
        "Trung tâm Dịch thuật và Dịch vụ đối ngoại",
        "52/QĐ-DTDVĐN ngày 28/09/2019",
    ]


def _table_with(data: bytes, header: str) -> list[list[str]]:
    for table in open_docx(data).tables:
        cells = [[c.text.strip() for c in row.cells] for row in table.rows]
        if any(header in cell for row in cells[:2] for cell in row):
            return cells
    raise AssertionError(f"no table with {header!r}")


@dataclass
class Criterion:
    code: str
    max_points: float
    points: float | None
    note: str | None = None


@dataclass
class Card:
    agency_name: str
    criteria: list[Criterion]
    total: float | None
    max_total: float


def test_score_cards_fill_section_v_and_phu_luc_ia(session: Session, demo: None) -> None:
    maxima = [0.5, 0.5, 1, 1.5, 1, 0.5]
    given = [0.5, 0.5, 1, 1, 1, 0.5]
    card = Card(
        "Sở Ngoại vụ",
        [
            Criterion(f"7.2.{i + 1}", m, p)
            for i, (m, p) in enumerate(zip(maxima, given, strict=True))
        ],
        4.5,
        5,
    )
    data = _report(session, "SNGV", 2021, cards=[card])
    text = docx_text(data)
    assert "tổng số điểm 4,5/5 (chi tiết tại Phụ lục IA)" in text
    assert "Chưa chấm điểm" not in text
    ia = find_table(data, "TT")
    assert ia[1][2:8] == [
        "Tiêu chí 7.2.1 (0,5 điểm)",
        "Tiêu chí 7.2.2 (0,5 điểm)",
        "Tiêu chí 7.2.3 (1 điểm)",
        "Tiêu chí 7.2.4 (1,5 điểm)",
        "Tiêu chí 7.2.5 (1 điểm)",
        "Tiêu chí 7.2.6 (0,5 điểm)",
    ]
    assert ia[2] == ["1", "Sở Ngoại vụ", "0,5", "0,5", "1", "1", "1", "0,5", "4,5", ""]


def test_the_xlsx_holds_the_three_appendices(session: Session, demo: None) -> None:
    book = ar.appendix_xlsx(
        session=session,
        agency_code="SNGV",
        year=2021,
        variant="annual",
        today=TODAY,
        score_cards=[],
    )
    assert book.file_name == "Phu-luc-ISO-SNGV-2021.xlsx"
    wb = load_workbook(io.BytesIO(book.data))
    assert wb.sheetnames == ["Phụ lục IA", "Phụ lục IIA", "Phụ lục IIA (chuyển đổi)", "Phụ lục 1"]
    tasks = {r[1]: r[3] for r in wb["Phụ lục IIA"].iter_rows(values_only=True) if r[1]}
    assert tasks["Ban hành văn bản chỉ đạo"] == 5  # a number, for Excel to add up
    assert tasks["Số lượt cán bộ, công chức được tham gia tập huấn/đào tạo:"] == "24 lượt"
    assert tasks["Số cơ quan/đơn vị được kiểm tra:"] == 4
    rows = list(wb["Phụ lục IIA (chuyển đổi)"].iter_rows(values_only=True))
    assert rows[-2:] == [
        (1, "Sở Ngoại vụ", 2009, 2018, None),
        (2, "Trung tâm Dịch thuật và Dịch vụ đối ngoại", 2017, 2019, None),
    ]
    heading = wb["Phụ lục 1"]["A2"].value
    assert heading == "(Kèm theo Báo cáo số 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ)"


def test_thuan_loc_2022_phu_luc_1_row(session: Session, demo: None) -> None:
    data = _report(session, "XTHUANLOC", 2022)
    row = _table_with(data, "Ngày đánh giá chất lượng nội bộ")[2]
    # Seed 003 Phụ lục 1: "395/QĐ-UBND Ban hành cập nhật HTTL năm 2018 | 11/2022 | QĐ số:
    # 96/QĐ-UBND, ngày 28/8/2018 Công bố lại: theo QĐ số 721/QĐ-UBND, ngày 19/5/2022"; 11 quy
    # trình nội bộ (865/QĐ-UBND).
    assert row == [
        "1",
        "UBND xã Thuận Lộc",
        "395/QĐ-UBND năm 2018",
        "11/2022",
        "96/QĐ-UBND ngày 28/08/2018; Công bố lại: 721/QĐ-UBND ngày 19/05/2022",
        "0",
        "11",
        "0",
        "",
    ]
    # A commune: its parent body and its own place in the date line; no number or date yet.
    assert_nd30(
        data,
        number_line="Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND",
        date_line="Thuận Lộc, ngày\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0tháng\u00a0\u00a0\u00a0\u00a0"
        "\u00a0\u00a0năm 2022",
        parent_body="UBND THỊ XÃ HỒNG LĨNH",
        issuer="ỦY BAN NHÂN DÂN XÃ THUẬN LỘC",
    )
    text = docx_text(data)
    assert "Công văn số 1671/UBND-KT ngày 21/10/2022 của UBND thị xã Hồng Lĩnh" in text


def test_the_six_month_report_stops_at_14_6_and_plans_the_second_half(
    session: Session, demo: None
) -> None:
    # At the edges: a document of 14/6 is in the first half, the biên bản of 15/6 is not.
    for number, on in (("60/KH-SNgV", date(2021, 6, 14)), ("61/KH-SNgV", date(2021, 6, 15))):
        activities.add_directing_document(
            session=session,
            agency_code="SNGV",
            period=annual(2021),
            number=number,
            title="Văn bản chỉ đạo",
            issued_on=on,
            actor="test",
            today=TODAY,
        )
    data = _report(session, "SNGV", 2021, "six_month")
    text = docx_text(data)
    assert "6 tháng đầu năm 2021" in text
    assert "60/KH-SNgV ngày 14/06/2021" in text
    assert "61/KH-SNgV" not in text and "Biên bản họp xem xét của Ban Chỉ đạo ISO" not in text
    # The audit of 29/09/2021 is after the cut-off; the review of 03/05/2021 before it.
    assert "Trong kỳ báo cáo chưa tổ chức đánh giá nội bộ." in text
    assert "Ngày 03/05/2021: họp xem xét của lãnh đạo" in text
    # Training by 14/6: one held (08/04) and one attended (18/03): 16 + 2 person-times.
    assert "cơ quan chủ trì tổ chức: 01 cuộc; được mời tham gia: 01 cuộc" in text
    assert "tham gia: 18 lượt." in text
    # The plan for the second half: the year's steps due after 14/6, not this report itself.
    assert "Các việc theo kế hoạch trong 6 tháng cuối năm:" in text
    assert "- Đánh giá nội bộ: hạn 15/10/2021." in text
    assert "- Xem xét của lãnh đạo: hạn 10/11/2021." in text
    assert "Báo cáo 6 tháng gửi Sở KH&CN: hạn" not in text
    tasks = {r[1]: r[3] for r in _table_with(data, "Nhiệm vụ/Nội dung")}
    assert tasks["Ban hành văn bản chỉ đạo"] == "03"  # 46/KH, 163/SNgV-VPTTr and 60/KH
    # The annual report of the same year has none of this plan.
    assert "6 tháng cuối năm" not in docx_text(_report(session, "SNGV", 2021))


def test_the_shortcomings_come_from_the_evidence(
    session: Session, opened_2026: None, rules: RuleSet
) -> None:
    iso_rules = iso.load_iso_rules()
    # A late plan: due 02/02/2026 (31/01 is a Saturday), done on 20/02/2026.
    plan = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    mark_done(
        session=session, step=plan, done_on=date(2026, 2, 20), ref="12/KH-SNgV", note=None,
        actor="test", today=TODAY,
    )  # fmt: skip
    # Two objectives, one missed.
    iso.add_objectives(
        session=session,
        agency_code="SNGV",
        year=2026,
        objectives=[
            iso.ObjectiveIn("Hồ sơ giải quyết đúng hạn", ">=", 95, "%", None, 98),
            iso.ObjectiveIn("Khiếu nại về TTHC", "<=", 0, "", None, 2),
        ],
        actor="test",
        today=TODAY,
    )
    # A legal change whose procedure update is still not done.
    iso.record_event(
        session=session, kind="legal_change", number="15/2026/NĐ-CP",
        effective_on=date(2026, 3, 1), agency_codes=["SNGV"], actor="test", rules=iso_rules,
        working=rules.working, title="Nghị định sửa đổi thủ tục",
    )  # fmt: skip
    update = find_step(
        session=session, agency_code="SNGV", year=2026, key="procedure_update:15/2026/NĐ-CP"
    )
    # An audit finding whose corrective action is overdue.
    iso.record_audit(
        session=session, agency_code="SNGV", year=2026, start_on=date(2026, 9, 10),
        end_on=date(2026, 9, 10), ref="KH đánh giá nội bộ 2026", team=None, scope_units=[],
        findings=[iso.FindingIn(severity="minor", unit="Văn phòng", description="Thiếu hồ sơ")],
        actor="test", today=TODAY,
    )  # fmt: skip
    iso.add_action(
        session=session, agency_code="SNGV", year=2026, finding_number=1, owner_name="Lê Văn A",
        owner_email=None, description="Bổ sung hồ sơ", actor="test", rules=iso_rules,
        working=rules.working, due=date(2026, 10, 30),
    )  # fmt: skip
    text = docx_text(_report(session, "SNGV", 2026))
    start = text.index("2. Những điểm tồn tại cần khắc phục")
    section = text[start : text.index("3. Nguyên nhân", start)]
    assert (
        "Ban hành kế hoạch duy trì, cải tiến HTQLCL năm: hoàn thành ngày 20/02/2026, chậm "
        f"{(date(2026, 2, 20) - plan.due).days} ngày so với hạn {plan.due:%d/%m/%Y}."
    ) in section
    assert "Hành động khắc phục số 1 (Bổ sung hồ sơ): quá hạn 25 ngày (hạn 30/10/2026)." in section
    assert (
        "Cập nhật quy trình theo văn bản 15/2026/NĐ-CP quá 3 tháng kể từ ngày có hiệu lực: chưa "
        f"cập nhật, quá hạn {(TODAY - update.due).days} ngày (hạn {update.due:%d/%m/%Y})."
    ) in section
    assert "Mục tiêu chất lượng số 2 (Khiếu nại về TTHC) không đạt." in section
    assert "Mục tiêu chất lượng số 1" not in section
    assert "1/2 mục tiêu đạt" in text
    assert "Hành động khắc phục: mở 01, đã hoàn thành và xác nhận hiệu lực 0, chậm hạn 01." in text
    assert "Cập nhật đúng hạn (trong 3 tháng): 0/1 văn bản thay đổi." in text
    table = _table_with(_report(session, "SNGV", 2026), "Mục tiêu chất lượng")
    assert table[1] == ["1", "Hồ sơ giải quyết đúng hạn", "≥ 95%", "98%", "Đạt"]
    assert table[2] == ["2", "Khiếu nại về TTHC", "≤ 0", "2", "Không đạt"]
    assert table[-1][-1] == "1/2 mục tiêu đạt"


def test_an_agency_building_its_system_gets_the_build_branch(
    session: Session, opened_2026: None
) -> None:
    maintaining = docx_text(_report(session, "UB18073", 2026))
    assert "Đối với đơn vị duy trì, cải tiến hệ thống" in maintaining
    assert "Đối với đơn vị xây dựng mới hệ thống" not in maintaining
    iso.set_profile(
        session=session, agency_code="UB18073", values={"edition": "2015", "mode": "build"},
        actor="test", today=TODAY,
    )  # fmt: skip
    iso.record_committee(
        session=session, agency_code="UB18073", ref="15/QĐ-UBND", decided_on=date(2026, 8, 20),
        members=[], actor="test", today=TODAY,
    )  # fmt: skip
    text = docx_text(_report(session, "UB18073", 2026))
    branch = text[text.index("Đối với đơn vị xây dựng mới hệ thống") : text.index("III. ")]
    assert "Việc thành lập Ban chỉ đạo ISO" in branch
    assert "Quyết định số 15/QĐ-UBND ngày 20/08/2026" in branch
    assert "hình thức: xây dựng mới" in branch
    assert "Đối với đơn vị duy trì, cải tiến hệ thống" not in text
    assert "1. Việc kiện toàn Ban chỉ đạo ISO" not in text


def test_a_draft_is_kept_with_its_history_and_refused_whole(
    session: Session, opened_2026: None
) -> None:
    save_draft(
        session=session, agency_code="SNGV", year=2026, variant="six_month",
        values={"difficulties": "Thiếu cán bộ", "report_date": date(2026, 6, 12)},
        actor="sec_sngv", today=TODAY,
    )  # fmt: skip
    draft = get_draft(session=session, agency_code="SNGV", year=2026, variant="six_month")
    assert draft is not None and draft.difficulties == "Thiếu cán bộ"
    assert get_draft(session=session, agency_code="SNGV", year=2026, variant="annual") is None
    with pytest.raises(iso.IsoError) as refused:
        save_draft(
            session=session, agency_code="SNGV", year=2026, variant="six_month",
            values={"difficulties": "x" * 8001, "signer": "y" * 201}, actor="a", today=TODAY,
        )  # fmt: skip
    assert "Khó khăn dài quá 8000 ký tự" in str(refused.value)
    assert "Người ký dài quá 200 ký tự" in str(refused.value)
    session.expire_all()
    kept = get_draft(session=session, agency_code="SNGV", year=2026, variant="six_month")
    assert kept is not None and kept.difficulties == "Thiếu cán bộ" and kept.signer is None
    from models.history_text import describe, missing_labels

    entries = session.exec(select(HistoryEntry).where(HistoryEntry.entity == "report_draft")).all()
    assert len(entries) == 1 and not missing_labels(entries)
    assert "soạn phần viết tay của báo cáo 6 tháng 2026" in describe(entries[0]).sentence


def test_one_pdf_conversion_has_the_pages_and_the_text(session: Session, demo: None) -> None:
    _sngv_draft(session)
    # With the recorded score cards, as the CLI and the web make it.
    cards = ar._score_cards(session, "SNGV", 2021, TODAY)
    text, pages = pdf_text(to_pdf(_report(session, "SNGV", 2021, cards=cards)))
    # The report (3 pages or more) and one landscape page per appendix.
    assert pages >= 6
    squashed = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in squashed
    assert "Số: 177/BC-SNgV" in squashed
    assert "Hà Tĩnh, ngày 17 tháng 11 năm 2021" in squashed
    assert "Phụ lục IIA" in squashed and "Phụ lục 1" in squashed
    assert "Ngô Thị Hoài Nam" in squashed
    last = text.split("\f")[pages - 1] if "\f" in text else text
    assert "Phụ lục 1" in last
    # NĐ 30: the signature block is never alone on its page; the closing sentence comes with it.
    signed = next(page for page in text.split("\f") if "Nơi nhận" in page)
    assert "Trên đây là báo cáo" in " ".join(signed.split())
    # Phụ lục IA keeps to one page: its notes (each unit's, some 330 characters) have room.
    heads = [" ".join(page.split()) for page in text.split("\f")]
    ia = next(n for n, page in enumerate(heads) if "Phụ lục IA Kết quả chấm điểm" in page)
    assert "Phụ lục IIA" in heads[ia + 1], heads[ia + 1][:200]


def test_a_report_nobody_has_signed_yet_marks_the_signer_s_gaps(session: Session, demo) -> None:
    """No draft: the signer's title and name are highlighted gaps, not a bare right column."""
    text = docx_text(_report(session, "SCT", 2021))
    assert "[chức vụ người ký]" in text and "[họ và tên người ký]" in text
    _sngv_draft(session)
    signed = docx_text(_report(session, "SNGV", 2021))
    assert "PHÓ GIÁM ĐỐC" in signed and "Ngô Thị Hoài Nam" in signed
    assert "[chức vụ người ký]" not in signed and "[họ và tên người ký]" not in signed


def test_the_cli_writes_the_files_and_says_what_is_wrong(cli, demo: None, tmp_path) -> None:
    out = tmp_path / "bao-cao.docx"
    done = cli("report", "agency", "SNGV", "2021", "--out", str(out), "--today", "2026-11-24")
    assert done.exit_code == 0, done.output
    assert "Số: 177/BC-SNgV" in docx_text(out.read_bytes())
    book = tmp_path / "phu-luc.xlsx"
    done = cli("report", "appendix", "SNGV", "2021", "--period", "6-month", "--out", str(book))
    assert done.exit_code == 0, done.output
    assert load_workbook(book).sheetnames[0] == "Phụ lục IA"
    unknown = cli("report", "agency", "KHONGCO", "2021", "--out", str(out))
    assert unknown.exit_code == 1 and "Không có đơn vị mã «KHONGCO»" in unknown.output
    bad = cli("report", "agency", "SNGV", "2021", "--period", "quy", "--out", str(out))
    assert bad.exit_code == 1 and "kỳ báo cáo «quy» không có" in bad.output
    nowhere = tmp_path / "khong-co" / "bao-cao.docx"
    failed = cli("report", "agency", "SNGV", "2021", "--out", str(nowhere))
    assert failed.exit_code == 1 and "hãy tạo thư mục trước" in failed.output
    assert not nowhere.exists()
    wrong = cli("report", "appendix", "SNGV", "2021", "--out", str(tmp_path / "phu-luc.docx"))
    assert wrong.exit_code == 1 and "phải có đuôi .xlsx" in wrong.output
    # The file has the mode any new file gets (mkstemp alone would leave it 0600, owner only).
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    # A comma in the name stays a comma; only the byte count is written "42.604".
    comma = cli("report", "agency", "SNGV", "2021", "--out", "bao-cao,2021.docx")
    assert re.search(r"Đã ghi bao-cao,2021\.docx \(\d+\.\d{3} byte\)\.", comma.output)


def test_the_cli_says_why_a_file_cannot_be_written_in_vietnamese(
    cli, demo: None, monkeypatch
) -> None:
    """The system's reason (English) is never shown: a refused write says it in Vietnamese."""
    for code, reason in (
        (errno.EACCES, "không có quyền ghi vào đó"),
        (errno.ENOSPC, "ổ đĩa đã đầy"),
    ):

        def refuse(*args, code=code, **kwargs):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
        refused = cli("report", "agency", "SNGV", "2021", "--out", "bao-cao.docx")
        assert refused.exit_code == 1
        assert f"không ghi được tệp «bao-cao.docx»: {reason}." in refused.output
        assert os.strerror(code) not in refused.output


# --- the web ------------------------------------------------------------------------------------


@pytest.fixture
def overseer(session: Session, tokens: dict[str, str]) -> dict[str, str]:
    user = create_user(
        session=session, username="sec_skhcn", password=PASSWORD, role="secretary",
        agency_code="SKHCN",
    )  # fmt: skip
    return tokens | {"sec_skhcn": issue_token(session=session, user=user)}


def _api(client, token: str, code: str = "SNGV", what: str = "report", **query: str):
    params = {"year": "2026", "period": "annual"} | query
    return client.get(
        f"/api/v1/agencies/{code}/documents/{what}", params=params, headers=bearer(token)
    )


def test_the_api_serves_the_files_to_whom_it_may(client, overseer) -> None:
    mine = _api(client, overseer["sec_sngv"])
    assert mine.status_code == 200 and mine.headers["content-type"] == DOCX
    disposition = mine.headers["content-disposition"]
    assert (
        disposition.startswith("attachment;")
        and "filename*=UTF-8''Bao-cao-ISO-SNGV-2026.docx" in disposition
    )
    assert "Số:" in docx_text(mine.content)
    book = _api(client, overseer["sec_sngv"], what="appendix", period="6-month")
    assert book.status_code == 200 and book.headers["content-type"] == XLSX
    assert "Phu-luc-ISO-6-thang-SNGV-2026.xlsx" in book.headers["content-disposition"]
    # Another agency's secretary is refused; Sở KH&CN and the admin may read any agency.
    refused = _api(client, overseer["sec_sct"])
    assert refused.status_code == 403 and "Sở Ngoại vụ" in refused.json()["detail"]
    assert _api(client, overseer["sec_skhcn"]).status_code == 200
    assert _api(client, overseer["admin"], code="SCT").status_code == 200
    assert _api(client, overseer["sec_sngv"], period="quy").status_code == 422
    assert _api(client, overseer["sec_sngv"], code="KHONGCO").status_code == 404


def test_the_page_keeps_the_prose_for_the_agency_only(client, overseer, session) -> None:
    from tests.web_support import csrf_of, login

    login(client, "sec_sngv")
    url = "/reports/document?agency=SNGV&year=2026&period=annual"
    page = client.get(url)
    assert page.status_code == 200
    assert "Tải báo cáo (.docx)" in page.text and "Tải phụ lục (.xlsx)" in page.text
    form = {
        "csrf_token": csrf_of(page.text), "agency": "SNGV", "year": "2026", "period": "annual",
        "recommendations": "Đề nghị tập huấn <thư ký> ISO", "report_date": "31/02/2026",
    }  # fmt: skip
    bad_date = client.post("/reports/document", data=form)
    # Refused naming the field, with what was typed still in the form; nothing written.
    assert (
        bad_date.status_code == 422 and "Ngày báo cáo: “31/02/2026” không hợp lệ" in bad_date.text
    )
    assert ">Đề nghị tập huấn &lt;thư ký&gt; ISO</textarea>" in bad_date.text
    assert 'value="31/02/2026"' in bad_date.text
    assert get_draft(session=session, agency_code="SNGV", year=2026, variant="annual") is None
    saved = client.post("/reports/document", data=form | {"report_date": "20/11/2026"})
    assert saved.status_code == 303
    after = client.get(url)
    assert "Đề nghị tập huấn &lt;thư ký&gt; ISO" in after.text  # autoescaped
    download = client.get("/reports/document/report.docx?agency=SNGV&year=2026&period=annual")
    assert download.headers["content-type"] == DOCX
    text = docx_text(download.content)
    assert "Đề nghị tập huấn <thư ký> ISO" in text
    assert "Hà Tĩnh, ngày 20 tháng 11 năm 2026" in text
    assert client.post("/reports/document", data=form | {"csrf_token": "sai"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(after.text)})
    login(client, "sec_sct")
    other = client.get(url)
    assert other.status_code == 403
    sct_page = client.get("/reports")
    refused = client.post("/reports/document", data=form | {"csrf_token": csrf_of(sct_page.text)})
    assert refused.status_code == 403
    session.expire_all()
    kept = get_draft(session=session, agency_code="SNGV", year=2026, variant="annual")
    assert kept is not None and kept.recommendations == "Đề nghị tập huấn <thư ký> ISO"


def test_a_vietnamese_file_name_reaches_every_browser() -> None:
    from web.documents.agency import download

    headers = download(b"x", "Báo cáo ISO Sở Ngoại vụ.docx", DOCX).headers
    disposition = headers["content-disposition"]
    # Old browsers read the plain name (non-ASCII letters replaced), new ones the UTF-8 one.
    assert 'filename="B_o c_o ISO S_ Ngo_i v_.docx"' in disposition
    assert (
        "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20ISO%20S%E1%BB%9F%20Ngo%E1%BA%A1i%20v%E1%BB%A5.docx"
        in disposition
    )
    assert headers["content-type"] == DOCX and headers["x-content-type-options"] == "nosniff"


def test_phu_luc_ia_comes_from_the_recorded_self_scores(session: Session, demo: None) -> None:
    """177/BC-SNgV: "tổng số điểm: 5/5", and Phụ lục IA's Trung tâm DTDVĐN row 0,5 … 0,5 = 5."""
    cards = ar._score_cards(session, "SNGV", 2021, TODAY)
    data = _report(session, "SNGV", 2021, cards=cards)
    text = docx_text(data)
    assert "tổng số điểm 5/5 (chi tiết tại Phụ lục IA)" in text
    ia = find_table(data, "TT")
    rows = {row[1]: row[2:9] for row in ia[2:]}
    full = ["0,5", "0,5", "1", "1,5", "1", "0,5", "5"]
    assert rows["Trung tâm Dịch thuật và Dịch vụ đối ngoại"] == full
    assert rows["Sở Ngoại vụ"] == full
    book = load_workbook(
        io.BytesIO(
            ar.appendix_xlsx(
                session=session,
                agency_code="SNGV",
                year=2021,
                variant="annual",
                today=TODAY,
                score_cards=cards,
            ).data
        )
    )
    sheet_rows = [r for r in book["Phụ lục IA"].iter_rows(values_only=True) if r[1]]
    centre = next(r for r in sheet_rows if r[1] == "Trung tâm Dịch thuật và Dịch vụ đối ngoại")
    assert [float(v) for v in centre[2:9]] == [0.5, 0.5, 1, 1.5, 1, 0.5, 5]


def test_sct_reports_its_own_score_of_four_and_a_half(session: Session, demo: None) -> None:
    """Seed 002: Sở Công Thương scored itself 4,5/5, 0 on 7.2.2 (fewer than 05 procedures)."""
    cards = ar._score_cards(session, "SCT", 2021, TODAY)
    data = _report(session, "SCT", 2021, cards=cards)
    assert "tổng số điểm 4,5/5 (chi tiết tại Phụ lục IA)" in docx_text(data)
    row = next(r for r in find_table(data, "TT")[2:] if r[1] == "Sở Công Thương")
    assert row[2:9] == ["0,5", "0", "1", "1,5", "1", "0,5", "4,5"]
    assert "Số quy trình nội bộ dưới 05 quy trình" in row[9]


def test_a_year_before_any_scheme_has_no_score(session: Session, demo: None) -> None:
    assert ar._score_cards(session, "SNGV", 2020, TODAY) == []


def test_prose_typed_on_several_lines_in_a_browser_is_kept(client, overseer, session) -> None:
    """A browser posts a textarea's line breaks as CRLF (HTML's form encoding): they are line
    breaks, not control characters, and each line is a paragraph of the report."""
    from tests.web_support import csrf_of, login

    login(client, "sec_sngv")
    url = "/reports/document?agency=SNGV&year=2026&period=annual"
    form = {
        "csrf_token": csrf_of(client.get(url).text), "agency": "SNGV", "year": "2026",
        "period": "annual", "advantages": "Chuẩn hoá quy trình.\r\nTăng cường phối hợp.",
        "recipients": "- Sở Khoa học và Công nghệ;\r\n- Lưu: VT, VPTTr.",
    }  # fmt: skip
    assert client.post("/reports/document", data=form).status_code == 303
    assert "ký tự điều khiển" not in client.get(url).text
    draft = get_draft(session=session, agency_code="SNGV", year=2026, variant="annual")
    assert draft is not None
    assert draft.advantages == "Chuẩn hoá quy trình.\nTăng cường phối hợp."
    text = docx_text(client.get("/reports/document/report.docx?" + url.split("?")[1]).content)
    assert "\nChuẩn hoá quy trình.\nTăng cường phối hợp.\n" in text
    assert "- Lưu: VT, VPTTr." in text


def test_text_in_the_xlsx_stays_text_whatever_a_secretary_types(session: Session, demo: None):
    """A note starting with "=" must not become a formula in Sở KH&CN's Excel (=HYPERLINK runs
    when clicked): as in the dashboard's .xlsx, strings stay text."""
    formula = '=HYPERLINK("http://example.com","Bấm vào đây")'
    iso.set_self_score(
        session=session, agency_code="SNGV", year=2021, criterion="7.2.1", actor="t",
        points=ar._score_cards(session, "SNGV", 2021, TODAY)[0].criterion("7.2.1").points,
        reason="Theo báo cáo", note=formula, today=TODAY,
    )  # fmt: skip
    data = ar.appendix_xlsx(
        session=session, agency_code="SNGV", year=2021, variant="annual", today=TODAY,
        score_cards=ar._score_cards(session, "SNGV", 2021, TODAY),
    ).data  # fmt: skip
    sheet = load_workbook(io.BytesIO(data))["Phụ lục IA"]
    notes = [r[-1] for r in sheet.iter_rows() if r[1].value == "Sở Ngoại vụ"]
    assert len(notes) == 1 and notes[0].data_type == "s"
    assert notes[0].value.startswith(formula + "; ")


def test_an_unknown_agency_on_the_report_pages_is_said_in_vietnamese(client, overseer) -> None:
    from tests.web_support import csrf_of, login

    login(client, "sec_sngv")
    token = csrf_of(client.get("/reports/document?agency=SNGV&year=2026").text)
    answers = [
        client.get("/reports/document?agency=KHONGCO&year=2026"),
        client.get("/reports/document/report.docx?agency=KHONGCO&year=2026"),
        client.get("/reports/document/appendix.xlsx?agency=KHONGCO&year=2026"),
        client.post(
            "/reports/document",
            data={"csrf_token": token, "agency": "KHONGCO", "year": "2026", "period": "annual"},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert "Không có đơn vị mã" in answer.text and "unknown agency" not in answer.text


def test_a_six_month_budget_is_not_added_to_the_year_s(session: Session, demo: None) -> None:
    """Seed 001's year has 10.000.000 đồng (duy trì); a first-half budget entered for the 6-month
    report is a part of it, not more money: each report states the budget of its own period."""
    activities.set_budget(
        session=session, agency_code="SNGV", period=six_month(2021), allocated="4.000.000",
        spent=None, actor="test",
    )  # fmt: skip
    assert "Kinh phí được cấp: 10.000.000 đồng." in docx_text(_report(session, "SNGV", 2021))
    half = docx_text(_report(session, "SNGV", 2021, "six_month"))
    assert "Kinh phí được cấp: 4.000.000 đồng." in half
    # Budgets by calendar year: 2022's report (15/12/2021–14/12/2022) states 2022's, not also
    # 2021's because their last 17 days fall in it.
    for year, amount in ((2021, "9.000.000"), (2022, "7.000.000")):
        activities.set_budget(
            session=session, agency_code="SNGV", allocated=amount, spent=None, actor="test",
            period=Period(date(year, 1, 1), date(year, 12, 31)),
        )  # fmt: skip
    assert "Kinh phí được cấp: 7.000.000 đồng." in docx_text(_report(session, "SNGV", 2022))
    assert "Kinh phí được cấp: 10.000.000 đồng." in docx_text(_report(session, "SNGV", 2021))


def test_an_update_not_yet_due_is_not_counted_as_missed(
    session: Session, opened_2026: None, rules: RuleSet
) -> None:
    """A legal change of 01/10/2026 is due for its procedure update on 01/01/2027: on 24/11/2026
    it is neither on time nor late, so "x/y cập nhật đúng hạn" leaves it out of y."""
    iso.record_event(
        session=session, kind="legal_change", number="30/2026/NĐ-CP",
        effective_on=date(2026, 10, 1), agency_codes=["SNGV"], actor="test",
        rules=iso.load_iso_rules(), working=rules.working, title="Nghị định mới",
    )  # fmt: skip
    update = find_step(
        session=session, agency_code="SNGV", year=2026, key="procedure_update:30/2026/NĐ-CP"
    )
    assert update is not None and update.due > TODAY
    text = docx_text(_report(session, "SNGV", 2026))
    assert (
        f"- Văn bản 30/2026/NĐ-CP (hiệu lực 01/10/2026): chưa cập nhật, hạn {update.due:%d/%m/%Y}."
        in text
    )
    assert "0/1 văn bản thay đổi" not in text
    assert "- Chưa có văn bản thay đổi nào đến hạn cập nhật." in text


def test_objectives_without_a_result_are_not_counted_as_missed() -> None:
    """Seed 001: Sở Ngoại vụ set 03 objectives and had not yet measured them ("chưa tiến hành
    đánh giá"): that is not "0/3 mục tiêu đạt"."""
    from dataclasses import replace as with_

    from models.iso.report_facts import ObjectiveFacts

    def objective(n: int, achieved: bool | None) -> ObjectiveFacts:
        result = None if achieved is None else 1.0
        return ObjectiveFacts(n, f"Chỉ tiêu {n}", ">=", 1.0, "%", result, achieved)

    class Facts:
        objectives: list[ObjectiveFacts] = []

        @property
        def objectives_achieved(self) -> int:
            return sum(o.achieved is True for o in self.objectives)

    facts = Facts()
    facts.objectives = [objective(1, None), objective(2, None), objective(3, None)]
    assert ar.objectives_summary(facts) == "chưa có số liệu kết quả mục tiêu nào"  # type: ignore[arg-type]
    facts.objectives = [objective(1, True), objective(2, False), objective(3, None)]
    assert ar.objectives_summary(facts) == "1/2 mục tiêu đạt; 01 mục tiêu chưa có kết quả"  # type: ignore[arg-type]
    facts.objectives = [with_(o, achieved=True) for o in facts.objectives]
    assert ar.objectives_summary(facts) == "3/3 mục tiêu đạt"  # type: ignore[arg-type]
