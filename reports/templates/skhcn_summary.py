"""Sở KH&CN's summary report (báo cáo tổng hợp) to UBND tỉnh on the year's ISO 9001 work across
the province; every figure comes from models/iso/province_summary.py via reports/province.py."""

from __future__ import annotations

from docx.document import Document

from reports.templates.build import (
    add_else,
    add_endif,
    add_heading,
    add_if,
    add_letterhead,
    add_loop,
    add_paragraph,
    add_placeholder,
    add_signature,
    add_table,
    add_title,
    new_document,
)


def build() -> Document:
    """Sections I–V: general, results by item and kind, inspections, 7.2 scores, shortcomings."""
    doc = new_document()
    add_letterhead(doc)
    add_title(doc, "Báo cáo", "{{ subtitle }}")
    add_paragraph(doc, "Kính gửi: {{ addressee }}.", indent=False)
    add_paragraph(doc, "{{ intro }}")
    add_heading(doc, "I. TÌNH HÌNH CHUNG", 1)
    add_paragraph(doc, "{{ scope_line }}")
    add_loop(doc, "line in kind_lines", "{{ line }}")
    add_paragraph(doc, "{{ tthc_line }}")
    add_heading(doc, "II. KẾT QUẢ THỰC HIỆN", 1)
    add_heading(doc, "1. Việc gửi báo cáo", 2)
    add_paragraph(doc, "{{ reports_line }}")
    add_if(doc, "late_reports")
    add_paragraph(doc, "Các cơ quan, đơn vị gửi báo cáo muộn hoặc chưa gửi:")
    add_table(
        doc,
        ["TT", "Cơ quan, đơn vị", "Hạn gửi", "Ngày nhận", "Số ngày chậm"],
        [
            "{{ r.number }}",
            "{{ r.name }}",
            "{{ r.due }}",
            "{{ r.received }}",
            "{{ r.days }}",
        ],
        loop="r in late_reports",
        widths_mm=[12, 70, 27, 30, 26],
    )
    add_endif(doc)
    add_heading(doc, "2. Công bố, công bố lại hệ thống quản lý chất lượng", 2)
    add_paragraph(doc, "{{ announce_line }}")
    add_table(
        doc,
        ["Loại cơ quan", "Số cơ quan", "Đã công bố", "Công bố lại trong năm"],
        ["{{ r.kind }}", "{{ r.agencies }}", "{{ r.announced }}", "{{ r.reannounced }}"],
        loop="r in announce_rows",
        widths_mm=[65, 30, 35, 35],
    )
    add_heading(doc, "3. Duy trì, cải tiến hệ thống quản lý chất lượng", 2)
    add_paragraph(
        doc,
        "Kết quả thực hiện các nội dung duy trì, cải tiến theo loại cơ quan (số cơ quan đã thực "
        "hiện/số cơ quan phải thực hiện; đúng hạn/số cơ quan phải thực hiện):",
    )
    add_table(
        doc,
        ["Nội dung", "Loại cơ quan", "Đã thực hiện", "Đúng hạn"],
        ["{{ r.item }}", "{{ r.kind }}", "{{ r.done }}", "{{ r.on_time }}"],
        loop="r in item_rows",
        widths_mm=[70, 45, 25, 25],
        font_pt=11,
    )
    add_paragraph(doc, "{{ findings_line }}")
    add_heading(doc, "4. Cập nhật quy trình khi văn bản pháp luật thay đổi", 2)
    add_paragraph(doc, "{{ updates_line }}")
    add_heading(doc, "5. Kinh phí", 2)
    add_paragraph(doc, "{{ budget_line }}")
    add_heading(doc, "6. Đào tạo, tập huấn", 2)
    add_paragraph(doc, "{{ training_line }}")
    add_heading(doc, "7. Công tác kiểm tra", 2)
    add_loop(doc, "line in inspection_lines", "{{ line }}")
    add_heading(doc, "8. Kết quả tự chấm điểm tiêu chí 7.2", 2)
    add_if(doc, "score_rows")
    add_paragraph(doc, "{{ scored_line }}")
    add_table(
        doc,
        ["Khoảng điểm", "Số cơ quan"],
        ["{{ r.band }}", "{{ r.count }}"],
        loop="r in score_rows",
        widths_mm=[90, 40],
    )
    add_else(doc)
    add_paragraph(doc, "Chưa có cơ quan nào gửi điểm tự chấm.")
    add_endif(doc)
    add_heading(doc, "III. NHỮNG TỒN TẠI", 1)
    add_if(doc, "shortcomings")
    add_loop(doc, "line in shortcomings", "- {{ line }}")
    add_else(doc)
    add_paragraph(doc, "Không có cơ quan, đơn vị nào chậm hoặc chưa thực hiện các nội dung trên.")
    add_endif(doc)
    add_heading(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT", 1)
    add_placeholder(doc, "proposals", "kiến nghị, đề xuất với UBND tỉnh")
    add_paragraph(doc, "{{ closing }}")
    add_signature(doc)
    return doc
