"""The request letter (công văn) of Sở KH&CN asking agencies for their report, with the outline
(đề cương) of seed 004, 1550/SKHCN-TĐC, as its annex; filled by reports/province.py."""

from __future__ import annotations

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

from reports.templates.build import (
    add_heading,
    add_letterhead,
    add_loop,
    add_paragraph,
    add_signature,
    add_title,
    new_document,
)

# The outline of seed 004 with the period in words; each line "- …" is one question.
OUTLINE: list[tuple[str, int | None]] = [
    ("1. Thông tin chung", 2),
    (
        "1.1. Những thuận lợi, khó khăn trong việc xây dựng, áp dụng, duy trì và cải tiến HTQLCL "
        "theo TCVN ISO 9001 tại đơn vị.",
        None,
    ),
    (
        "1.2. Việc xây dựng, áp dụng HTQLCL đối với các hoạt động liên quan đến TTHC thuộc thẩm "
        "quyền giải quyết: số TTHC thuộc thẩm quyền giải quyết của đơn vị; số TTHC được sửa đổi, "
        "bổ sung, ban hành mới {{ period_words }}; tổng số TTHC đưa vào áp dụng HTQLCL; số quy "
        "trình nội bộ xây dựng và áp dụng.",
        None,
    ),
    (
        "1.3. Việc thực hiện công bố HTQLCL theo Quyết định 19/2014/QĐ-TTg: thời gian công bố; "
        "số quyết định công bố.",
        None,
    ),
    (
        "1.4. Các văn bản chỉ đạo điều hành việc xây dựng HTQLCL theo TCVN ISO 9001 tại cơ quan, "
        "các đơn vị, địa phương trực thuộc.",
        None,
    ),
    ("2. Kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo TCVN ISO 9001", 2),
    ("a) Đối với các đơn vị duy trì, cải tiến hệ thống", 3),
    ("- Việc kiện toàn lại Ban chỉ đạo ISO của đơn vị;", None),
    ("- Việc xây dựng mục tiêu chất lượng {{ period_words }};", None),
    (
        "- Việc thực hiện đánh giá nội bộ {{ period_words }}: thời gian tổ chức đánh giá; số điểm "
        "không phù hợp nặng, không phù hợp nhẹ;",
        None,
    ),
    ("- Việc thực hiện hành động khắc phục tại cuộc đánh giá gần nhất;", None),
    (
        "- Việc cập nhật các quy trình liên quan đến TTHC được UBND tỉnh công bố sửa đổi, bổ "
        "sung, bãi bỏ {{ period_words }};",
        None,
    ),
    ("- Việc xem xét của lãnh đạo đối với HTQLCL;", None),
    ("- Số quy trình nội bộ công bố đưa vào áp dụng;", None),
    (
        "- Đánh giá kết quả đạt được (có số liệu minh chứng cụ thể, so sánh với mục tiêu chất "
        "lượng đã đề ra).",
        None,
    ),
    ("b) Đối với đơn vị xây dựng mới hệ thống", 3),
    (
        "- Việc thành lập Ban chỉ đạo ISO; kế hoạch tổ chức triển khai xây dựng và áp dụng "
        "HTQLCL; tình hình triển khai đến thời điểm báo cáo.",
        None,
    ),
    (
        "Đối với các sở, ngành và UBND cấp huyện làm rõ thêm số lượng các đơn vị trực thuộc đã "
        "xây dựng, áp dụng và đánh giá việc áp dụng ở các đơn vị.",
        None,
    ),
    ("c) Kinh phí được cấp và việc sử dụng kinh phí", 3),
    ("3. Công tác tuyên truyền, nâng cao trình độ về ISO hành chính", 2),
    (
        "Nội dung tập huấn, đào tạo; số lượng cán bộ được đào tạo, tập huấn {{ period_words }}.",
        None,
    ),
    ("4. Tự chấm điểm", 2),
    (
        "Căn cứ Bộ tiêu chí chấm điểm của UBND tỉnh, đề nghị tự chấm điểm cho đơn vị lĩnh vực áp "
        "dụng ISO 9001 (tiêu chí 7.2).",
        None,
    ),
    ("5. Đánh giá chung", 2),
    ("5.1. Hiệu quả của việc áp dụng HTQLCL tại đơn vị.", None),
    ("5.2. Những điểm tồn tại cần khắc phục; nguyên nhân của những tồn tại.", None),
    (
        "5.3. Kế hoạch xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo TCVN ISO 9001:2015 "
        "năm {{ next_year }}.",
        None,
    ),
    ("5.4. Kiến nghị, đề xuất.", None),
]


def build() -> Document:
    """The letter: letterhead with its subject, Kính gửi, the request, signature; the outline."""
    doc = new_document()
    add_letterhead(doc, with_subject=True)
    add_paragraph(doc, "Kính gửi:", indent=True)
    add_loop(doc, "line in addressees", "{{ line }}")
    add_loop(doc, "line in body", "{{ line }}")
    add_paragraph(
        doc,
        "Đề nghị các cơ quan, đơn vị xây dựng báo cáo {{ report_words }} (theo đề cương kèm "
        "theo) và gửi về {{ unit_name }} trước ngày {{ due }}.",
    )
    add_paragraph(
        doc,
        "Trong quá trình thực hiện, nếu có vướng mắc đề nghị liên hệ {{ contact }} để được "
        "hướng dẫn./.",
    )
    add_signature(doc)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    add_title(doc, "Đề cương báo cáo", "{{ outline_title }}")
    attached = add_paragraph(doc, "(Kèm theo {{ attached_to }})", italic=True, indent=False)
    attached.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, level in OUTLINE:
        if level is None:
            add_paragraph(doc, text)
        else:
            add_heading(doc, text, level)
    return doc
