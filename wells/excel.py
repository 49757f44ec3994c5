"""The inventory in Excel (DESIGN §6): the template, the import and the
ledger export.

The workbook is a contract in Chinese whatever language the site speaks: its
header row (:data:`HEADERS`) and the words in its cells (类别 未经审批, 用途
生活、农灌 …) are those of the plan's 附件2 关停信息统计明细表. So the Chinese
words each code is written as are kept here in plain tables (:data:`LABELS`),
next to the readers of the cells; they are the file format, not the UI's
labels, which come from gettext. Messages about a file (the import's errors)
go through gettext like every other message.

Reading is done as a person reads a real file: the header row is found among
the first rows under any title, header names may carry stray spaces or
full-width brackets, merged cells repeat their value down the rows they span,
digits may be full-width, dates are Excel dates or text, coordinates decimal
degrees or degrees, minutes and seconds. The import is all or nothing: every
bad cell is reported with the row number Excel shows and the column's header,
and nothing is written unless every row is good. What it writes goes
through the import's door (:func:`wells.changes.import_wells`): each well it
creates or changes gets its version and its own history record, and a row
exported before its well last changed (the export's 版本 column) is refused
instead of overwriting that change.

An upload is checked before openpyxl opens it (a zip, with the parts of a
workbook, a bounded number of parts and a bounded unpacked size), and it is
opened read-only with cached values only, so a formula is never evaluated;
defusedxml, when installed, makes openpyxl refuse XML entity tricks.
"""

import datetime
import logging
import re
import tempfile
import unicodedata
import zipfile
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import BooleanField, Case, CharField, Value, When
from django.db.models.functions import Cast
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import Unit
from wells import changes
from wells.choices import Category, OwnerKind, Status, Use, Zone
from wells.figures import overdue_q
from wells.models import CHINA_LAT, CHINA_LNG, Township, Well
from wells.xlsx import FORMULA_STARTS, Cells, StreamingWorkbook, Style, WorkbookReader

logger = logging.getLogger(__name__)

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
    # Other names real files give the column; matched like the header.
    aliases: tuple = ()


COLUMNS = (
    Column("机井编码", "code", 16, ("机井编号", "井编号", "编码")),
    Column("取水户名称", "owner_name", 24, ("取水户", "取水户名", "用水户名称")),
    Column("取水户类型", "owner_kind", 14, ("取水户性质",)),
    Column("乡镇(街道)", "township", 14, ("乡镇", "乡镇/街道", "乡镇街道", "乡镇(街道办)", "街道(乡镇)")),
    Column("村(社区)", "village", 14, ("村", "社区", "村(居)")),
    Column("经度", "lng", 13),
    Column("纬度", "lat", 13),
    Column("所在区域", "zone", 10, ("区域", "所属区域")),
    Column("用途", "uses", 18, ("取水用途", "用水用途")),
    Column("井深(米)", "depth_m", 10, ("井深", "井深(m)")),
    Column("取水许可证号", "license_no", 28, ("取水许可证编号", "许可证号")),
    Column("电表号", "meter_no", 18, ("电表编号",)),
    Column("类别", "category", 12, ("关停类别", "分类")),
    Column("责任单位", "responsible_unit", 24),
    Column("责任人", "responsible_person", 10),
    Column("限期", "deadline", 12, ("关停时限", "完成时限", "关停期限")),
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

# How each code is written in the workbook.
LABELS = {
    "owner_kind": {
        OwnerKind.PERSON: "个人",
        OwnerKind.ENTERPRISE: "企业",
        OwnerKind.INSTITUTION: "事业单位/机关",
        OwnerKind.COLLECTIVE: "村集体",
    },
    "zone": {Zone.PROHIBITED: "禁采区", Zone.RESTRICTED: "限采区"},
    "uses": {
        Use.DOMESTIC: "生活",
        Use.GREENING: "绿化",
        Use.LIVESTOCK: "养殖",
        Use.IRRIGATION: "农灌",
        Use.INDUSTRIAL: "工业",
        Use.EMERGENCY: "城市应急水源",
    },
    "category": {Category.UNLICENSED: "未经审批", Category.LICENSED: "有证不合规", Category.RETAINED: "保留"},
    "status": {
        Status.INVENTORIED: "已排查登记",
        Status.NOTIFIED: "已下达关停通知",
        Status.LICENSE_REVOKED: "已注销取水许可",
        Status.DISCONNECTED: "已断电拆除",
        Status.SEALED: "已封填",
        Status.ACCEPTED: "已验收销号",
        Status.RETAINED: "保留",
        Status.REACTIVATED: "复启待处置",
    },
}

# Other words real files use for the same codes. The codes themselves are
# accepted too.
SYNONYMS = {
    "owner_kind": {
        "事业单位": OwnerKind.INSTITUTION,
        "机关": OwnerKind.INSTITUTION,
        "机关事业单位": OwnerKind.INSTITUTION,
        "行政事业单位": OwnerKind.INSTITUTION,
        "集体": OwnerKind.COLLECTIVE,
        "村委会": OwnerKind.COLLECTIVE,
        "公司": OwnerKind.ENTERPRISE,
        "农户": OwnerKind.PERSON,
    },
    "zone": {"禁采": Zone.PROHIBITED, "限采": Zone.RESTRICTED, "地下水禁采区": Zone.PROHIBITED},
    "uses": {
        "生活用水": Use.DOMESTIC,
        "绿化用水": Use.GREENING,
        "养殖用水": Use.LIVESTOCK,
        "农业灌溉": Use.IRRIGATION,
        "灌溉": Use.IRRIGATION,
        "农田灌溉": Use.IRRIGATION,
        "工业用水": Use.INDUSTRIAL,
        "应急水源": Use.EMERGENCY,
        "城市应急备用水源": Use.EMERGENCY,
    },
    "category": {"未审批": Category.UNLICENSED, "无证": Category.UNLICENSED, "有证": Category.LICENSED},
}

# Cells that hold nothing although they are not blank.
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "/", "\\", "无", "暂无"})

# A row of the template that shows how to fill it in; skipped on import.
EXAMPLE_MARK = "(示例)"

# Rows under the data that are not wells (totals, signatures).
FOOTER_PREFIXES = ("合计", "小计", "总计", "填表人", "制表人", "审核人", "填报人", "负责人:")

# The header is looked for in this many rows from the top of each sheet.
HEADER_SEARCH_ROWS = 10
HEADER_SEARCH_COLUMNS = 60
# Rows holding data, at most; a bigger inventory goes in several files.
MAX_DATA_ROWS = 50_000
# Excel's own limit: a row number beyond it is not from a real workbook.
EXCEL_MAX_ROW = 1_048_576
# A workbook of 50,000 rows unpacks to some 20 MB; far more is a zip bomb.
# zipfile stops at each part's declared size (a part that unpacks to more
# fails its checksum), so checking the declared sizes bounds the real ones.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_PARTS = 500

# Wells fetched by code per query: below SQLite's parameter limit.
LOOKUP_CHUNK = 900


class ImportFileError(Exception):
    """The upload as a whole cannot be read (not an .xlsx, too big, no
    header row …). The message says why, for a person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class CellError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# Normalising -------------------------------------------------------------


def _nfkc(value):
    """Full-width digits, letters, brackets and spaces as their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def _header_key(value):
    if value is None:
        return ""
    return re.sub(r"\s+", "", _nfkc(str(value))).lower()


def _lookup_key(value):
    return re.sub(r"\s+", "", _nfkc(str(value))).lower()


_HEADER_KEYS = {}
for _column in IMPORT_COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _HEADER_KEYS.setdefault(_header_key(_name), _column)


def _cell_text(value):
    """The cell as a person reads it: text stripped, a whole number without
    ``.0``, a date as YYYY-MM-DD, a placeholder (—, /, 无) as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).replace("\u200b", "").replace("\ufeff", "").strip()
    if text.startswith("="):
        raise CellError(
            _("This cell holds a formula (%(value)s); formulas are not read: type the value itself.")
            % {"value": text[:40]}
        )
    # The export writes text beginning with = + - @ after an apostrophe so
    # that Excel shows it as text; read it back without.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return "" if text in PLACEHOLDERS else text


def _limited(text, field_name):
    limit = Well._meta.get_field(field_name).max_length
    if limit and len(text) > limit:
        raise CellError(_("Too long: %(limit)s characters at most.") % {"limit": limit})
    return text


# Cell readers --------------------------------------------------------------
# Each takes the raw cell value and the lookups, returns the field's value or
# None for an empty cell, and raises CellError with a reason a clerk reads.


def _read_code(value, lookups):
    text = _nfkc(_cell_text(value)).strip()
    if not text:
        return None
    # The code is the well's address in every URL: /api/v1/wells/<code>/.
    if "/" in text or text in {".", ".."}:
        raise CellError(_("A well code cannot contain “/” or be “.” or “..”."))
    return _limited(text, "code")


def _text_reader(field_name, *, normalise=False):
    def read(value, lookups):
        text = _cell_text(value)
        if normalise:
            text = _nfkc(text).strip()
        return _limited(text, field_name) if text else None

    return read


def _choice_reader(field_name):
    words = {}
    for code, label in LABELS[field_name].items():
        words[_lookup_key(label)] = code
        words[_lookup_key(code)] = code
    for word, code in SYNONYMS.get(field_name, {}).items():
        words[_lookup_key(word)] = code
    choices = "、".join(LABELS[field_name].values())

    def read(value, lookups):
        text = _cell_text(value)
        if not text:
            return None
        try:
            return words[_lookup_key(text)]
        except KeyError:
            message = _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": choices}
            raise CellError(message) from None

    read.words = words
    read.choices = choices
    return read


_read_owner_kind = _choice_reader("owner_kind")
_read_zone = _choice_reader("zone")
_read_category = _choice_reader("category")
_read_one_use = _choice_reader("uses")

_USE_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


def _read_uses(value, lookups):
    text = _cell_text(value)
    if not text:
        return None
    uses = []
    for part in _USE_SEPARATORS.split(text):
        if not part:
            continue
        try:
            use = _read_one_use.words[_lookup_key(part)]
        except KeyError:
            raise CellError(
                _("“%(value)s” is not a use; write one or more of: %(choices)s, separated by 、")
                % {"value": part, "choices": _read_one_use.choices}
            ) from None
        if use not in uses:
            uses.append(use)
    return uses or None


def _read_township(value, lookups):
    text = _cell_text(value)
    if not text:
        return None
    township = lookups.township(text)
    if township is None:
        raise CellError(_("No township or street is called “%(value)s”.") % {"value": text})
    return township


def _read_unit(value, lookups):
    text = _cell_text(value)
    if not text:
        return None
    unit = lookups.unit(text)
    if unit is _AMBIGUOUS:
        raise CellError(_("“%(value)s” could be more than one unit: write the unit's full name.") % {"value": text})
    if unit is None:
        raise CellError(_("No unit is called “%(value)s”.") % {"value": text})
    return unit


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DMS = re.compile(
    r"(?:东经|北纬|[EN])?"
    r"(?P<d>\d+(?:\.\d+)?)(?:°|度)"
    r"(?:(?P<m>\d+(?:\.\d+)?)(?:′|'|’|分))?"
    r"(?:(?P<s>\d+(?:\.\d+)?)(?:″|′′|''|\"|”|秒))?"
    r"[EN]?"
)


def _read_coordinate(value, lookups):
    """Decimal degrees (87.308611) or degrees, minutes and seconds
    (87°18′30″, 87°18'30", 87度18分30秒); the range is checked with the
    other coordinate, so that a swapped pair gets one clear message."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        degrees = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = re.sub(r"\s+", "", _nfkc(_cell_text(value))).upper()
        if not text:
            return None
        if _NUMBER.fullmatch(text):
            degrees = Decimal(text)
        else:
            match = _DMS.fullmatch(text)
            if match is None:
                raise CellError(
                    _(
                        "“%(value)s” is not a coordinate: write decimal degrees (87.308611) or degrees, "
                        "minutes and seconds (87°18′30″)."
                    )
                    % {"value": _cell_text(value)}
                )
            minutes = Decimal(match["m"] or 0)
            seconds = Decimal(match["s"] or 0)
            if minutes >= 60 or seconds >= 60:
                raise CellError(_("Minutes and seconds must be below 60."))
            degrees = Decimal(match["d"]) + minutes / 60 + seconds / 3600
    if not degrees.is_finite() or abs(degrees) >= 1000:
        raise CellError(_("“%(value)s” is not a coordinate.") % {"value": _cell_text(value)})
    return degrees.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _read_depth(value, lookups):
    if isinstance(value, int | float) and not isinstance(value, bool):
        depth = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = re.sub(r"\s+", "", _nfkc(_cell_text(value))).lower()
        text = re.sub(r"(米|m)$", "", text)
        if not text:
            return None
        try:
            depth = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number of metres.") % {"value": _cell_text(value)}) from None
    if not depth.is_finite() or not Decimal(0) <= depth <= Decimal(3000):
        raise CellError(_("The depth must be from 0 to 3000 metres."))
    return depth.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_TEXT_DATE = re.compile(
    r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s+\d{1,2}:\d{2}(:\d{2})?)?"  # a time after the date, as Excel writes it
)


def _read_date(value, lookups):
    """An Excel date, or text written 2023-11-30, 2023/11/30, 2023.11.30,
    2023年11月30日, or the number 20231130."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = re.sub(r"\s+", " ", _nfkc(_cell_text(value))).strip()
    if not text:
        return None
    match = _TEXT_DATE.fullmatch(text)
    if match is not None:
        parts = match.group(1, 2, 3)
    elif re.fullmatch(r"\d{8}", text):
        parts = text[:4], text[4:6], text[6:]
    else:
        raise CellError(
            _("“%(value)s” is not a date: write it as 2023-11-30, 2023/11/30, 2023.11.30 or 2023年11月30日.")
            % {"value": text}
        )
    try:
        return datetime.date(*(int(part) for part in parts))
    except ValueError:
        raise CellError(_("“%(value)s” is not a day of the calendar.") % {"value": text}) from None


def _read_version(value, lookups):
    """The version the export wrote beside the well: a whole number from 1."""
    text = _nfkc(_cell_text(value)).strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", text) or int(text) < 1:
        raise CellError(
            _("“%(value)s” is not a version: this column holds the whole number (1, 2, 3 …) the export wrote.")
            % {"value": text}
        )
    return int(text)


READERS = {
    "code": _read_code,
    "owner_name": _text_reader("owner_name"),
    "owner_kind": _read_owner_kind,
    "township": _read_township,
    "village": _text_reader("village"),
    "lng": _read_coordinate,
    "lat": _read_coordinate,
    "zone": _read_zone,
    "uses": _read_uses,
    "depth_m": _read_depth,
    "license_no": _text_reader("license_no"),
    "meter_no": _text_reader("meter_no", normalise=True),
    "category": _read_category,
    "responsible_unit": _read_unit,
    "responsible_person": _text_reader("responsible_person"),
    "deadline": _read_date,
    "note": _text_reader("note"),
    "version": _read_version,
}
assert set(READERS) == set(COLUMN_BY_FIELD)

_AMBIGUOUS = object()


class Lookups:
    """Townships and units by every name a file may give them, read once
    for the whole file."""

    # A township's government is often written instead of the area.
    _SUFFIXES = ("人民政府", "办事处", "政府")

    def __init__(self):
        self.townships = {}
        for township in Township.objects.select_related("government"):
            names = [township.name, township.code]
            if township.government is not None:
                names += [township.government.name, township.government.short_name]
            for name in names:
                if name:
                    self._add(self.townships, name, township)
                    self._add(self.townships, self._strip_suffix(name), township)
        self.units = {}
        for unit in Unit.objects.all():
            for name in (unit.name, unit.short_name):
                if name:
                    self._add(self.units, name, unit)

    @classmethod
    def _strip_suffix(cls, name):
        for suffix in cls._SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name

    @staticmethod
    def _add(table, name, obj):
        key = _lookup_key(name)
        if table.get(key, obj) is not obj:
            table[key] = _AMBIGUOUS
        else:
            table[key] = obj

    def township(self, text):
        found = self.townships.get(_lookup_key(text))
        if found is None:
            found = self.townships.get(_lookup_key(self._strip_suffix(_nfkc(text).strip())))
        return None if found is _AMBIGUOUS else found

    def unit(self, text):
        return self.units.get(_lookup_key(text))


# Reading the file ----------------------------------------------------------


def check_workbook_file(upload):
    """Refuse, before openpyxl sees it, anything but a modest .xlsx: an empty
    or oversize file, an old .xls, a CSV or other file renamed, a zip that is
    not a workbook, and a zip bomb (too many parts, or parts that unpack to
    too much)."""
    size = getattr(upload, "size", None)
    if not size:
        raise ImportFileError(_("The file is empty."))
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls) or a workbook with a password. Open it in Excel, "
                "remove any password and save it as “Excel Workbook (.xlsx)”, then upload that."
            )
        )
    if not head.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is not an Excel workbook (.xlsx). Save the sheet as .xlsx and upload that."))
    try:
        with zipfile.ZipFile(upload) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ImportFileError(_("The workbook is damaged and cannot be read.")) from None
    finally:
        upload.seek(0)
    if len(parts) > MAX_PARTS:
        raise ImportFileError(
            _("The workbook holds too many parts (%(count)s; at most %(limit)s) to be read safely.")
            % {"count": len(parts), "limit": MAX_PARTS}
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _("The workbook unpacks to %(size)s, more than the %(limit)s that can be read safely.")
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(MAX_UNPACKED_BYTES)}
        )
    names = {part.filename for part in parts}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportFileError(_("This is not an Excel workbook (.xlsx). Save the sheet as .xlsx and upload that."))


@dataclass
class Sheet:
    """The rows of the sheet that holds the inventory, as read: ``rows`` from
    row 1 to the last row with anything in it (values padded to ``width``),
    the header's row number and which column (0-based) holds which field."""

    title: str
    rows: list
    header_row: int
    data_start: int
    width: int
    columns: dict  # field -> index
    # (row, column) of formula cells without a saved result.
    unsaved_formulas: set = field(default_factory=set)


def read_sheet(upload):
    """Check the upload and read the sheet holding the inventory. Raises
    :class:`ImportFileError` for a file that cannot be read."""
    check_workbook_file(upload)
    try:
        book = WorkbookReader(upload)
    except Exception:
        # A hostile or broken file fails inside openpyxl or expat in a
        # hundred ways (XML entities refused, bad XML, missing parts …); all
        # of them mean the same thing to the person uploading.
        logger.info("An uploaded workbook could not be opened.", exc_info=True)
        raise ImportFileError(_("The workbook is damaged and cannot be read.")) from None
    try:
        for title, path in book.sheets:
            sheet = _read_worksheet(book, title, path)
            if sheet is not None:
                return sheet
    except ImportFileError:
        raise
    except Exception:
        logger.info("An uploaded workbook could not be read.", exc_info=True)
        raise ImportFileError(_("The workbook is damaged and cannot be read.")) from None
    finally:
        book.close()
    raise ImportFileError(
        _("No sheet has the template's header row (%(headers)s …) in its first %(rows)s rows.")
        % {"headers": "、".join(HEADERS[:4]), "rows": HEADER_SEARCH_ROWS}
    )


def _numbered(rows, width, *, last=None):
    """The rows of a SheetReader from row 1 on, a row of None for each row
    the sheet leaves out, as openpyxl gives them; up to row ``last``."""
    empty = (None,) * width
    expected = 1
    for number, values in rows:
        if last is not None and number > last:
            return
        if number < expected:
            continue  # a row out of order: openpyxl skips it too
        if number > EXCEL_MAX_ROW:
            raise ImportFileError(_("The workbook is damaged and cannot be read."))
        for _gap in range(expected, number):
            yield empty
        yield values
        expected = number + 1


def _read_worksheet(book, title, path):
    # The header is looked for in the top rows; the rows are read again,
    # as wide as the header, only from a sheet that has one.
    with closing(book.sheet(path, max_col=HEADER_SEARCH_COLUMNS).rows()) as top_rows:
        top = list(_numbered(top_rows, HEADER_SEARCH_COLUMNS, last=HEADER_SEARCH_ROWS))
    found = _find_header(top)
    if found is None:
        return None
    header_row, data_start, columns = found
    width = max(columns.values()) + 1

    reader = book.sheet(path, max_col=width)
    rows = []
    data_rows = 0
    last_filled = 0
    for number, values in enumerate(_numbered(reader.rows(), width), start=1):
        rows.append(values)
        if any(value is not None and value != "" for value in values):
            last_filled = number
            if number >= data_start:
                data_rows += 1
                if data_rows > MAX_DATA_ROWS:
                    raise ImportFileError(
                        _("The sheet has more than %(limit)s rows of wells; split it into several files.")
                        % {"limit": MAX_DATA_ROWS}
                    )
    del rows[last_filled:]
    _fill_merged_cells(rows, reader.merges, data_start, width)
    # A formula whose result was never saved (a file written by a program,
    # not by Excel) reads as empty; it must not pass for an empty cell.
    unsaved = {
        (row, column)
        for row, column in reader.unsaved_formulas
        if row <= len(rows) and column < width and rows[row - 1][column] is None
    }
    return Sheet(title, rows, header_row, data_start, width, columns, unsaved)


def _find_header(top):
    """The header row among the top rows: the one naming most of the
    contract's columns, the 机井编码 among them. A second header row below it
    (经度 and 纬度 under a merged 坐标) adds the columns it names."""
    best = None
    for index, values in enumerate(top):
        columns = _header_columns(values)
        if "code" in columns and len(columns) >= 3 and (best is None or len(columns) > len(best[1])):
            best = (index, columns)
    if best is None:
        return None
    index, columns = best
    data_start = index + 2
    if index + 1 < len(top):
        below = _header_columns(top[index + 1], taken=columns)
        if below:
            for name, position in below.items():
                columns.setdefault(name, position)
            data_start += 1
    return index + 1, data_start, columns


def _header_columns(values, taken=None):
    taken = taken or {}
    used = set(taken.values())
    columns = {}
    for position, value in enumerate(values):
        column = _HEADER_KEYS.get(_header_key(value))
        if column is None or column.field in taken or column.field in columns or position in used:
            continue
        columns[column.field] = position
    return columns


def _fill_merged_cells(rows, merges, data_start, width):
    """A cell merged down several rows holds its value for each of them, as
    a person reads it (a 乡镇 written once beside ten wells). Merges across
    columns leave the value in the first column only."""
    for column, top, last_row in merges:
        bottom = min(last_row, len(rows))
        if column >= width or bottom <= top or bottom < data_start:
            continue
        value = rows[top - 1][column]
        for number in range(max(top + 1, data_start), bottom + 1):
            row = rows[number - 1]
            if row[column] is None:
                rows[number - 1] = row[:column] + (value,) + row[column + 1 :]


# Importing -----------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did, or would do (``dry_run``): counts, every error as
    ``{"row", "field", "message"}`` (the Excel row number and the column's
    header), and in a dry run one line per well."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    preview: list = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self):
        body = {"created": self.created, "updated": self.updated, "errors": self.errors}
        body["unchanged"] = self.unchanged
        if self.dry_run:
            body["dry_run"] = True
            body["wells"] = self.preview
        return body


def import_wells(upload, *, campaign, actor, dry_run=False):
    """Read an inventory workbook and create or update its wells as
    ``actor`` (the importing user), all or nothing, through
    :func:`wells.changes.import_wells`. New wells join ``campaign`` and start
    ``inventoried`` — a well of category 保留 ``retained``, with its retain
    event — with their tasks. A well already in the ledger (by code) has the
    facts the file gives updated, its version bumped and the change recorded
    in its history, never its status, campaign or lifecycle fields; an empty
    cell leaves the well's value as it is. A row is refused for a code held
    by a well out of the actor's scope, for an archived well, and for a well
    changed since the row's 版本 (an export edited and imported again).
    Returns an :class:`ImportResult`; raises :class:`ImportFileError` for a
    file that cannot be read."""
    sheet = read_sheet(upload)
    return import_sheet(sheet, campaign=campaign, actor=actor, dry_run=dry_run)


def import_sheet(sheet, *, campaign, actor, dry_run=False):
    """Import the rows of a :class:`Sheet` (see :func:`import_wells`)."""
    lookups = Lookups()
    result = ImportResult(dry_run=dry_run)
    parsed = _parse_rows(sheet, lookups, result.errors)
    if not parsed and not result.errors:
        raise ImportFileError(_("No wells were found below the header row."))
    try:
        with transaction.atomic():
            _plan_and_write(sheet, parsed, campaign, actor, result)
    except IntegrityError:
        # Another import or a POST created one of the new codes meanwhile.
        raise ImportFileError(
            _("Some of these wells were added by someone else while the file was read. Upload it again.")
        ) from None
    return result


def _plan_and_write(sheet, parsed, campaign, actor, result):
    """Compare the parsed rows with the ledger as ``actor`` reaches it (the
    wells locked unless in a dry run), collect the refusals, and write
    through the import's door when nothing is refused. Fills ``result``."""
    dry_run = result.dry_run
    existing, taken = _existing_wells([values["code"] for _number, values in parsed], actor=actor, lock=not dry_run)
    to_create, to_update = [], []
    missing_columns = [name for name in REQUIRED_COLUMNS if name not in sheet.columns]
    reported_missing = False
    for number, values in parsed:
        # The version says which well the row was read from; it is not set.
        version = values.pop("version", None)
        well = existing.get(values["code"])
        if well is None:
            if values["code"] in taken:
                _error(
                    result.errors,
                    number,
                    "机井编码",
                    _("The well code %(code)s is already used by a well outside your scope.")
                    % {"code": values["code"]},
                )
                continue
            if missing_columns:
                # Said once, at the header; every new well waits for that fix.
                if not reported_missing:
                    _report_missing_columns(missing_columns, values["code"], number, sheet, result.errors)
                    reported_missing = True
                continue
            well, changed = _new_well(values, campaign, number, result.errors)
            action = "create"
        else:
            if not _may_update(well, version, number, result.errors):
                continue
            before = changes.snapshot(well)
            changed = _apply(well, values)
            action = "update" if changed else "unchanged"
        if well is None or not _check_well(well, values, number, result.errors):
            continue
        if action == "create":
            to_create.append(well)
        elif action == "update":
            to_update.append((well, before))
        else:
            result.unchanged += 1
        if dry_run:
            result.preview.append({"row": number, "code": well.code, "action": action, "changes": changed})

    result.errors.sort(key=lambda error: (error["row"], _column_order(error["field"])))
    if result.errors:
        return
    result.created, result.updated = len(to_create), len(to_update)
    if not dry_run:
        changes.import_wells(actor=actor, created=to_create, updated=to_update)


def _may_update(well, version, number, errors):
    """An archived well takes no import row; nor does a well changed since
    the row's version was exported, which the row would overwrite."""
    if well.archived_at is not None:
        _error(
            errors,
            number,
            "机井编码",
            _("The well %(code)s is archived: restore it before importing changes to it.") % {"code": well.code},
        )
        return False
    if version is not None and version != well.version:
        _error(
            errors,
            number,
            VERSION_COLUMN.header,
            _(
                "This row was exported at version %(yours)s; the well is now at version %(current)s (changed "
                "since). Export the ledger again and redo the change on the fresh copy."
            )
            % {"yours": version, "current": well.version},
        )
        return False
    return True


_IMPORT_HEADERS = tuple(column.header for column in IMPORT_COLUMNS)


def _column_order(header):
    return _IMPORT_HEADERS.index(header) if header in _IMPORT_HEADERS else -1


def _error(errors, row, column, message):
    errors.append({"row": row, "field": column, "message": message})


def _parse_rows(sheet, lookups, errors):
    """Each data row as {field: value} for the cells it fills, in file
    order; bad cells, rows without a code and repeated codes go to
    ``errors``."""
    readers = [(index, COLUMN_BY_FIELD[name], READERS[name]) for name, index in sheet.columns.items()]
    readers.sort(key=lambda item: item[0])
    seen = {}
    parsed = []
    for number in range(sheet.data_start, len(sheet.rows) + 1):
        row = sheet.rows[number - 1]
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in row):
            continue
        if _is_footer(row):
            continue
        values, bad = {}, False
        for index, column, read in readers:
            try:
                if (number, index) in sheet.unsaved_formulas:
                    raise CellError(_unsaved_formula_message())
                value = read(row[index], lookups)
            except CellError as error:
                _error(errors, number, column.header, error.message)
                bad = True
                continue
            if value is not None:
                values[column.field] = value
        code = values.get("code")
        if code is None:
            if not _code_cell_failed(errors, number):
                _error(errors, number, "机井编码", _("Fill in the well code."))
            continue
        if _nfkc(code).startswith(EXAMPLE_MARK):
            continue
        if code in seen:
            _error(
                errors,
                number,
                "机井编码",
                _("The well code %(code)s is also in row %(row)s: each well once per file.")
                % {"code": code, "row": seen[code]},
            )
            continue
        seen[code] = number
        if not _check_coordinates(values, number, errors) or bad:
            continue
        parsed.append((number, values))
    return parsed


def _unsaved_formula_message():
    return _("This cell holds a formula without a saved result; formulas are not read: type the value itself.")


def _code_cell_failed(errors, number):
    return any(error["row"] == number and error["field"] == "机井编码" for error in errors)


def _is_footer(row):
    for value in row:
        if value is None or value == "":
            continue
        text = re.sub(r"\s+", "", _nfkc(str(value)))
        return text.startswith(FOOTER_PREFIXES)
    return False


def _check_coordinates(values, number, errors):
    """Both coordinates inside China; a swapped pair is named as such."""
    lng, lat = values.get("lng"), values.get("lat")
    lng_ok = lng is None or CHINA_LNG[0] <= lng <= CHINA_LNG[1]
    lat_ok = lat is None or CHINA_LAT[0] <= lat <= CHINA_LAT[1]
    if lng_ok and lat_ok:
        return True
    swapped = (
        lng is not None
        and lat is not None
        and CHINA_LAT[0] <= lng <= CHINA_LAT[1]
        and CHINA_LNG[0] <= lat <= CHINA_LNG[1]
    )
    if swapped:
        _error(
            errors,
            number,
            "经度",
            _(
                "Longitude and latitude look swapped: in China the longitude (经度) is from %(lng_min)s to "
                "%(lng_max)s and the latitude (纬度) from %(lat_min)s to %(lat_max)s."
            )
            % {"lng_min": CHINA_LNG[0], "lng_max": CHINA_LNG[1], "lat_min": CHINA_LAT[0], "lat_max": CHINA_LAT[1]},
        )
        return False
    if not lng_ok:
        _error(
            errors,
            number,
            "经度",
            _("The longitude %(value)s is outside China (from %(min)s to %(max)s).")
            % {"value": lng, "min": CHINA_LNG[0], "max": CHINA_LNG[1]},
        )
    if not lat_ok:
        _error(
            errors,
            number,
            "纬度",
            _("The latitude %(value)s is outside China (from %(min)s to %(max)s).")
            % {"value": lat, "min": CHINA_LAT[0], "max": CHINA_LAT[1]},
        )
    return False


def _existing_wells(codes, *, actor, lock):
    """The wells of ``codes`` already in the ledger, by code, as ``actor``
    reaches them (archived ones too: the import refuses them by row) and,
    unless ``lock`` is false (a dry run), locked until the import's write;
    and the codes among the others that wells out of the actor's reach hold
    (nothing else is read of those)."""
    wells, taken = {}, set()
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = codes[start : start + LOOKUP_CHUNK]
        if lock:
            # No other door may change these wells between this read and the
            # import's write.
            found = changes.lock_for_import(chunk, actor)
        else:
            found = {well.code: well for well in Well.objects.visible_to(actor, archived=None).filter(code__in=chunk)}
        wells.update(found)
        others = [code for code in chunk if code not in found]
        if others:
            taken.update(Well.objects.filter(code__in=others).values_list("code", flat=True))
    return wells, taken


def _report_missing_columns(missing_columns, code, number, sheet, errors):
    for name in missing_columns:
        _error(
            errors,
            sheet.header_row,
            COLUMN_BY_FIELD[name].header,
            _("The column “%(column)s” is missing; new wells (such as %(code)s in row %(row)s) need it.")
            % {"column": COLUMN_BY_FIELD[name].header, "code": code, "row": number},
        )


def _new_well(values, campaign, number, errors):
    township = values.get("township")
    if "responsible_unit" not in values and township is not None and township.government_id:
        # The township's government carries out the closure unless the file
        # names another unit (DESIGN §1).
        values["responsible_unit"] = township.government
    blank = [name for name in REQUIRED_FIELDS if name not in values]
    for name in blank:
        _error(
            errors,
            number,
            COLUMN_BY_FIELD[name].header,
            _("Fill this in: %(code)s is a new well.") % {"code": values["code"]},
        )
    if blank:
        return None, []
    well = Well(campaign=campaign, status=Status.INVENTORIED, **values)
    return well, sorted(values)


def _apply(well, values):
    """Set the file's values on an existing well; the fields that changed."""
    changed = []
    for name, value in values.items():
        if name == "code":
            continue
        current = getattr(well, f"{name}_id") if name in ("township", "responsible_unit") else getattr(well, name)
        new = value.pk if name in ("township", "responsible_unit") else value
        same = set(current) == set(new) if name == "uses" else current == new
        if not same:
            setattr(well, name, value)
            changed.append(name)
    return changed


_MODEL_FIELD_COLUMNS = {column.field: column.header for column in COLUMNS}


def _check_well(well, values, number, errors):
    """The model's own rules (both coordinates or neither, a retained well's
    reason), on the well as the file leaves it."""
    if (well.lat is None) != (well.lng is None):
        header = "纬度" if well.lat is None else "经度"
        _error(errors, number, header, _("Give both longitude and latitude, or neither."))
        return False
    try:
        well.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                _error(errors, number, _MODEL_FIELD_COLUMNS.get(name), message)
        return False
    return True


# The template ----------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
_TEXT_FIELDS = ("code", "license_no", "meter_no")


def template_workbook():
    """The import template: the header row, an example row (skipped on
    import), drop-down lists for the coded columns and a sheet of
    instructions. Returns an open temporary file positioned at its start."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "机井台账"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    townships = list(Township.objects.select_related("government").order_by("code"))
    units = list(Unit.objects.order_by("kind", "name").values_list("name", flat=True))
    example_township = townships[0] if townships else None
    example = {
        "code": f"{EXAMPLE_MARK}CJ-ZSL-01",
        "owner_name": "张某某",
        "owner_kind": LABELS["owner_kind"][OwnerKind.PERSON],
        "township": example_township.name if example_township else "中山路街道",
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
            example_township.government.name
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
        "township": [township.name for township in townships],
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


def error_workbook(sheet, errors):
    """The uploaded sheet as read (merged values filled in), with a column
    “错误说明” that says what is wrong on each row, at the same row numbers
    the errors name. Returns an open temporary file at its start."""
    by_row = {}
    for error in errors:
        prefix = f"{error['field']}：" if error["field"] else ""
        by_row.setdefault(error["row"], []).append(prefix + error["message"])
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet(sheet.title[:31] or "Sheet1")
    for index in range(sheet.width):
        out.column_dimensions[get_column_letter(index + 1)].width = 16
    out.column_dimensions[get_column_letter(sheet.width + 1)].width = 60
    out.freeze_panes = f"A{sheet.header_row + 1}"
    last = max([len(sheet.rows), *by_row])
    for number in range(1, last + 1):
        values = sheet.rows[number - 1] if number <= len(sheet.rows) else (None,) * sheet.width
        cells = [_safe(value) for value in values]
        if number == sheet.header_row:
            cells.append(_styled(out, ERROR_HEADER, font=_HEADER_FONT))
        elif number in by_row:
            cells.append(_styled(out, "；".join(by_row[number]), fill=_ERROR_FILL))
        out.append(cells)
    return _saved(workbook)


# The ledger export -------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    header: str
    width: int
    # What the column reads: a field of the well (through its relations), or
    # one of _export_annotations().
    source: str
    number_format: str | None = None
    # The value read -> the cell's value (a label for a code …), or None.
    convert: object = None
    # "text", "number", "datetime" or None (any): see wells.xlsx.Cells.
    kind: str | None = None
    # Few distinct values (labels, names, dates): each written once.
    repeats: bool = False


def _safe(value):
    """A value for a cell written by openpyxl (the error report): text that
    Excel would run as a formula (OWASP "CSV injection") gets a leading
    apostrophe, so it shows as the text it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _label(name):
    labels = LABELS[name]
    return lambda code: labels.get(code, code)


def _uses_label(stored):
    # The column as stored (",domestic,irrigation,"), read without the
    # field's conversion to a list so that it can be looked up.
    labels = LABELS["uses"]
    return "、".join(labels.get(use, use) for use in (stored or "").split(",") if use)


def _yes_no(value):
    return "是" if value else "否"


def _text(field_name, header, width):
    return ExportColumn(header, width, field_name, kind="text")


def _named(field_name, header, width):
    return ExportColumn(header, width, field_name, kind="text", repeats=True)


def _coded(field_name, header, width):
    return ExportColumn(header, width, field_name, convert=_label(field_name), kind="text", repeats=True)


def _date(field_name, header, width):
    return ExportColumn(header, width, field_name, "yyyy-mm-dd", repeats=True)


EXPORT_COLUMNS = (
    _text("code", "机井编码", 16),
    _text("owner_name", "取水户名称", 24),
    _coded("owner_kind", "取水户类型", 14),
    _named("township__name", "乡镇(街道)", 14),
    _named("village", "村(社区)", 14),
    ExportColumn("经度", 13, "lng", "0.000000", kind="number"),
    ExportColumn("纬度", 13, "lat", "0.000000", kind="number"),
    _coded("zone", "所在区域", 10),
    ExportColumn("用途", 18, "uses_stored", convert=_uses_label, kind="text", repeats=True),
    ExportColumn("井深(米)", 10, "depth_m", "0.00", kind="number"),
    _text("license_no", "取水许可证号", 28),
    _text("meter_no", "电表号", 18),
    _coded("category", "类别", 12),
    _named("responsible_unit__name", "责任单位", 24),
    _named("responsible_person", "责任人", 10),
    _date("deadline", "限期", 12),
    _text("note", "备注", 36),
    _coded("status", "状态", 14),
    ExportColumn("是否超期", 9, "overdue_today", convert=_yes_no, kind="text", repeats=True),
    ExportColumn("强制关停", 9, "enforced", convert=_yes_no, kind="text", repeats=True),
    _date("comply_by", "限期整改日期", 12),
    _date("supply_connected_on", "替代水源接通日期", 14),
    _named("campaign__name", "所属行动", 30),
    # Converted to the local time as the rows are read (_export_cells).
    ExportColumn("更新时间", 18, "updated_at", "yyyy-mm-dd hh:mm", kind="datetime"),
    # Last (DESIGN §5): an export edited and imported again is refused, row
    # by row, where its well changed since (_may_update).
    ExportColumn(VERSION_COLUMN.header, 8, "version", "0", kind="number"),
)
# The export reads back as an import: its first columns are the template's,
# its last the well's version.
assert tuple(column.header for column in EXPORT_COLUMNS[: len(HEADERS)]) == HEADERS
assert (EXPORT_COLUMNS[-1].header, EXPORT_COLUMNS[-1].source) == (VERSION_COLUMN.header, "version")


def _export_annotations(today):
    """What the export reads beside the wells' own fields."""
    return {
        # Well.is_overdue, with today fixed once for the whole export.
        "overdue_today": Case(
            When(overdue_q(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "uses_stored": Cast("uses", output_field=CharField()),
    }


def _local_time(zone):
    """A moment as Excel shows it (Excel has no time zones): the time in
    ``zone``; the cell keeps it to the second."""

    def convert(moment):
        return moment.astimezone(zone) if moment else None

    return convert


def _export_cells(zone):
    cells = []
    for column in EXPORT_COLUMNS:
        convert = _local_time(zone) if column.source == "updated_at" else column.convert
        cells.append(Cells(convert, kind=column.kind, repeats=column.repeats))
    return cells


# Rows fetched from the database at a time.
EXPORT_CHUNK = 2000


@contextmanager
def _reading_all(using):
    """A transaction in which PostgreSQL plans a server-side cursor (the
    rows of ``QuerySet.iterator()``) to read every row. By default it plans
    it for its first tenth of rows (``cursor_tuple_fraction`` 0.1), a plan
    that starts fast and ends slow: for a campaign of 100,000 among a
    million wells, 4.5 s to read them all against 0.6 s for the plan that
    reads them all and sorts them (measured with psql). SQLite has no such
    cursor."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        yield


SUMMARY_COLUMNS = (
    ("责任单位", 30, "responsible_unit__name", None),
    ("机井总数", 10, "total", "0"),
    ("应关停", 10, "to_close", "0"),
    ("保留", 10, "retained", "0"),
    ("已封填", 10, "sealed", "0"),
    ("已验收销号", 12, "accepted", "0"),
    ("超期", 10, "overdue", "0"),
    ("完成率", 10, "completion_rate", "0.0%"),
)


def _styled(sheet, value, *, font=None, fill=None, number_format=None):
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format is not None:
        cell.number_format = number_format
    return cell


def export_wells(wells, summary_rows, totals):
    """The ledger as a workbook, streamed row by row (:mod:`wells.xlsx`) so
    that 100,000 wells never sit in memory together: a sheet of wells with
    Chinese headers and labels, real date and number cells, a frozen header
    and an autofilter, and a sheet of figures per responsible unit.
    ``wells`` is a queryset of wells in the order wanted, read once, in one
    query, as plain values (never model instances); ``summary_rows`` and
    ``totals`` are the figures of the same wells
    (:meth:`wells.models.LedgerFigures.summary`). Returns an open temporary file at
    its start."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    # Text that Excel would run as a formula is written after an apostrophe.
    book = StreamingWorkbook(handle, guard_formulas=True)
    today, zone = timezone.localdate(), timezone.get_current_timezone()
    rows = wells.annotate(**_export_annotations(today)).values_list(*(column.source for column in EXPORT_COLUMNS))
    with book.sheet(
        "机井台账",
        widths=[column.width for column in EXPORT_COLUMNS],
        styles=[Style(column.number_format) if column.number_format else None for column in EXPORT_COLUMNS],
    ) as sheet:
        sheet.append([column.header for column in EXPORT_COLUMNS], header=True)
        with _reading_all(rows.db):
            sheet.extend(rows.iterator(chunk_size=EXPORT_CHUNK), _export_cells(zone))

    with book.sheet(
        "按责任单位汇总",
        widths=[width for _header, width, _key, _format in SUMMARY_COLUMNS],
        styles=[Style(number_format) if number_format else None for *_rest, number_format in SUMMARY_COLUMNS],
        autofilter=False,
    ) as summary:
        summary.append([header for header, *_rest in SUMMARY_COLUMNS], header=True)
        for row in summary_rows:
            summary.append([row.get(key) for _header, _width, key, _format in SUMMARY_COLUMNS])
        totals_row = {**totals, "responsible_unit__name": "合计"}
        summary.append([totals_row.get(key) for _header, _width, key, _format in SUMMARY_COLUMNS], header=True)
    book.close()
    handle.seek(0)
    return handle
