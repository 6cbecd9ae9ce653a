"""The chasing letter (công văn đôn đốc) of Sở KH&CN to the agencies that are late, with a table
of what each is late on and by how many days; filled by reports/province.py."""

from __future__ import annotations

from docx.document import Document

from reports.templates.build import (
    add_endif,
    add_if,
    add_letterhead,
    add_loop,
    add_paragraph,
    add_signature,
    add_table,
    new_document,
)


def build() -> Document:
    """Letterhead with subject, Kính gửi the late agencies, the reason, the table, signature."""
    doc = new_document()
    add_letterhead(doc, with_subject=True)
    add_paragraph(doc, "Kính gửi:")
    add_loop(doc, "line in addressees", "{{ line }}")
    add_loop(doc, "line in body", "{{ line }}")
    add_paragraph(
        doc,
        "Đến ngày {{ as_of }}, {{ late_count }} cơ quan, đơn vị còn chậm thực hiện các nội dung "
        "sau:",
    )
    add_table(
        doc,
        ["TT", "Cơ quan, đơn vị", "Nội dung chậm thực hiện", "Hạn", "Số ngày quá hạn"],
        [
            "{{ row.number }}",
            "{{ row.agency }}",
            "{{ row.item }}",
            "{{ row.due }}",
            "{{ row.days }}",
        ],
        loop="row in rows",
        widths_mm=[12, 52, 58, 24, 19],
    )
    add_if(doc, "letter_ref")
    add_paragraph(
        doc,
        "Trong đó, báo cáo theo {{ letter_ref }} có hạn gửi ngày {{ letter_due }}; đến nay "
        "{{ letter_missing }} cơ quan, đơn vị chưa gửi hoặc chưa được tiếp nhận.",
    )
    add_endif(doc)
    add_paragraph(
        doc,
        "{{ unit_name }} đề nghị Thủ trưởng các cơ quan, đơn vị nêu trên chỉ đạo khẩn trương "
        "hoàn thành các nội dung còn chậm và gửi báo cáo về {{ unit_name }} {{ by_words }}./.",
    )
    add_signature(doc)
    return doc
