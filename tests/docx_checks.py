"""Reading generated documents back (python-docx) and checking NĐ 30/2020's layout on them."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Length

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"


def open_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def docx_text(data: bytes) -> str:
    """Every paragraph of the body, the tables' cells and the headers, one per line."""
    doc = open_docx(data)
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def table_rows(data: bytes, index: int) -> list[list[str]]:
    """The cells' text of the document's table number `index`, row by row."""
    table = open_docx(data).tables[index]
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def find_table(data: bytes, first_header: str) -> list[list[str]]:
    """The rows of the first table whose top-left cell starts with `first_header`."""
    for table in open_docx(data).tables:
        if table.rows and table.rows[0].cells[0].text.strip().startswith(first_header):
            return [[cell.text.strip() for cell in row.cells] for row in table.rows]
    raise AssertionError(f"no table starts with {first_header!r}")


def _mm(length: Length | None) -> float:
    assert length is not None
    return round(length.mm, 1)


def _bold(paragraph: object) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]  # type: ignore[attr-defined]
    return bool(runs) and all(r.bold for r in runs)


def _italic(paragraph: object) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]  # type: ignore[attr-defined]
    return bool(runs) and all(r.italic for r in runs)


def _has_bottom_rule(paragraph: object) -> bool:
    ppr = paragraph._p.pPr  # type: ignore[attr-defined]
    return ppr is not None and ppr.find(qn("w:pBdr")) is not None


def assert_nd30(
    data: bytes, *, number_line: str, date_line: str, parent_body: str, issuer: str
) -> None:
    """The document follows NĐ 30/2020: A4, margins, font, letterhead, date line, page numbers."""
    doc = open_docx(data)
    first = doc.sections[0]
    assert (_mm(first.page_width), _mm(first.page_height)) == (210.0, 297.0), "A4 portrait"
    assert 20 <= _mm(first.top_margin) <= 25 and 20 <= _mm(first.bottom_margin) <= 25
    assert 30 <= _mm(first.left_margin) <= 35 and 15 <= _mm(first.right_margin) <= 20
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman", "Vietnamese text in Times too"
    assert normal.font.size is not None and 13 <= normal.font.size.pt <= 14
    # Letterhead: issuer | Quốc hiệu on the first row, number | date line on the second.
    head = doc.tables[0]
    assert len(head.columns) == 2 and len(head.rows) == 2
    left = [p for p in head.cell(0, 0).paragraphs if p.text.strip()]
    if parent_body:
        assert left[0].text == parent_body and not _bold(left[0])
        left = left[1:]
    # The issuer, bold, on one line or two ("ỦY BAN NHÂN DÂN" over "XÃ THUẬN LỘC").
    assert " ".join(p.text for p in left) == issuer
    assert all(_bold(p) for p in left), "the issuing agency's name is bold"
    assert _has_bottom_rule(head.cell(0, 0).paragraphs[-1]), "a rule under the issuer"
    right = [p for p in head.cell(0, 1).paragraphs if p.text.strip()]
    assert right[0].text == QUOC_HIEU and _bold(right[0]) and right[0].text.isupper()
    assert right[1].text == TIEU_NGU and _bold(right[1])
    assert _has_bottom_rule(head.cell(0, 1).paragraphs[-1]), "a rule under the Tiêu ngữ"
    assert head.cell(1, 0).paragraphs[0].text == number_line
    dated = [p for p in head.cell(1, 1).paragraphs if p.text.strip()]
    assert [p.text for p in dated] == [date_line] and _italic(dated[0])
    # Page numbers from page 2: a PAGE field in the header, none on the first page.
    assert first.different_first_page_header_footer
    assert "PAGE" in first.header._element.xml
    assert "PAGE" not in first.first_page_header._element.xml
