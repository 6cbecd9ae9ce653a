"""The agency's report template (agency_report.docx): Sở KH&CN's outline (seed 004) in the order
Sở Ngoại vụ's 177/BC-SNgV answers it (seed 001), then Phụ lục IA, IIA and 1 in landscape.

The sentences the records state come from reports/agency_report.py as lists of lines; this
template fixes the headings, their order and the tables, which is what a province edits.
"""

from __future__ import annotations

from docx.document import Document

from reports.templates.build import (
    add_else,
    add_endif,
    add_heading,
    add_if,
    add_landscape_annex,
    add_letterhead,
    add_loop,
    add_paragraph,
    add_placeholder,
    add_signature,
    add_table,
    add_title,
    new_document,
)

# Landscape A4 less the margins (297 - 30 - 15 mm).
WIDE = 252.0


def _lines(doc: Document, name: str) -> None:
    """A list of prepared lines ("- …"), one paragraph each."""
    add_loop(doc, f"line in {name}", "{{ line }}")


def _body(doc: Document) -> None:
    add_heading(doc, "I. THÔNG TIN CHUNG", 1)
    add_heading(doc, "1. Thuận lợi, khó khăn", 2)
    add_heading(doc, "a) Thuận lợi", 3)
    add_placeholder(doc, "advantages", "những thuận lợi trong xây dựng, áp dụng, duy trì HTQLCL")
    add_heading(doc, "b) Khó khăn", 3)
    add_placeholder(doc, "difficulties", "những khó khăn trong xây dựng, áp dụng, duy trì HTQLCL")
    add_heading(
        doc,
        "2. Việc xây dựng, áp dụng HTQLCL đối với các hoạt động liên quan đến TTHC thuộc thẩm "
        "quyền giải quyết",
        2,
    )
    _lines(doc, "tthc_lines")
    add_heading(doc, "3. Việc thực hiện công bố HTQLCL theo Quyết định 19/2014/QĐ-TTg", 2)
    _lines(doc, "announcement_lines")
    add_heading(doc, "4. Các văn bản chỉ đạo điều hành việc xây dựng, áp dụng HTQLCL", 2)
    _lines(doc, "document_lines")

    add_heading(doc, "II. KẾT QUẢ XÂY DỰNG, ÁP DỤNG, DUY TRÌ VÀ CẢI TIẾN HTQLCL", 1)
    add_if(doc, "building")
    add_heading(doc, "Đối với đơn vị xây dựng mới hệ thống", 3)
    add_paragraph(doc, "- Việc thành lập Ban chỉ đạo ISO:")
    _lines(doc, "committee_lines")
    add_paragraph(doc, "{{ plan_line }}")
    add_paragraph(
        doc,
        "- Tình hình triển khai đến thời điểm báo cáo (hình thức: {{ mode_label }}):",
    )
    _lines(doc, "audit_lines")
    _lines(doc, "review_lines")
    _lines(doc, "procedure_lines")
    add_paragraph(doc, "- Các đơn vị trực thuộc:")
    _lines(doc, "unit_lines")
    add_else(doc)
    add_heading(doc, "Đối với đơn vị duy trì, cải tiến hệ thống", 3)
    add_heading(doc, "1. Việc kiện toàn Ban chỉ đạo ISO", 2)
    _lines(doc, "committee_lines")
    add_heading(doc, "2. Việc xây dựng và thực hiện mục tiêu chất lượng", 2)
    _lines(doc, "objective_lines")
    add_if(doc, "objective_rows")
    add_table(
        doc,
        ["TT", "Mục tiêu chất lượng", "Chỉ tiêu", "Kết quả", "Đánh giá"],
        ["{{ o.no }}", "{{ o.indicator }}", "{{ o.target }}", "{{ o.result }}", "{{ o.achieved }}"],
        loop="o in objective_rows",
        widths_mm=[12.0, 73.0, 28.0, 25.0, 27.0],
        totals=["Tổng cộng", "", "", "", "{{ objectives_summary }}"],
    )
    add_endif(doc)
    add_heading(doc, "3. Việc thực hiện đánh giá nội bộ", 2)
    _lines(doc, "audit_lines")
    add_heading(doc, "4. Việc thực hiện hành động khắc phục", 2)
    _lines(doc, "action_lines")
    add_heading(
        doc,
        "5. Việc cập nhật các quy trình khi văn bản pháp luật, TTHC sửa đổi, bổ sung, bãi bỏ",
        2,
    )
    _lines(doc, "update_lines")
    add_heading(doc, "6. Việc xem xét của lãnh đạo đối với HTQLCL", 2)
    _lines(doc, "review_lines")
    add_heading(doc, "7. Số quy trình nội bộ công bố đưa vào áp dụng", 2)
    _lines(doc, "procedure_lines")
    add_heading(doc, "8. Các đơn vị trực thuộc", 2)
    _lines(doc, "unit_lines")
    add_endif(doc)

    add_heading(doc, "III. CÔNG TÁC TUYÊN TRUYỀN, ĐÀO TẠO VÀ KIỂM TRA VỀ ISO HÀNH CHÍNH", 1)
    _lines(doc, "training_lines")
    add_heading(doc, "IV. KINH PHÍ ĐƯỢC CẤP VÀ VIỆC SỬ DỤNG KINH PHÍ", 1)
    _lines(doc, "budget_lines")
    add_heading(doc, "V. TỰ CHẤM ĐIỂM", 1)
    _lines(doc, "score_lines")

    add_heading(doc, "VI. ĐÁNH GIÁ CHUNG", 1)
    add_heading(doc, "1. Hiệu quả của việc áp dụng HTQLCL", 2)
    add_placeholder(doc, "effectiveness", "hiệu quả của việc áp dụng HTQLCL tại đơn vị")
    add_heading(doc, "2. Những điểm tồn tại cần khắc phục", 2)
    _lines(doc, "shortcoming_lines")
    add_heading(doc, "3. Nguyên nhân của những tồn tại", 2)
    add_placeholder(doc, "causes", "nguyên nhân của những tồn tại")

    add_heading(doc, "VII. PHƯƠNG HƯỚNG, KIẾN NGHỊ", 1)
    add_heading(doc, "1. Phương hướng, kế hoạch thời gian tới", 2)
    add_if(doc, "six_month")
    add_paragraph(doc, "Các việc theo kế hoạch trong 6 tháng cuối năm:")
    _lines(doc, "second_half_lines")
    add_endif(doc)
    add_placeholder(doc, "directions", "kế hoạch, phương hướng thời gian tới")
    add_heading(doc, "2. Kiến nghị, đề xuất", 2)
    add_placeholder(doc, "recommendations", "kiến nghị, đề xuất")
    add_paragraph(doc, "{{ closing }}")


def _annexes(doc: Document) -> None:
    add_landscape_annex(doc, "Phụ lục IA", "Kết quả chấm điểm tiêu chí 7.2 tại {{ agency_name }}")
    heads = [f"{{{{ ia_head[{i}] }}}}" for i in range(6)]
    grouped = (
        "Điểm chấm cho các tiêu chí thành phần thuộc tiêu chí 7.2 – Lĩnh vực Áp dụng Hệ thống "
        "quản lý chất lượng ISO (ISO 9001)"
    )
    add_table(
        doc,
        ["TT", "Tên đơn vị", *heads, "Tổng điểm chấm cho tiêu chí 7.2", "Ghi chú"],
        [f"{{{{ r[{i}] }}}}" for i in range(10)],
        loop="r in ia_rows",
        # Each unit's note joins six criteria's (some 330 characters): it gets the room.
        widths_mm=[10.0, 42.0, 19.0, 19.0, 19.0, 19.0, 19.0, 19.0, 22.0, 64.0],
        header_rows=[
            [
                "TT",
                "Tên đơn vị",
                grouped,
                "",
                "",
                "",
                "",
                "",
                "Tổng điểm chấm cho tiêu chí 7.2",
                "Ghi chú",
            ]
        ],
    )

    add_landscape_annex(
        doc,
        "Phụ lục IIA",
        "Kết quả chuyển đổi, xây dựng và áp dụng HTQLCL theo TCVN ISO 9001:2015",
    )
    add_paragraph(doc, "1. Kết quả triển khai nhiệm vụ", bold=True, indent=False)
    add_table(
        doc,
        ["TT", "Nhiệm vụ/Nội dung", "Đơn vị tính", "Số lượng"],
        [f"{{{{ r[{i}] }}}}" for i in range(4)],
        loop="r in iia_tasks",
        widths_mm=[15.0, 152.0, 45.0, 40.0],
    )
    add_paragraph(
        doc, "2. Kết quả chuyển đổi, xây dựng mới hệ thống quản lý chất lượng", bold=True,
        indent=False,
    )  # fmt: skip
    add_table(
        doc,
        [
            "TT",
            "Tên cơ quan/đơn vị",
            "Năm áp dụng ISO 9001:2008",
            "Năm chuyển đổi/xây dựng mới theo ISO 9001:2015",
            "Chưa áp dụng",
        ],
        [f"{{{{ r[{i}] }}}}" for i in range(5)],
        loop="r in iia_conversion",
        widths_mm=[15.0, 102.0, 45.0, 55.0, 35.0],
    )

    add_landscape_annex(
        doc,
        "Phụ lục 1",
        "Kết quả xây dựng, áp dụng, duy trì, cải tiến hệ thống tại {{ agency_name }}",
    )
    grouped_counts = "Số lượng quy trình, hướng dẫn"
    add_table(
        doc,
        [
            "TT",
            "Tên đơn vị",
            "Số ký hiệu và ngày tháng của Quyết định ban hành hệ thống",
            "Ngày đánh giá chất lượng nội bộ",
            "Số ký hiệu và ngày tháng của Quyết định công bố hệ thống (gần nhất)",
            "Hướng dẫn HT",
            "Quy trình nội bộ",
            "Quy trình TTHC",
            "Ghi chú",
        ],
        [f"{{{{ r[{i}] }}}}" for i in range(9)],
        loop="r in annex_1",
        widths_mm=[10.0, 40.0, 40.0, 28.0, 56.0, 18.0, 18.0, 18.0, 24.0],
        header_rows=[
            [
                "TT",
                "Tên đơn vị",
                "Số ký hiệu và ngày tháng của Quyết định ban hành hệ thống",
                "Ngày đánh giá chất lượng nội bộ",
                "Số ký hiệu và ngày tháng của Quyết định công bố hệ thống (gần nhất)",
                grouped_counts,
                "",
                "",
                "Ghi chú",
            ]
        ],
    )


def build() -> Document:
    """The report: letterhead, title, căn cứ, sections I–VII, signature, then the annexes."""
    doc = new_document()
    add_letterhead(doc)
    add_title(doc, "Báo cáo", "{{ subtitle }}")
    add_paragraph(doc, "{{ bases }}")
    _body(doc)
    add_signature(doc)
    _annexes(doc)
    return doc
