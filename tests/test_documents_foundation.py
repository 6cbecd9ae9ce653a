"""The reports foundation: NĐ 30 letterhead and date line, templates, PDF and .xlsx."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from models.agencies import get_agency
from reports import document
from reports.document import DocumentError, Letterhead, Sheet
from reports.templates import build
from tests.docx_checks import assert_nd30, docx_text, find_table, open_docx


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        # NĐ 30: days below 10 and the months 1 and 2 take a leading zero; others do not.
        (date(2026, 2, 5), "Hà Tĩnh, ngày 05 tháng 02 năm 2026"),
        (date(2021, 6, 15), "Hà Tĩnh, ngày 15 tháng 6 năm 2021"),
        (date(2021, 11, 17), "Hà Tĩnh, ngày 17 tháng 11 năm 2021"),
        (date(2025, 12, 31), "Hà Tĩnh, ngày 31 tháng 12 năm 2025"),
        (date(2026, 1, 1), "Hà Tĩnh, ngày 01 tháng 01 năm 2026"),
        (date(2024, 2, 29), "Hà Tĩnh, ngày 29 tháng 02 năm 2024"),
    ],
)
def test_date_line(issued_on: date, expected: str) -> None:
    assert document.date_line("Hà Tĩnh", issued_on) == expected


def test_number_line_pads_to_two_digits_and_leaves_a_blank() -> None:
    def line(number: str | None) -> str:
        lh = Letterhead("", "SỞ NGOẠI VỤ", number, "Hà Tĩnh", None, 2021, "BC", "SNgV")
        return document.number_line(lh)

    assert line("5/BC-SNgV") == "Số: 05/BC-SNgV"
    assert line("177/BC-SNgV") == "Số: 177/BC-SNgV"
    assert line("05/BC-SNgV") == "Số: 05/BC-SNgV"
    assert line(None) == f"Số:{document.BLANK}/BC-SNgV"
    assert line("/BC-SCT") == f"Số:{document.BLANK}/BC-SNgV"
    blank = document.date_line("Hà Tĩnh", None, 2022)
    assert blank.startswith("Hà Tĩnh, ngày") and blank.endswith("năm 2022")


def test_letterhead_from_the_agencies(session: Session, province: Path) -> None:
    sngv = get_agency(session=session, code="SNGV")
    ward = get_agency(session=session, code="UB18073")
    assert sngv is not None and ward is not None
    head = document.letterhead(
        session,
        sngv,
        doc_kind="BC",
        number="5/BC-SNgV",
        issued_on=date(2026, 2, 5),
        province="Hà Tĩnh",
    )
    assert document.letterhead_context(head) == {
        "parent_body": "UBND TỈNH HÀ TĨNH",
        "issuer": "SỞ NGOẠI VỤ",
        "issuer_lines": ["SỞ NGOẠI VỤ"],
        "number_line": "Số: 05/BC-SNgV",
        "date_line": "Hà Tĩnh, ngày 05 tháng 02 năm 2026",
    }
    # A ward dates its documents with its own name, and numbers them "…-UBND".
    ward_head = document.letterhead(
        session, ward, doc_kind="BC", number=None, issued_on=date(2026, 3, 9), province="Hà Tĩnh"
    )
    context = document.letterhead_context(ward_head)
    # The ward issues in full; only a parent body may be written "UBND".
    assert context["issuer_lines"] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THÀNH SEN"]
    # The older "Uỷ" and a full name split the same way.
    for name in (
        "Uỷ ban nhân dân xã Thuận Lộc",
        "Ủy ban nhân dân  xã Thuận Lộc",
        "UBND xã Thuận Lộc",
    ):
        lines = document.issuer_lines(document.issuer_name(name))
        assert lines == ["ỦY BAN NHÂN DÂN", "XÃ THUẬN LỘC"], name
    assert context["date_line"] == "Thành Sen, ngày 09 tháng 3 năm 2026"
    assert context["number_line"].endswith("/BC-UBND")


def _sample_template(folder: Path) -> None:
    """Every primitive once, as a province's own template named `sample`."""
    doc = build.new_document()
    build.add_letterhead(doc)
    build.add_title(doc, "Báo cáo", "Kết quả áp dụng HTQLCL năm {{ year }}")
    build.add_heading(doc, "I. THÔNG TIN CHUNG", 1)
    build.add_paragraph(doc, "Kinh phí: {{ budget|vn_number }} đồng; điểm {{ score|vn_number }}.")
    build.add_heading(doc, "1. Thuận lợi", 2)
    build.add_placeholder(doc, "advantages", "những thuận lợi")
    build.add_heading(doc, "a) Khó khăn", 3)
    build.add_placeholder(doc, "difficulties", "những khó khăn")
    build.add_loop(doc, "d in documents", "- {{ d }}.")
    build.add_signature(doc)
    build.add_landscape_annex(doc, "Phụ lục IA", "Kết quả chấm điểm")
    build.add_table(
        doc,
        ["TT", "Tên đơn vị", "7.2.1", "7.2.2", "Tổng"],
        [
            "{{ loop.index }}",
            "{{ r.name }}",
            "{{ r.a|vn_number }}",
            "{{ r.b|vn_number }}",
            "{{ r.total|vn_number }}",
        ],
        loop="r in rows",
        widths_mm=[12, 100, 30, 30, 30],
        header_rows=[["TT", "Tên đơn vị", "Điểm", "", "Tổng"]],
        totals=["", "Cộng", "", "", "{{ sum_total|vn_number }}"],
    )
    build.save(doc, "sample", folder)


def _context() -> dict[str, object]:
    from decimal import Decimal

    head = Letterhead(
        "UBND TỈNH HÀ TĨNH",
        "SỞ NGOẠI VỤ",
        "177/BC-SNgV",
        "Hà Tĩnh",
        date(2021, 11, 17),
        2021,
        "BC",
        "SNgV",
    )
    return {
        **document.letterhead_context(head),
        **document.signature_context(
            sign_for="KT. Giám đốc",
            sign_title="Phó Giám đốc",
            signer="Ngô Thị Hoài Nam",
            recipients=["Sở Khoa học Công nghệ", "Ban Giám đốc Sở;"],
            archive="VT, VPTTr",
        ),
        "year": 2021,
        "budget": 10_000_000,
        "score": Decimal("4.5"),
        "advantages": document.paragraphs("Chuẩn hoá quy trình.\n\nTăng cường phối hợp."),
        "difficulties": [],
        "documents": ["Kế hoạch số 46/KH-SNgV <b>&</b>"],
        "attached_to": "Báo cáo số 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ",
        "rows": [
            {
                "name": "Trung tâm DTDVĐN",
                "a": Decimal("0.5"),
                "b": Decimal("0.5"),
                "total": Decimal("1"),
            },
            {"name": "Sở Ngoại vụ", "a": 0, "b": Decimal("0.5"), "total": Decimal("0.5")},
        ],
        "sum_total": Decimal("1.5"),
    }


def test_a_template_renders_to_nd30(tmp_path: Path) -> None:
    _sample_template(tmp_path)
    data = document.render_docx("sample", _context(), template_dir=tmp_path)
    assert_nd30(
        data,
        number_line="Số: 177/BC-SNgV",
        date_line="Hà Tĩnh, ngày 17 tháng 11 năm 2021",
        parent_body="UBND TỈNH HÀ TĨNH",
        issuer="SỞ NGOẠI VỤ",
    )
    text = docx_text(data)
    assert "Kinh phí: 10.000.000 đồng; điểm 4,5." in text
    assert "Chuẩn hoá quy trình.\nTăng cường phối hợp." in text
    # Nothing typed for the difficulties: the gap is marked for a person to fill.
    assert "[Phần do cơ quan viết: những khó khăn]" in text
    assert "[Phần do cơ quan viết: những thuận lợi]" not in text
    # A hostile value reaches the page as text, escaped, not as markup.
    assert "- Kế hoạch số 46/KH-SNgV <b>&</b>." in text
    assert "{{" not in text and "{%" not in text
    # Nơi nhận: each line "- …;", the archive line last; the signer's block.
    assert "- Sở Khoa học Công nghệ;\n- Ban Giám đốc Sở;\n- Lưu: VT, VPTTr." in text
    assert "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" in text and "Ngô Thị Hoài Nam" in text
    # The annex: landscape, "(Kèm theo …)", one row per item and the total.
    doc = open_docx(data)
    annex = doc.sections[-1]
    assert annex.page_width is not None and annex.page_height is not None
    assert annex.page_width > annex.page_height
    assert "(Kèm theo Báo cáo số 177/BC-SNgV ngày 17/11/2021 của Sở Ngoại vụ)" in text
    rows = find_table(data, "TT")
    assert rows[2:] == [
        ["1", "Trung tâm DTDVĐN", "0,5", "0,5", "1"],
        ["2", "Sở Ngoại vụ", "0", "0,5", "0,5"],
        # "Cộng" spans the blank cells on its right (python-docx reads each grid cell).
        ["", "Cộng", "Cộng", "Cộng", "1,5"],
    ]
    assert rows[0][2] == rows[0][3] == "Điểm", "the grouped heading spans its columns"


def test_the_default_template_is_used_when_the_province_has_none(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="sample.docx"):
        document.render_docx("sample", _context(), template_dir=tmp_path)


def test_a_broken_template_gives_a_vietnamese_message(tmp_path: Path) -> None:
    doc = build.new_document()
    build.add_paragraph(doc, "{{ not_given }}")
    build.save(doc, "sample", tmp_path)
    with pytest.raises(DocumentError, match="Không điền được mẫu văn bản sample.docx"):
        document.render_docx("sample", _context(), template_dir=tmp_path)


def test_pdf_has_page_numbers_from_page_two(tmp_path: Path) -> None:
    _sample_template(tmp_path)
    data = document.render_docx("sample", _context(), template_dir=tmp_path)
    text, pages = document.pdf_text(document.to_pdf(data))
    assert pages == 2, "the report's page and its landscape annex"
    first, second = text.split("\f")[:2]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first and "Số: 177/BC-SNgV" in first
    assert second.strip().splitlines()[0].strip() == "2", "page 2 is numbered at its top"
    assert not first.strip().splitlines()[0].strip().isdigit(), "page 1 carries no number"
    assert "Trung tâm DTDVĐN" in second


def test_xlsx_keeps_numbers_and_headings() -> None:
    data = document.xlsx_bytes(
        [
            Sheet(
                title="Phụ lục II: bảng/chi tiết theo cơ quan",
                heading=["Phụ lục II", "Năm 2026"],
                header=["TT", "Cơ quan", "Kinh phí (đồng)", "Điểm", "Ngày"],
                rows=[[1, "Sở Ngoại vụ", 10_000_000, 4.5, date(2021, 11, 17)]],
            )
        ]
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.title == "Phụ lục II- bảng-chi tiết theo "  # 31 characters at most
    assert [c.value for c in sheet[3]] == ["TT", "Cơ quan", "Kinh phí (đồng)", "Điểm", "Ngày"]
    assert sheet[3][0].font.bold
    row = [c.value for c in sheet[4]]
    assert row[:4] == [1, "Sở Ngoại vụ", 10_000_000, 4.5]
    assert row[4].date() == date(2021, 11, 17)
    assert sheet[4][2].number_format == "#,##0"


def test_the_setting_points_at_a_provinces_own_template(
    cli, opened_2026: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ISOCYCLE_REPORT_TEMPLATE_DIR: a file there named like a default replaces that default."""
    from docx import Document

    from config.settings import get_settings
    from reports.document import TEMPLATES_DIR

    own = tmp_path / "mau-cua-tinh"
    own.mkdir()
    doc = Document(str(TEMPLATES_DIR / "agency_report.docx"))
    doc.add_paragraph("Mẫu riêng của tỉnh: {{ issuer }}")
    doc.save(str(own / "agency_report.docx"))
    monkeypatch.setenv("ISOCYCLE_REPORT_TEMPLATE_DIR", str(own))
    get_settings.cache_clear()
    try:
        out = tmp_path / "bao-cao.docx"
        done = cli("report", "agency", "SNGV", "2026", "--out", str(out), "--today", "2026-11-24")
        assert done.exit_code == 0, done.output
        assert "Mẫu riêng của tỉnh: SỞ NGOẠI VỤ" in docx_text(out.read_bytes())
        # The other defaults stay: the folder holds no appendix template, so the .xlsx is made.
        monkeypatch.setenv("ISOCYCLE_REPORT_TEMPLATE_DIR", str(tmp_path / "khong-co"))
        get_settings.cache_clear()
        done = cli("report", "agency", "SNGV", "2026", "--out", str(out), "--today", "2026-11-24")
        assert done.exit_code == 0 and "Mẫu riêng" not in docx_text(out.read_bytes())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
