"""Word documents in the national format for official documents (GB/T
9704-2012, 党政机关公文格式), for the closure notice, the acceptance form
(:mod:`wells.reports`) and the work report (``tasks.reports``).

What the format asks, and where it is done here:

- A4, 版心 156 × 225 mm: top margin 37 mm, left 28 mm, right 26 mm,
  bottom 35 mm (:func:`new_document`);
- the title in 二号小标宋, the body in 三号仿宋 at 22 lines a page, 一级
  headings in 黑体, 二级 in 楷体 (:data:`FONTS`, :func:`title`,
  :func:`heading`, :func:`paragraph`);
- 文号 under the title block, 主送 on the left, 落款 and the date on the
  right with room for the seal above them (:func:`signature`);
- the page number in 四号宋体 as 「— 1 —」, odd pages on the right and even
  pages on the left (:func:`_page_numbers`).

Fonts are named as a bureau's PC knows them (方正小标宋简体, 仿宋_GB2312,
楷体_GB2312 come with WPS and with the 公文 font packs), each declared in
the font table with the Windows font to fall back to (宋体, 仿宋, 楷体), so
Word and WPS pick the right face or the nearest one. The document's
properties say who wrote it (the bureau), in zh-CN, and when — not
python-docx's template of 2013.

Every piece of text goes in through :func:`wellclosure.validators.printable`,
which drops what Word cannot carry: a stored value never makes a document
fail.
"""

import copy
import datetime
import io
import tempfile
from xml.sax.saxutils import escape

from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from wellclosure.validators import printable

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# Each font the documents name, and the Windows font Word and WPS take
# where it is not installed (w:altName in the font table).
FONTS = {
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    SUBHEADING_FONT: "楷体",
    HEADING_FONT: "SimHei",
    TABLE_FONT: "SimSun",
}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_5 = Pt(10.5)  # 五号
# 225 mm of 版心 for 22 lines.
BODY_LINE_SPACING = Pt(28.95)
COMPACT_LINE_SPACING = Pt(22)
CHARACTER = SIZE_3  # one character of the body, for indents

BLANK_DATE = "　　　　年　　月　　日"


def chinese_date(day):
    """2023年6月1日 (the 公文 way: Arabic digits, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else BLANK_DATE


def new_document(*, author, title_text, compact=False):
    """An A4 document in the GB/T 9704 layout, with its page numbers and
    its properties. ``compact``: 四号 lines, for a form that fits a page."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)

    normal = document.styles["Normal"]
    _set_font(normal, BODY_FONT, SIZE_4 if compact else SIZE_3)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = COMPACT_LINE_SPACING if compact else BODY_LINE_SPACING
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    _chinese_language(document)
    _declare_fonts(document)
    _drop_template_leftovers(document)
    _page_numbers(document)

    _stamp(document, author, title_text)
    properties = document.core_properties
    printed = properties._element.find(qn("cp:lastPrinted"))
    if printed is not None:
        properties._element.remove(printed)
    properties.revision = 1
    properties.comments = properties.keywords = properties.subject = properties.category = ""
    return document


class Reused:
    """Many documents of the same layout, one after another, from one
    package: each :meth:`new` empties the body and stamps the properties
    again, instead of parsing python-docx's template anew (33 ms a document
    against 17 ms, measured for the notices of an archive). Only for
    documents of the same pictures-or-not: each new one forgets the
    pictures of the one before."""

    def __init__(self):
        self._documents = {}
        self._empty_bodies = {}

    def new(self, *, author, title_text, compact=False):
        document = self._documents.get(compact)
        if document is None:
            document = self._documents[compact] = new_document(author=author, title_text=title_text, compact=compact)
            self._empty_bodies[compact] = copy.deepcopy(document.element.body)
            return document
        # A fresh body holding only the section's properties: removing the
        # blocks one by one cost more than writing them.
        body = document.element.body
        fresh = copy.deepcopy(self._empty_bodies[compact])
        body.getparent().replace(body, fresh)
        document._section_end = fresh.find(qn("w:sectPr"))
        document._Document__body = None
        _drop_pictures(document)
        _stamp(document, author, title_text)
        return document


APP_PROPERTIES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>机井关停台账</Application><Company>{company}</Company></Properties>"
)


def _stamp(document, author, title_text):
    """The document's properties: the bureau as its author and company
    (python-docx's template says Microsoft Macintosh Word), zh-CN, now."""
    for relationship in document.part.package.rels.values():
        if relationship.reltype == RT.EXTENDED_PROPERTIES:
            company = escape(printable(author))
            relationship.target_part._blob = APP_PROPERTIES.format(company=company).encode()
    properties = document.core_properties
    now = timezone.now().astimezone(datetime.UTC).replace(tzinfo=None)  # core.xml's W3CDTF, in UTC
    properties.author = properties.last_modified_by = printable(author)
    properties.title = printable(title_text)
    properties.language = "zh-CN"
    properties.created = properties.modified = now


def _set_font(style_or_run, name, size=None):
    """Chinese text in ``name``, digits and Latin letters in Times New Roman."""
    style_or_run.font.name = LATIN_FONT
    fonts = style_or_run.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        style_or_run.font.size = size


def _chinese_language(document):
    """zh-CN in the default run properties and the theme's font language
    (python-docx's template says en-US)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia"):
        lang.set(qn(attribute), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    theme = document.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), "zh-CN")
        theme.set(qn("w:eastAsia"), "zh-CN")


# Parts of python-docx's template that a document of ours does not need: the
# thumbnail of the template's own first page (shown as the file's preview)
# and a 438 kB second copy of the styles for Word 2010.
LEFTOVER_RELATIONSHIPS = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RT.CUSTOM_XML,
    RT.WEB_SETTINGS,
    RT.NUMBERING,  # of the list styles dropped below
)


# The styles the documents use; python-docx's template holds 164 (350 kB
# written into every file).
KEPT_STYLES = frozenset(
    {
        "Normal",
        "Header",
        "HeaderChar",
        "Footer",
        "FooterChar",
        "DefaultParagraphFont",
        "TableNormal",
        "NoList",
        "TableGrid",
    }
)


def _drop_template_leftovers(document):
    for rels in (document.part.package.rels, document.part.rels):
        for key, relationship in list(rels.items()):
            if relationship.reltype in LEFTOVER_RELATIONSHIPS:
                del rels[key]
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in KEPT_STYLES:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _drop_pictures(document):
    """Forget the pictures of the document written before: a part no
    relationship reaches is not saved."""
    rels = document.part.rels
    for key, relationship in list(rels.items()):
        if relationship.reltype == RT.IMAGE:
            del rels[key]


def _declare_fonts(document):
    """Every font the document names, with its fallback, in the font table
    (a part python-docx keeps as bytes)."""
    part = document.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.fromstring(part.blob)
    for name, fallback in FONTS.items():
        font = etree.SubElement(fonts, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): fallback})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "modern" if name == HEADING_FONT else "roman"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(document):
    """「— 1 —」 in 四号宋体, odd pages on the right, even pages on the left,
    a character in from the edge (GB/T 9704 §7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        para = footer.paragraphs[0]
        para.alignment = alignment
        para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
            para.paragraph_format.right_indent = SIZE_4
        else:
            para.paragraph_format.left_indent = SIZE_4
        _footer_run(para, "— ")
        _page_field(para)
        _footer_run(para, " —")


def _footer_run(para, text):
    run = para.add_run(text)
    _set_font(run, TABLE_FONT, SIZE_4)
    run.font.name = TABLE_FONT
    return run


def _page_field(para):
    run = _footer_run(para, "")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "1":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


# Paragraphs ------------------------------------------------------------------


def title(document, text, *, size=SIZE_2, new_page=False):
    """The title, centred, in 二号小标宋, with a blank line under it."""

    def build(text):
        para = _add_paragraph(document)
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.paragraph_format.page_break_before = new_page
        para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        para.paragraph_format.line_spacing = Pt(size.pt * 1.5)
        para.paragraph_format.space_after = Pt(size.pt * 0.6)
        para.paragraph_format.keep_with_next = True
        run = para.add_run(text)
        _set_font(run, TITLE_FONT, size)
        return para

    return _shaped(document, ("title", size, new_page), text, build)


def heading(document, text, level=1):
    """一级 headings in 黑体, 二级 in 楷体, indented two characters like the
    body (GB/T 9704 §7.3.3), never alone at a page's foot."""

    def build(text):
        para = _body_paragraph(document, text, indent=True, align=None, bold=False)
        para.paragraph_format.keep_with_next = True
        for run in para.runs:
            _set_font(run, HEADING_FONT if level == 1 else SUBHEADING_FONT)
        return para

    return _shaped(document, ("heading", level), text, build)


def paragraph(document, text="", *, indent=True, align=None, bold=False):
    """A body paragraph, its first line indented two characters."""
    return _shaped(
        document,
        ("body", indent, align, bold),
        text,
        lambda text: _body_paragraph(document, text, indent=indent, align=align, bold=bold),
    )


def _body_paragraph(document, text, *, indent, align, bold):
    para = _add_paragraph(document)
    if indent:
        para.paragraph_format.first_line_indent = CHARACTER * 2
    if align == "right":
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "center":
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if text:
        run = para.add_run(text)
        run.bold = bold
    return para


def _shaped(document, key, text, build):
    """A paragraph of ``text`` shaped by ``build``: built by python-docx the
    first time, then copied from that first one with its text replaced
    (python-docx sets each property through lookups in the paragraph's
    XML: most of the time of 200 notices)."""
    text = printable(text)
    prototypes = document.__dict__.setdefault("_prototypes", {})
    simple = text and "\n" not in text and "\t" not in text
    if not simple or key not in prototypes:
        para = build(text)
        if simple:
            prototypes[key] = copy.deepcopy(para._p)
        return para
    element = copy.deepcopy(prototypes[key])
    run_text = element.find(qn("w:r")).find(qn("w:t"))
    run_text.text = text
    run_text.set(qn("xml:space"), "preserve")
    return Paragraph(_add(document, element), document._body)


def document_number(document, number):
    """The 文号, centred under the title block (an empty line when none)."""
    return paragraph(document, number, indent=False, align="center")


def addressee(document, name):
    """主送: flush left, ending in a full-width colon."""
    return paragraph(document, f"{name}：", indent=False)


def signature(document, issuer, day, *, seal=True):
    """落款 and 成文日期 on the right, four characters in, with room above
    for the seal (印章 presses on the name and the date)."""
    if seal:
        for _ in range(2):
            paragraph(document, "", indent=False).paragraph_format.keep_with_next = True
    for text in (issuer, chinese_date(day)):
        para = paragraph(document, text, indent=False, align="right")
        para.paragraph_format.right_indent = CHARACTER * 4
        para.paragraph_format.keep_with_next = True
    if seal:
        note = paragraph(document, "（盖章）", indent=False, align="right")
        note.paragraph_format.right_indent = CHARACTER * 4


def annex_heading(document, text):
    """「附件」 in 黑体 at the top left of a new page (GB/T 9704 §7.4)."""
    para = paragraph(document, text, indent=False, align="left")
    para.paragraph_format.page_break_before = True
    para.paragraph_format.keep_with_next = True
    for run in para.runs:
        _set_font(run, HEADING_FONT)
    return para


def page_break(document):
    _add_paragraph(document).add_run().add_break(WD_BREAK.PAGE)


# python-docx's add_paragraph and add_table look for the section's
# properties at the body's end on every call (add_table through an XPath over
# the whole document): each block costs more than the one before, 5.8 s for
# 200 notices. Blocks are put before the properties found once instead.


def _add(document, element):
    end = getattr(document, "_section_end", None)
    if end is None or end.getparent() is None:
        end = document._section_end = document.element.body.find(qn("w:sectPr"))
    end.addprevious(element)
    return element


def _add_paragraph(document):
    return Paragraph(_add(document, OxmlElement("w:p")), document._body)


# Tables -----------------------------------------------------------------------


def table(document, header, rows, *, widths, font_size=SIZE_5, bold_columns=(), whole_columns=()):
    """A grid table, ``widths`` centimetres wide per column, with a bold
    header row repeated at the top of every page (none when ``header`` is
    None). Rows never split across pages; the cells of ``whole_columns``
    (numbers, dates, codes) never wrap."""
    key = (tuple(widths), font_size, tuple(whole_columns))
    layouts = document.__dict__.setdefault("_table_layouts", {})
    if key not in layouts:
        layouts[key] = _table_layout(document, widths, font_size, whole_columns)
    layout = layouts[key]
    grid = Table(_add(document, copy.deepcopy(layout[0])), document._body)
    if header:
        row = _add_row(grid, layout, header, bold_columns=range(len(widths)))
        row.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for values in rows:
        _add_row(grid, layout, values, bold_columns=bold_columns)
    return grid


def _table_layout(document, widths, font_size, whole_columns):
    """An empty table of this layout and its row, each copied for every
    table and row of the layout (python-docx builds them cell by cell)."""
    grid = Table(CT_Tbl.new_tbl(0, len(widths), Cm(sum(widths))), document._body)
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(width)
    template = _row_template(grid, widths, font_size, whole_columns)
    return grid._tbl, template, {}


def _row_template(grid, widths, font_size, whole_columns):
    """One empty row in the table's layout, copied for every row: python-docx
    builds a row cell by cell, costlier with every row of the table."""
    row = grid.add_row()
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for index, (cell, width) in enumerate(zip(row.cells, widths, strict=True)):
        cell.width = Cm(width)
        if index in whole_columns:
            cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
        para = cell.paragraphs[0]
        para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        para.paragraph_format.first_line_indent = Pt(0)
        para.paragraph_format.space_before = para.paragraph_format.space_after = Pt(2)
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER if index in whole_columns else WD_ALIGN_PARAGRAPH.LEFT
        run = para.add_run("-")
        _set_font(run, TABLE_FONT, font_size)
    element = row._tr
    grid._tbl.remove(element)
    return element


def _add_row(grid, layout, values, *, bold_columns):
    _empty, template, variants = layout
    tr = copy.deepcopy(_bolded(variants, template, frozenset(bold_columns)))
    grid._tbl.append(tr)
    for tc, value in zip(tr.findall(qn("w:tc")), values, strict=True):
        run = tc.find(qn("w:p")).find(qn("w:r"))
        lines = printable(value).split("\n")
        run.find(qn("w:t")).text = lines[0]
        run.find(qn("w:t")).set(qn("xml:space"), "preserve")
        for line in lines[1:]:
            run.append(OxmlElement("w:br"))
            text = OxmlElement("w:t")
            text.set(qn("xml:space"), "preserve")
            text.text = line
            run.append(text)
    return tr


def _bolded(variants, template, bold_columns):
    """The row ``template`` with the cells of ``bold_columns`` in bold, made
    once per layout and kept in its ``variants`` (python-docx's get_or_add_b
    searches the run's properties on every call)."""
    row = variants.get(bold_columns)
    if row is None:
        row = variants[bold_columns] = copy.deepcopy(template)
        for index, tc in enumerate(row.findall(qn("w:tc"))):
            if index in bold_columns:
                tc.find(qn("w:p")).find(qn("w:r")).get_or_add_rPr().get_or_add_b()
    return row


def as_bytes(document):
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def saved(document):
    """The document in an open temporary file at its start, for a
    FileResponse to send and close."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
    document.save(handle)
    handle.seek(0)
    return handle
