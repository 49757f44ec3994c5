"""The import template (the contract's header row, an example row,
drop-down lists and instructions) and the error report (the uploaded
sheets as read, with a column saying what is wrong on each row)."""

import datetime
import tempfile

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import Unit
from wellclosure.validators import printable
from wells.choices import WORKBOOK_LABELS as LABELS
from wells.choices import Category, OwnerKind, Zone
from wells.excel.cells import IDENTIFIER_FIELDS
from wells.excel.headers import COLUMN_BY_FIELD, COLUMNS, HEADERS
from wells.excel.xlsx import FORMULA_STARTS
from wells.models import Township

# A row of the template that shows how to fill it in; skipped on import.
EXAMPLE_MARK = "(示例)"

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
_TEXT_FIELDS = IDENTIFIER_FIELDS


def template_workbook(user=None):
    """The import template: the header row, an example row (skipped on
    import), drop-down lists for the coded columns and a sheet of
    instructions. Returns an open temporary file positioned at its start.
    The lists of townships and units are those ``user`` reads (every one
    without a user, as a management script makes it)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "机井台账"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    townships = Township.objects.all() if user is None else Township.objects.visible_to(user)
    units = Unit.objects.all() if user is None else Unit.objects.visible_to(user)
    townships = list(townships.select_related("government").order_by("code"))
    # Names as stored are printed as text may carry (wellclosure.validators):
    # openpyxl refuses a control character with an error, the backstop of
    # the check at the door.
    units = [printable(name) for name in units.order_by("kind", "name").values_list("name", flat=True)]
    example_township = townships[0] if townships else None
    example = {
        "code": f"{EXAMPLE_MARK}CJ-ZSL-01",
        "owner_name": "张某某",
        "owner_kind": LABELS["owner_kind"][OwnerKind.PERSON],
        "township": printable(example_township.name) if example_township else "中山路街道",
        "village": "一村",
        "lng": 87.308611,
        "lat": 44.016111,
        "zone": LABELS["zone"][Zone.PROHIBITED],
        "uses": "生活、农灌",
        "depth_m": 80,
        "license_no": "",
        "meter_no": "6530010021001",
        "category": LABELS["category"][Category.UNLICENSED],
        "responsible_unit": (
            printable(example_township.government.name)
            if example_township and example_township.government
            else (units[0] if units else "中山路街道办事处")
        ),
        "responsible_person": "张三",
        "deadline": datetime.date(timezone.localdate().year, 11, 30),
        "note": "示例行：机井编码以“(示例)”开头的行导入时跳过，可删除。",
    }
    sheet.append([example[column.field] for column in COLUMNS])
    for cell in sheet[2]:
        cell.font = _EXAMPLE_FONT
    sheet.cell(row=2, column=HEADERS.index("限期") + 1).number_format = "yyyy-mm-dd"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.field in _TEXT_FIELDS:
            # Codes and meter numbers stay text: Excel would turn
            # 6530010021001 into 6.53E+12.
            for row in range(3, 1003):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet("选项")
    lists = {
        "township": [printable(township.name) for township in townships],
        "responsible_unit": units,
    }
    for index, (name, values) in enumerate(lists.items(), start=1):
        options.cell(row=1, column=index, value=COLUMN_BY_FIELD[name].header).font = _HEADER_FONT
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=index, value=value)
        options.column_dimensions[get_column_letter(index)].width = 28
    options.sheet_state = "hidden"

    def column_range(name):
        letter = get_column_letter(HEADERS.index(COLUMN_BY_FIELD[name].header) + 1)
        return f"{letter}3:{letter}10000"

    for name in ("owner_kind", "zone", "category"):
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(LABELS[name].values()) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从列表中选择",
            error="可选：" + "、".join(LABELS[name].values()),
        )
        validation.add(column_range(name))
        sheet.add_data_validation(validation)
    # Several uses go in one cell (生活、农灌): the list helps but does not
    # refuse what is not in it.
    uses = DataValidation(
        type="list",
        formula1='"' + ",".join(LABELS["uses"].values()) + '"',
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle="用途",
        prompt="可填多个，用“、”分隔，如：生活、农灌",
    )
    uses.add(column_range("uses"))
    sheet.add_data_validation(uses)
    for index, name in enumerate(lists, start=1):
        if not lists[name]:
            continue
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${len(lists[name]) + 1}",
            allow_blank=True,
            showErrorMessage=False,
        )
        validation.add(column_range(name))
        sheet.add_data_validation(validation)

    guide = workbook.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 90
    guide.append(["列", "填写要求"])
    for cell in guide[1]:
        cell.font = _HEADER_FONT
    for header, text in _GUIDE:
        guide.append([header, text])
    return _saved(workbook)


_GUIDE = (
    ("机井编码", "必填，全市唯一，不含“/”。再次导入同一编码时更新该井信息，不会重复建档。"),
    ("取水户名称", "新井必填。"),
    ("取水户类型", "新井必填：个人、企业、事业单位/机关、村集体。"),
    ("乡镇(街道)", "乡镇或街道名称（如 中山路街道），也可填其人民政府或办事处名称。"),
    ("村(社区)", "选填。"),
    ("经度/纬度", "WGS84 坐标：十进制度（87.308611）或度分秒（87°18′30″、87度18分30秒），须在中国境内。"),
    ("所在区域", "禁采区 或 限采区，空白按禁采区。"),
    ("用途", "新井必填，可多选，用“、”分隔：生活、绿化、养殖、农灌、工业、城市应急水源。"),
    ("井深(米)", "数字，0–3000。"),
    ("取水许可证号", "无许可证的留空。"),
    ("类别", "新井必填：未经审批、有证不合规、保留。保留井须为城市应急水源或在备注中写明保留原因。"),
    ("责任单位", "单位全称或简称（如 中山路街道办事处）；新井空白时为所在乡镇(街道)的人民政府或办事处。"),
    ("限期", "日期：2023-11-30、2023/11/30、2023.11.30 或 2023年11月30日。"),
    ("其他", "表头上方可有标题行；空白单元格在更新时保留原值；井的状态只能在系统中办理，不能通过导入修改。"),
    (
        "版本",
        "模板无此列。系统导出的台账最后一列为“版本”：在导出表上修改后再导入时保留此列、勿改动；"
        "该井在导出后已被修改的行将被拒绝，请重新导出后再修改。",
    ),
)


def _saved(workbook):
    # Handed to the response, which closes it once sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


# The error report ---------------------------------------------------------

ERROR_HEADER = "错误说明"


def error_workbook(sheets, errors):
    """The uploaded sheets holding the inventory, as read (merged values
    filled in), each with a column “错误说明” that says what is wrong on
    each row, at the same row numbers the errors name. ``sheets`` are
    :class:`wells.excel.inventory.Sheet`; errors without a sheet go to the
    first. Returns an open temporary file at its start."""
    by_row = {}
    first = sheets[0].title if sheets else ""
    for error in errors:
        prefix = f"{error['field']}：" if error["field"] else ""
        key = (error.get("sheet") or first, error["row"])
        by_row.setdefault(key, []).append(prefix + error["message"])
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        out = workbook.create_sheet(sheet.title[:31] or "Sheet1")
        for index in range(sheet.width):
            out.column_dimensions[get_column_letter(index + 1)].width = 16
        out.column_dimensions[get_column_letter(sheet.width + 1)].width = 60
        out.freeze_panes = f"A{sheet.header_row + 1}"
        rows_marked = [row for title, row in by_row if title == sheet.title and row]
        last = max([len(sheet.rows), *rows_marked])
        for number in range(1, last + 1):
            values = sheet.rows[number - 1] if number <= len(sheet.rows) else (None,) * sheet.width
            cells = [_safe(value) for value in values]
            if number == sheet.header_row:
                cells.append(_styled(out, ERROR_HEADER, font=_HEADER_FONT))
            elif (sheet.title, number) in by_row:
                cells.append(_styled(out, "；".join(by_row[sheet.title, number]), fill=_ERROR_FILL))
            out.append(cells)
    return _saved(workbook)


# The whole preview -------------------------------------------------------

PREVIEW_HEADERS = ("工作表", "行", "机井编码", "处理", "字段", "原值", "新值")
PREVIEW_ACTIONS = {"create": "新增", "update": "更新", "unchanged": "不变", "error": "拒绝"}
ISSUE_HEADERS = ("工作表", "行", "字段", "说明")


def preview_workbook(rows, *, warnings, errors):
    """Every row of a preview, where the page lists the first
    :data:`~wells.excel.inventory.PREVIEW_ROWS_SHOWN`: a line per field a
    row sets or changes (a row that changes nothing, one line), with the
    file's own column header and the values as the page shows them; then
    a sheet of the warnings and one of the errors. ``rows`` are the page's
    rows, each with ``fields`` of ``label``, ``before`` and ``after``.
    Returns an open temporary file at its start."""
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet("导入预览")
    for index, width in enumerate((16, 6, 18, 8, 16, 30, 30), start=1):
        out.column_dimensions[get_column_letter(index)].width = width
    out.freeze_panes = "A2"
    out.append([_styled(out, header, font=_HEADER_FONT) for header in PREVIEW_HEADERS])
    for row in rows:
        start = [_safe(row["sheet"]), row["row"], _safe(row["code"]), PREVIEW_ACTIONS.get(row["action"], row["action"])]
        for change in row["fields"] or [{"label": "", "before": "", "after": ""}]:
            out.append([*start, _safe(str(change["label"])), _safe(change["before"]), _safe(change["after"])])
    for title, issues in (("警告", warnings), ("错误", errors)):
        if not issues:
            continue
        sheet = workbook.create_sheet(title)
        for index, width in enumerate((16, 6, 16, 80), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([_styled(sheet, header, font=_HEADER_FONT) for header in ISSUE_HEADERS])
        for issue in issues:
            sheet.append([_safe(issue["sheet"]), issue["row"], _safe(issue["field"]), _safe(issue["message"])])
    return _saved(workbook)


def _safe(value):
    """A value for a cell written by openpyxl (the error report): text that
    Excel would run as a formula (OWASP "CSV injection") gets a leading
    apostrophe, so it shows as the text it is; characters no cell may hold
    are dropped."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def _styled(sheet, value, *, font=None, fill=None, number_format=None):
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format is not None:
        cell.number_format = number_format
    return cell
