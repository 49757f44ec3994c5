"""Word documents of a well's closure, ready to print: the closure notice
(关停通知书), for one well or a batch in one file, and the acceptance form
(验收单), filled from the well's facts and the actions that still stand in
its history.

The documents are Chinese government paperwork whatever language the site
speaks, so their text is written here in Chinese, like the Excel format in
:mod:`wells.excel`. Every piece of text goes into a document through the
helpers below, which drop what Word cannot carry (python-docx raises on
control characters): a stored value never makes a document fail, whatever
slipped past the checks at the door. The small helpers for building such documents (A4 pages,
Chinese fonts, tables) are shared with the work report in ``tasks.reports``.
"""

import datetime
import tempfile

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from wellclosure.validators import printable
from wells.choices import Action, AttachmentKind, Category, Status, Use
from wells.excel import LABELS
from wells.workflow import effective_events

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
BLANK_DATE = "　　　　年　　月　　日"
TABLE_FONT_SIZE = Pt(10.5)
BODY_LINE_SPACING = Pt(28)


# Building documents ---------------------------------------------------------


def new_document(*, compact=False):
    """An A4 document with the margins and fonts of government paperwork
    (GB/T 9704): 仿宋 body text, 黑体 headings. ``compact``: tighter lines
    and margins, for a form that must fit on one page."""
    document = Document()
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = (Cm(3), Cm(2.6)) if compact else (Cm(3.7), Cm(3.5))
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _set_font(document.styles["Normal"], BODY_FONT, Pt(14))
    document.styles["Normal"].paragraph_format.line_spacing = Pt(22) if compact else BODY_LINE_SPACING
    for name in ("Heading 1", "Heading 2", "Title"):
        style = document.styles[name]
        _set_font(style, HEADING_FONT, Pt(16 if name != "Title" else 22))
        style.font.bold = name == "Title"
        style.font.color.rgb = None
    return document


def _set_font(style_or_run, name, size=None):
    style_or_run.font.name = name
    rpr = style_or_run.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size is not None:
        style_or_run.font.size = size


def title(document, text, size=22, *, new_page=False):
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.page_break_before = new_page
    paragraph.paragraph_format.line_spacing = 1.3
    run = paragraph.add_run(printable(text))
    run.bold = True
    _set_font(run, TITLE_FONT, Pt(size))
    return paragraph


def heading(document, text, level=1):
    paragraph = document.add_heading(printable(text), level=level)
    for run in paragraph.runs:
        _set_font(run, HEADING_FONT, Pt(16 if level == 1 else 14))
    return paragraph


def paragraph(document, text="", *, indent=True, align=None, bold=False):
    """A body paragraph, its first line indented two characters as Chinese
    documents are."""
    para = document.add_paragraph()
    if indent:
        para.paragraph_format.first_line_indent = Pt(28)
    if align == "right":
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "center":
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        run = para.add_run(printable(text))
        run.bold = bold
    return para


def table(document, header, rows, *, widths=None, font_size=TABLE_FONT_SIZE, bold_columns=()):
    """A grid table with a bold header row (none when ``header`` is None),
    its columns ``widths`` centimetres wide."""
    columns = len(header) if header else len(rows[0])
    grid = document.add_table(rows=0, cols=columns)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    if header:
        for cell, text in zip(grid.add_row().cells, header, strict=True):
            _cell_text(cell, text, bold=True, size=font_size)
    for row in rows:
        cells = grid.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            _cell_text(cell, value, size=font_size, bold=index in bold_columns)
    if widths:
        # Word reads the cells' widths, LibreOffice the grid's: set both.
        grid.autofit = False
        for column, width in zip(grid.columns, widths, strict=True):
            column.width = Cm(width)
        for row in grid.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Cm(width)
    return grid


def _cell_text(cell, value, *, bold=False, size=TABLE_FONT_SIZE):
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing = 1.15
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(2)
    run = paragraph.add_run(printable(value))
    run.bold = bold
    _set_font(run, "宋体", size)


def page_break(document):
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def saved(document):
    """The document in an open temporary file at its start, for a
    FileResponse to send and close."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
    document.save(handle)
    handle.seek(0)
    return handle


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日" if day else BLANK_DATE


# What a well's history says ---------------------------------------------------


def standing_actions(well):
    """The data of the newest standing event of each action, {action: event}:
    reverted actions do not count."""
    return {event.action: event for event in effective_events(well)}


def _place(well):
    parts = [well.township.name if well.township_id else "", well.village]
    return "".join(part for part in parts if part) or "（未登记位置）"


def _coordinates(well):
    if well.lat is None or well.lng is None:
        return "未登记"
    return f"东经{well.lng}°，北纬{well.lat}°"


def _uses(well):
    return "、".join(LABELS["uses"].get(use, use) for use in well.uses)


def _depth(well):
    return f"{well.depth_m}米" if well.depth_m is not None else "未登记"


def _data_date(event, name):
    value = (event.data or {}).get(name) if event else None
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _well_facts(well):
    return [
        ("机井编码", well.code),
        ("取水户名称", well.owner_name),
        ("取水户类型", LABELS["owner_kind"].get(well.owner_kind, well.owner_kind)),
        ("位置", _place(well)),
        ("坐标", _coordinates(well)),
        ("所在区域", LABELS["zone"].get(well.zone, well.zone)),
        ("用途", _uses(well)),
        ("井深", _depth(well)),
        ("电表号", well.meter_no or "无"),
        ("取水许可证号", well.license_no or "无"),
        ("类别", LABELS["category"].get(well.category, well.category)),
        ("责任单位", well.responsible_unit.name),
        ("责任人", well.responsible_person or ""),
        ("限期", chinese_date(well.deadline) if well.deadline else "未定"),
    ]


# The closure notice ----------------------------------------------------------


def closure_notice(wells):
    """One closure notice (关停通知书) per well, each on its own pages with
    a receipt for the owner's signature, in one document."""
    # A notice and its facts on one page, its receipt on the next.
    document = new_document(compact=True)
    for index, well in enumerate(wells):
        _write_notice(document, well, new_page=index > 0)
    return saved(document)


def _write_notice(document, well, *, new_page):
    actions = standing_actions(well)
    notify = actions.get(Action.NOTIFY)
    campaign = well.campaign
    notice_no = (notify.data or {}).get("notice_no") if notify else ""
    comply_by = well.comply_by or _data_date(notify, "comply_by") or well.deadline
    served_on = _data_date(notify, "served_on")

    title(document, "机电井关停通知书", new_page=new_page)
    paragraph(document, notice_no or "〔　　〕第　　号", indent=False, align="center")
    paragraph(document, f"{well.owner_name}：", indent=False)
    basis = campaign.name + (f"（{campaign.notice_no}）" if campaign.notice_no else "")
    zone = LABELS["zone"].get(well.zone, well.zone)
    paragraph(
        document,
        f"经排查，你（单位）位于{_place(well)}的机井（机井编码：{well.code}，基本情况附后）地处地下水{zone}。"
        f"根据《中华人民共和国水法》《地下水管理条例》和{basis}的要求，该井须依法关停。",
    )
    if well.category == Category.LICENSED and well.license_no:
        paragraph(
            document,
            f"该井持有取水许可证（{well.license_no}），水行政主管部门将依法注销该取水许可。",
        )
    if Use.DOMESTIC in well.uses:
        paragraph(document, "该井涉及生活用水，关停前将先行接通替代水源，保障正常生活用水（先通水后关停）。")
    paragraph(
        document,
        f"请你（单位）于{chinese_date(comply_by)}前自行停止取水、拆除取水设备，并配合做好断电和封填工作。"
        "逾期不执行的，将依法强制关停。",
    )
    paragraph(document, "特此通知。")
    paragraph(document, "附：机井基本情况", indent=False)
    facts = _well_facts(well)
    half = (len(facts) + 1) // 2
    right = facts[half:] + [("", "")] * (2 * half - len(facts))
    pairs = [(*first, *second) for first, second in zip(facts[:half], right, strict=True)]
    table(document, None, pairs, widths=[2.8, 5.0, 2.8, 5.0], bold_columns=(0, 2))
    signature = paragraph(document, well.responsible_unit.name, indent=False, align="right")
    signature.paragraph_format.space_before = Pt(12)
    paragraph(document, chinese_date(served_on), indent=False, align="right")

    # The receipt is kept by whoever serves the notice: a page of its own.
    title(document, "送达回执", size=18, new_page=True)
    table(
        document,
        None,
        [
            ("文书名称", f"机电井关停通知书（{notice_no}）" if notice_no else "机电井关停通知书"),
            ("受送达人", well.owner_name),
            ("机井编码", well.code),
            ("送达地点", _place(well)),
            ("送达日期", chinese_date(served_on)),
            ("受送达人签收", "\n\n"),
            ("送达人签名", "\n\n"),
            ("备注", "\n"),
        ],
        widths=[4, 11.6],
        bold_columns=(0,),
    )


def _supply(well):
    if well.supply_connected_on:
        return chinese_date(well.supply_connected_on)
    return "未接通" if Use.DOMESTIC in well.uses else "不涉及（无生活用水）"


# The acceptance form -----------------------------------------------------------


def acceptance_form(well):
    """The acceptance form (验收单) of a well's closure: its facts, each step
    as recorded, the acceptance when done, and room for the signatures."""
    actions = standing_actions(well)
    notify = actions.get(Action.NOTIFY)
    revoke = actions.get(Action.REVOKE_LICENSE)
    disconnect = actions.get(Action.DISCONNECT)
    seal = actions.get(Action.SEAL)
    accept = actions.get(Action.ACCEPT) if well.status == Status.ACCEPTED else None
    photos = well.attachments.filter(kind=AttachmentKind.PHOTO).count()

    document = new_document(compact=True)
    title(document, "地下水禁采区机电井关停验收单", size=20)
    paragraph(document, f"机井编码：{well.code}", indent=False, align="right")
    rows = list(_well_facts(well))
    rows += [
        (
            "关停通知书",
            f"{notify.data.get('notice_no', '')}，{chinese_date(_data_date(notify, 'served_on'))}送达"
            if notify
            else "未送达",
        ),
        (
            "取水许可注销",
            (
                f"{revoke.data.get('revocation_no', '')}，{chinese_date(_data_date(revoke, 'revoked_on'))}注销"
                if revoke
                else "未注销"
            )
            if well.license_no
            else "不涉及（无取水许可）",
        ),
        ("替代水源接通", _supply(well)),
        ("断电拆除", chinese_date(_data_date(disconnect, "disconnected_on")) if disconnect else "未完成"),
        (
            "封填",
            f"{chinese_date(_data_date(seal, 'sealed_on'))}，{seal.data.get('method', '')}" if seal else "未完成",
        ),
        ("现场照片", f"{photos}张（附后）" if photos else "无"),
        (
            "验收意见",
            "经现场核查，该井已停止取水，设备已拆除，井口已按标准封填，同意验收销号。" if accept else "",
        ),
        ("验收日期", chinese_date(_data_date(accept, "accepted_on")) if accept else BLANK_DATE),
        ("验收人员", accept.data.get("inspectors", "") if accept else ""),
    ]
    table(document, None, rows, widths=[4, 11.6], bold_columns=(0,))
    paragraph(document, "")
    table(
        document,
        ["实施单位（盖章）", "供电单位（盖章）", "水行政主管部门（盖章）"],
        [(well.responsible_unit.name, "", ""), ("\n\n签字：", "\n\n签字：", "\n\n签字：")],
        widths=[5.2, 5.2, 5.2],
    )
    return saved(document)
