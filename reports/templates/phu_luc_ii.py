"""Phụ lục II of QĐ 19/2014/QĐ-TTg: the province's report to Bộ KH&CN on building and applying
QMSs, aggregated by level (cấp tỉnh / huyện / xã). Its real columns are not known (domain.md
[U]); the columns here are isocycle's assumption, stated in docs/iso.md and in the document."""

from __future__ import annotations

from docx.document import Document

from reports.templates.build import (
    add_landscape_annex,
    add_letterhead,
    add_loop,
    add_paragraph,
    add_signature,
    add_table,
    add_title,
    new_document,
)

COLUMNS = [
    "Cấp",
    "Số cơ quan",
    "Đã công bố HTQLCL",
    "Công bố lại trong năm",
    "Có kế hoạch",
    "Đánh giá nội bộ",
    "Xem xét của lãnh đạo",
    "Cập nhật quy trình đúng hạn (lượt)",
    "Được kiểm tra (hồ sơ / trực tiếp)",
    "Báo cáo đúng hạn",
    "Kinh phí (đồng)",
]


def build() -> Document:
    """A cover page (letterhead, title, signature) and the landscape table by level."""
    doc = new_document()
    add_letterhead(doc)
    add_title(doc, "Báo cáo", "{{ subtitle }}")
    add_paragraph(doc, "Kính gửi: Bộ Khoa học và Công nghệ.", indent=False)
    add_loop(doc, "line in body", "{{ line }}")
    add_signature(doc)
    add_landscape_annex(doc, "Phụ lục II", "{{ table_title }}")
    add_table(
        doc,
        COLUMNS,
        [
            "{{ r.level }}",
            "{{ r.agencies }}",
            "{{ r.announced }}",
            "{{ r.reannounced }}",
            "{{ r.plan }}",
            "{{ r.audit }}",
            "{{ r.review }}",
            "{{ r.updates }}",
            "{{ r.inspected }}",
            "{{ r.reports }}",
            "{{ r.budget }}",
        ],
        loop="r in level_rows",
        widths_mm=[30, 18, 22, 22, 22, 22, 22, 26, 28, 22, 30],
        font_pt=11,
    )
    add_paragraph(doc, "{{ note }}", italic=True, indent=False)
    return doc
