"""The primitives the default templates are written with (python-docx), to NĐ 30/2020's layout.

The templates themselves are the .docx files beside this module; each one's module builds it
with these functions and `python -m reports.templates` writes them all again. A province that
wants its own layout edits a copy of the .docx in Word, keeping the {{ … }} tags, and points
ISOCYCLE_REPORT_TEMPLATE_DIR at its folder.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document as new_docx
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

TEMPLATES_DIR = Path(__file__).resolve().parent
FONT = "Times New Roman"
BODY_PT = 14
A4 = (Mm(210), Mm(297))
# NĐ 30/2020 Phụ lục I: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
FIRST_LINE_INDENT = Mm(12.7)
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"


def _set_font(element: object, name: str = FONT) -> None:
    """Times New Roman for every script, Vietnamese included (w:eastAsia and w:cs too)."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _page_setup(section: Section, *, landscape: bool = False) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = A4
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.top_margin = MARGINS["top"]
    section.bottom_margin = MARGINS["bottom"]
    section.left_margin = MARGINS["left"]
    section.right_margin = MARGINS["right"]
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _page_number(section: Section) -> None:
    """The page number centred at the top from page 2 (NĐ 30: the first page carries none)."""
    section.different_first_page_header_footer = True
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind is None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    run.font.size = Pt(13)
    section.first_page_header.is_linked_to_previous = False


def new_document() -> Document:
    """An empty A4 page with NĐ 30's margins, Times New Roman 14, page numbers from page 2."""
    doc = new_docx()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_font(normal.element)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.0
    _page_setup(doc.sections[0])
    _page_number(doc.sections[0])
    # python-docx's blank document starts with no paragraph; keep it that way.
    return doc


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int | None = None,
) -> None:
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    if size is not None:
        run.font.size = Pt(size)


def _para(
    container: Document | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: int | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    after: int = 0,
) -> Paragraph:
    paragraph = container.add_paragraph()
    if text:
        _run(paragraph, text, bold=bold, italic=italic, size=size)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.first_line_indent = Mm(0)
    return paragraph


def _rule(cell: _Cell, *, width_mm: float, cell_mm: float) -> None:
    """A short horizontal line centred under the line above (a bottom border, indented)."""
    paragraph = _para(cell, size=2)
    side = Mm(max(0.0, (cell_mm - width_mm) / 2))
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)
    # The empty line holding the border must not open a gap under the title above it.
    paragraph.paragraph_format.line_spacing = Pt(4)


def _first_cell_paragraph(cell: _Cell) -> None:
    """A new cell holds one empty paragraph; drop it so the cell starts with ours."""
    first = cell.paragraphs[0]
    first._p.getparent().remove(first._p)


def _widths(table: Table, widths_mm: list[float]) -> None:
    """Fixed column widths, in the grid too: LibreOffice lays a table out from its grid."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        column.w = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def add_letterhead(doc: Document, *, with_subject: bool = False) -> Table:
    """NĐ 30's header as a borderless 2×2 table: issuer | Quốc hiệu, number | date line."""
    left_mm, right_mm = 70.0, 95.0
    table: Table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [left_mm, right_mm])
    _cell_margins(table, mm=1.0)
    issuer, nation = table.cell(0, 0), table.cell(0, 1)
    for cell in (issuer, nation, table.cell(1, 0), table.cell(1, 1)):
        _first_cell_paragraph(cell)
    center = WD_ALIGN_PARAGRAPH.CENTER
    # NĐ 30: 12–13 pt; 12 keeps "SỞ KHOA HỌC VÀ CÔNG NGHỆ" on one line.
    # No parent body (UBND tỉnh): the issuer stands level with the Quốc hiệu, not a line below.
    add_tag(issuer, "if parent_body")
    _para(issuer, "{{ parent_body }}", size=12, align=center)
    add_tag(issuer, "endif")
    add_tag(issuer, "for line in issuer_lines")
    _para(issuer, "{{ line }}", bold=True, size=12, align=center)
    add_tag(issuer, "endfor")
    _rule(issuer, width_mm=20, cell_mm=left_mm)
    # NĐ 30 sets the Quốc hiệu in 12–13 pt; 12 keeps it on one line beside a long agency name.
    _para(nation, QUOC_HIEU, bold=True, size=12, align=center)
    _para(nation, TIEU_NGU, bold=True, size=14, align=center)
    _rule(nation, width_mm=62, cell_mm=right_mm)
    _para(table.cell(1, 0), "{{ number_line }}", size=13, align=center, after=0)
    if with_subject:
        _para(table.cell(1, 0), "{{ subject }}", size=12, align=center)
    _para(table.cell(1, 1), "{{ date_line }}", italic=True, size=14, align=center)
    _para(doc)
    return table


def _cell_margins(table: Table, *, mm: float) -> None:
    """Narrow left and right cell margins, so the letterhead's lines fit their columns."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(mm * 56.7)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def add_title(doc: Document, title: str, subtitle: str | None = None) -> None:
    """The document's kind in bold capitals, centred, and what it is about in bold under it."""
    _para(doc, title.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if subtitle:
        _para(doc, subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule_under_title(doc)


def _rule_under_title(doc: Document) -> None:
    paragraph = _para(doc, size=2, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    body_mm = 210 - 30 - 15
    side = Mm((body_mm - 40) / 2)
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def add_heading(doc: Document, text: str, level: int) -> Paragraph:
    """A section heading numbered the NĐ 30 way: I. (bold), 1. (bold), a) (bold italic)."""
    paragraph = _para(doc, text, bold=True, italic=level >= 3, after=6)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def add_paragraph(
    doc: Document | _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    indent: bool = True,
) -> Paragraph:
    """A body paragraph: justified, first-line indent; the text may hold Jinja tags."""
    paragraph = _para(doc, text, bold=bold, italic=italic, after=6)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT
    return paragraph


def add_tag(doc: Document | _Cell, tag: str) -> None:
    """A paragraph holding only a {%p … %} tag, which docxtpl removes when it renders."""
    _para(doc, f"{{%p {tag} %}}")


def add_loop(doc: Document, loop: str, text: str, *, indent: bool = True) -> None:
    """One paragraph repeated: {%p for <loop> %} text {%p endfor %}."""
    add_tag(doc, f"for {loop}")
    add_paragraph(doc, text, indent=indent)
    add_tag(doc, "endfor")


def add_if(doc: Document, condition: str) -> None:
    add_tag(doc, f"if {condition}")


def add_else(doc: Document) -> None:
    add_tag(doc, "else")


def add_endif(doc: Document) -> None:
    add_tag(doc, "endif")


def add_placeholder(doc: Document, var: str, hint: str) -> None:
    """What a person typed (a list of paragraphs in `var`), or a marked, highlighted gap."""
    add_if(doc, var)
    add_loop(doc, f"line in {var}", "{{ line }}")
    add_else(doc)
    paragraph = add_paragraph(doc, "")
    run = paragraph.add_run(f"[Phần do cơ quan viết: {hint}]")
    run.italic = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    add_endif(doc)


def _borders(table: Table) -> None:
    """Single black borders on every cell edge (the built-in "Table Grid" look)."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        for key, value in (
            ("w:val", "single"),
            ("w:sz", "4"),
            ("w:space", "0"),
            ("w:color", "000000"),
        ):
            element.set(qn(key), value)
        borders.append(element)
    tbl_pr.append(borders)


def add_table(
    doc: Document,
    header: list[str],
    cells: list[str],
    *,
    loop: str,
    widths_mm: list[float],
    font_pt: int = 12,
    totals: list[str] | None = None,
    header_rows: list[list[str]] | None = None,
) -> Table:
    """A bordered table: bold centred header row(s), one templated row per item of `loop`.

    `header_rows` come above `header` (for a grouped heading); a cell of "" continues the cell
    on its left, so "Điểm chấm", "", "" reads as one merged cell over three columns.
    """
    above = header_rows or []
    table: Table = doc.add_table(rows=len(above) + 4 + (1 if totals else 0), cols=len(header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table)
    _widths(table, widths_mm)
    for r, labels in enumerate([*above, header]):
        for c, label in enumerate(labels):
            cell = table.cell(r, c)
            cell.paragraphs[0].paragraph_format.first_line_indent = Mm(0)
            _run(cell.paragraphs[0], label, bold=True, size=font_pt)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _merge_blanks(table, r, labels)
    if above:
        _merge_down(table, [*above, header])
    start = len(above) + 1
    # docxtpl drops the rows that hold {%tr … %} and repeats the one between them.
    table.cell(start, 0).paragraphs[0].add_run(f"{{%tr for {loop} %}}")
    for c, text in enumerate(cells):
        paragraph = table.cell(start + 1, c).paragraphs[0]
        paragraph.paragraph_format.first_line_indent = Mm(0)
        _run(paragraph, text, size=font_pt)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if c == 1 else WD_ALIGN_PARAGRAPH.CENTER
    table.cell(start + 2, 0).paragraphs[0].add_run("{%tr endfor %}")
    if totals:
        for c, text in enumerate(totals):
            paragraph = table.cell(start + 3, c).paragraphs[0]
            _run(paragraph, text, bold=True, size=font_pt)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _merge_blanks(table, start + 3, totals)
    _para(doc)
    return table


def _merge_blanks(table: Table, row: int, labels: list[str]) -> None:
    start = 0
    for c in range(1, len(labels) + 1):
        if c == len(labels) or labels[c] != "":
            if c - 1 > start:
                _tidy(table.cell(row, start).merge(table.cell(row, c - 1)))
            start = c


def _merge_down(table: Table, rows: list[list[str]]) -> None:
    """A label repeated straight below itself is one cell spanning those header rows."""
    for c in range(len(rows[-1])):
        top = 0
        for r in range(1, len(rows) + 1):
            if r == len(rows) or rows[r][c] != rows[top][c] or rows[r][c] == "":
                if r - 1 > top:
                    for below in range(top + 1, r):
                        table.cell(below, c).paragraphs[0].text = ""
                    _tidy(table.cell(top, c).merge(table.cell(r - 1, c)))
                top = r


def _tidy(cell: _Cell) -> None:
    """A merged cell keeps every paragraph of the cells it swallowed; keep only the first."""
    for paragraph in cell.paragraphs[1:]:
        if not paragraph.text.strip():
            paragraph._p.getparent().remove(paragraph._p)


def add_signature(doc: Document) -> Table:
    """ "Nơi nhận:" (bold italic 12, list 11) on the left, the signer's block on the right, on one
    page with the paragraph before it; a title or name not given is a highlighted gap."""
    _keep_with_what_follows(doc)
    table: Table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # The row never breaks across pages: the name stays under "KT. GIÁM ĐỐC".
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    _widths(table, [80.0, 85.0])
    recipients, signer = table.cell(0, 0), table.cell(0, 1)
    for cell in (recipients, signer):
        _first_cell_paragraph(cell)
    _para(recipients, "Nơi nhận:", bold=True, italic=True, size=12)
    add_tag(recipients, "for line in recipients")
    _para(recipients, "{{ line }}", size=11)
    add_tag(recipients, "endfor")
    _para(recipients, "{{ archive_line }}", size=11)
    add_tag(signer, "if sign_for")
    _para(signer, "{{ sign_for }}", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    add_tag(signer, "endif")
    _given_or_gap(signer, "sign_title", "chức vụ người ký")
    for _ in range(4):
        _para(signer, "", size=14)
    _given_or_gap(signer, "signer", "họ và tên người ký")
    return table


def _given_or_gap(cell: _Cell, var: str, hint: str) -> None:
    """`var` in bold 14, centred; when it is empty a highlighted "[hint]" the office fills in."""
    center = WD_ALIGN_PARAGRAPH.CENTER
    add_tag(cell, f"if {var}")
    _para(cell, f"{{{{ {var} }}}}", bold=True, size=14, align=center)
    add_tag(cell, "else")
    run = _para(cell, align=center).add_run(f"[{hint}]")
    run.italic, run.font.size = True, Pt(13)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    add_tag(cell, "endif")


def _keep_with_what_follows(doc: Document) -> None:
    """Keep the body's last paragraph (not a template tag) with what comes next: NĐ 30's
    signature page never holds the signature alone."""
    for element in reversed(list(doc.element.body)):
        if element.tag == qn("w:tbl"):
            return  # a table ends the body: it is not pulled along
        if element.tag == qn("w:p"):
            paragraph = Paragraph(element, doc)
            if paragraph.text.startswith("{%p") or not paragraph.text.strip():
                continue
            paragraph.paragraph_format.keep_with_next = True
            return


def add_landscape_annex(doc: Document, title: str, subtitle: str) -> Section:
    """A new landscape A4 section headed "Phụ lục …", its subject and "(Kèm theo …)"."""
    section: Section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape=True)
    # The annex's first page is numbered like any page after the first.
    section.different_first_page_header_footer = False
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, title, bold=True, align=center)
    _para(doc, subtitle, bold=True, align=center)
    _para(doc, "(Kèm theo {{ attached_to }})", italic=True, align=center, after=12)
    return section


def save(doc: Document, name: str, folder: Path = TEMPLATES_DIR) -> Path:
    """Write the template as <folder>/<name>.docx."""
    path = folder / f"{name}.docx"
    doc.save(str(path))
    return path
