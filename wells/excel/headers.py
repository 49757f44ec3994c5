"""The inventory's columns (DESIGN §6: contract) and finding them in a
sheet as people write them: under title rows, with synonyms, stray spaces,
full-width brackets and line breaks, and headers of two rows (坐标 over
经度 and 纬度, 取水户 over 名称 and 类型) flattened into one.

:func:`find_layout` says where a sheet's header is and which column holds
which field; a column named twice is refused naming both, and a column the
import does not read is a warning naming it, so that nothing is dropped
without a word."""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

# The template's header row (DESIGN §6: contract), in this order.
HEADERS = (
    "机井编码",
    "取水户名称",
    "取水户类型",
    "乡镇(街道)",
    "村(社区)",
    "经度",
    "纬度",
    "所在区域",
    "用途",
    "井深(米)",
    "取水许可证号",
    "电表号",
    "类别",
    "责任单位",
    "责任人",
    "限期",
    "备注",
)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: int
    # Other names real files give the column (the synonyms table); matched
    # like the header, without spaces, line breaks or full-width forms.
    aliases: tuple = ()


COLUMNS = (
    Column("机井编码", "code", 16, ("机井编号", "井编号", "编码", "取水井编码", "取水井编号")),
    Column(
        "取水户名称",
        "owner_name",
        24,
        ("取水户", "取水户名", "用水户名称", "取水权人", "取水权人名称", "单位名称", "所属单位"),
    ),
    Column("取水户类型", "owner_kind", 14, ("取水户性质", "取水权人类型")),
    Column(
        "乡镇(街道)",
        "township",
        14,
        ("乡镇", "乡镇/街道", "乡镇街道", "乡镇(街道办)", "街道(乡镇)", "街乡", "乡", "乡镇(场)", "所属乡镇"),
    ),
    Column("村(社区)", "village", 14, ("村", "社区", "村(居)", "村(社区、队)")),
    Column("经度", "lng", 13, ("经度(°)", "经度(度)", "东经")),
    Column("纬度", "lat", 13, ("纬度(°)", "纬度(度)", "北纬")),
    Column("所在区域", "zone", 10, ("区域", "所属区域")),
    Column("用途", "uses", 18, ("取水用途", "用水用途")),
    Column("井深(米)", "depth_m", 10, ("井深", "井深(m)", "井深(米)")),
    Column("取水许可证号", "license_no", 28, ("取水许可证编号", "许可证号", "电子证号", "取水许可证")),
    Column("电表号", "meter_no", 18, ("电表编号", "电表户号")),
    Column("类别", "category", 12, ("关停类别", "分类", "机井类别")),
    Column("责任单位", "responsible_unit", 24, ("责任主体",)),
    Column("责任人", "responsible_person", 10),
    Column("限期", "deadline", 12, ("关停时限", "完成时限", "关停期限", "限期(完成时间)", "完成时间")),
    Column("备注", "note", 36),
)
assert tuple(column.header for column in COLUMNS) == HEADERS

# The ledger export's last column (DESIGN §5): the version of each well when
# it was exported. Not the template's: a file that has it (an export edited
# and imported again) has each row checked against its well's version now,
# so that a change made since the export is never overwritten.
VERSION_COLUMN = Column("版本", "version", 8, ("版本号",))
# Every column the import reads.
IMPORT_COLUMNS = (*COLUMNS, VERSION_COLUMN)
COLUMN_BY_FIELD = {column.field: column for column in IMPORT_COLUMNS}

# What a new well cannot do without (the model's required fields), and the
# columns a file with new wells needs: the responsible unit defaults to the
# township's government.
REQUIRED_FIELDS = ("code", "owner_name", "owner_kind", "uses", "category", "responsible_unit")
REQUIRED_COLUMNS = ("code", "owner_name", "owner_kind", "uses", "category")

# Columns known and deliberately not read, without a warning: the row's
# number, and the export's columns that only the system changes (a
# re-imported export has them all).
KNOWN_UNREAD = (
    "序号",
    "编号",
    "状态",
    "是否超期",
    "强制关停",
    "限期整改日期",
    "替代水源接通日期",
    "所属行动",
    "更新时间",
)

# The header is looked for in this many rows from the top of each sheet.
HEADER_SEARCH_ROWS = 10
HEADER_SEARCH_COLUMNS = 60


def nfkc(value):
    """Full-width digits, letters, brackets and spaces as their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def header_key(value):
    """A header as compared: NFKC, without any white space or line break,
    lower case; （） and 【】 read as ()."""
    if value is None:
        return ""
    text = re.sub(r"\s+", "", nfkc(str(value))).lower()
    return text.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")


HEADER_KEYS = {}
for _column in IMPORT_COLUMNS:
    for _name in (_column.header, *_column.aliases):
        HEADER_KEYS.setdefault(header_key(_name), _column)
_KNOWN_UNREAD_KEYS = frozenset(header_key(name) for name in KNOWN_UNREAD)


@dataclass
class Layout:
    """Where a sheet's inventory is: the header's row number (its last row,
    for a header of two rows), the first data row, which column (0-based)
    holds which field, and what was found wrong (``errors``) or worth a word
    (``warnings``) about the columns, as ``(row, field, message)``."""

    header_row: int
    data_start: int
    columns: dict
    names: dict  # column index -> the header as the file writes it
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def column_letter(index):
    return get_column_letter(index + 1)


def _filled_across(values, merges, row_number):
    """The row's values with a value merged across columns repeated in
    each column it covers (坐标 over 经度 and 纬度)."""
    values = list(values)
    for top, left, bottom, right in merges:
        if top <= row_number <= bottom and right > left and left < len(values):
            head = values[left] if top == row_number else None
            for index in range(left + 1, min(right + 1, len(values))):
                if head is not None and values[index] in (None, ""):
                    values[index] = head
    return values


def _named(values):
    """The fields a row of header cells names: field -> [column indexes]."""
    found = {}
    for index, value in enumerate(values):
        column = HEADER_KEYS.get(header_key(value))
        if column is not None:
            found.setdefault(column.field, []).append(index)
    return found


def find_layout(top, merges, hidden_columns=frozenset()):
    """The layout of a sheet from its ``top`` rows (from row 1), or None
    when no row names the 机井编码 and two other columns."""
    best = None
    for index, values in enumerate(top):
        named = _named(values[:HEADER_SEARCH_COLUMNS])
        if "code" in named and len(named) >= 3 and (best is None or len(named) > len(best[1])):
            best = (index, named)
    if best is None:
        return None
    index, named = best
    upper = _filled_across(top[index][:HEADER_SEARCH_COLUMNS], merges, index + 1)
    names = {position: str(value).strip() for position, value in enumerate(upper) if value not in (None, "")}
    header_row = index + 1
    code_position = named["code"][0]
    lower = top[index + 1][:HEADER_SEARCH_COLUMNS] if index + 1 < len(top) else ()
    # A second header row: names of its own under the first row's cells
    # (经度 under 坐标), or the two read together (取水户 + 名称). Not a row
    # of data, which has a well code: under a header of two rows the
    # 机井编码 cell spans both.
    if lower and (code_position >= len(lower) or lower[code_position] in (None, "")):
        added = {}
        for position, value in enumerate(lower):
            if value in (None, ""):
                continue
            column = HEADER_KEYS.get(header_key(value))
            if column is None and position < len(upper) and upper[position] not in (None, ""):
                column = HEADER_KEYS.get(header_key(f"{upper[position]}{value}"))
                if column is not None:
                    value = f"{upper[position]}{value}"
            if column is None:
                continue
            taken = named.get(column.field, [])
            if position in [p for positions in named.values() for p in positions] and taken != [position]:
                # The upper cell named another field: the lower one refines it.
                for field_name, positions in list(named.items()):
                    if position in positions:
                        positions.remove(position)
                        if not positions:
                            del named[field_name]
            added.setdefault(column.field, []).append(position)
            names[position] = str(value).strip()
        if added:
            for field_name, positions in added.items():
                named[field_name] = sorted(set(named.get(field_name, [])) | set(positions))
            header_row += 1
    layout = Layout(header_row, header_row + 1, {}, names)
    for field_name, positions in named.items():
        if len(positions) > 1:
            layout.errors.append(
                (
                    header_row,
                    COLUMN_BY_FIELD[field_name].header,
                    _(
                        "The column “%(column)s” is in the sheet more than once: %(places)s. Keep one and "
                        "delete the others (a hidden column counts too)."
                    )
                    % {
                        "column": COLUMN_BY_FIELD[field_name].header,
                        "places": "、".join(_column_name(position, names, hidden_columns) for position in positions),
                    },
                )
            )
        layout.columns[field_name] = positions[0]
    read = set(layout.columns.values())
    for position, name in sorted(names.items()):
        if position in read or header_key(name) in _KNOWN_UNREAD_KEYS or header_key(name) in HEADER_KEYS:
            continue
        layout.warnings.append(
            (
                header_row,
                name,
                _(
                    "The column “%(column)s” (column %(letter)s) is not one the import reads: its values are not "
                    "imported."
                )
                % {"column": name, "letter": column_letter(position)},
            )
        )
    for position in sorted(hidden_columns & read):
        layout.warnings.append(
            (
                header_row,
                names.get(position, ""),
                _("Column %(letter)s (%(column)s) is hidden; its values are imported all the same.")
                % {"letter": column_letter(position), "column": names.get(position, "")},
            )
        )
    return layout


def _column_name(position, names, hidden_columns):
    label = _("column %(letter)s “%(name)s”") % {"letter": column_letter(position), "name": names.get(position, "")}
    if position in hidden_columns:
        label += _(" (hidden)")
    return label
