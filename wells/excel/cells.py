"""Reading the cells of an inventory row as a person reads them: text
stripped, full-width digits and letters as ASCII, a placeholder (—, /, 无)
as nothing, the Chinese words of the plan's 附件2 (and their variants) as
their codes, dates written as dates or as text, coordinates in decimal
degrees or degrees, minutes and seconds, townships and units by any of
their names.

Identifiers (机井编码, 电表号, 取水许可证号) are text: one held in a number
cell has lost digits when it has more than 15 significant digits or a
fraction (the row is refused: format the column as text and type it
again), and may have lost its leading zeros (a warning, see
:func:`numeric_identifier`).

Each reader takes the raw cell value and the lookups, returns the field's
value or None for an empty cell, and raises :class:`CellError` with a
reason a clerk reads."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Unit
from wellclosure.validators import check_date, check_text
from wells.choices import WORKBOOK_LABELS as LABELS
from wells.choices import Category, OwnerKind, Use, Zone
from wells.excel.headers import COLUMN_BY_FIELD, nfkc
from wells.models import Township, Well

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


class CellError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# What Excel keeps of a number: 15 significant digits (IEEE double, shown
# as 1.23456789012346E+21 beyond them).
EXACT_DIGITS = 15
_SCIENTIFIC = re.compile(r"[+-]?\d(?:\.\d+)?e[+-]?\d+", re.IGNORECASE)
IDENTIFIER_FIELDS = ("code", "license_no", "meter_no")


_SPACES = re.compile(r"\s+")


def lookup_key(value):
    return _SPACES.sub("", nfkc(str(value))).lower()


def cell_text(value):
    """The cell as a person reads it: text stripped, a whole number without
    ``.0``, a date as YYYY-MM-DD, a placeholder (—, /, 无) as nothing."""
    if type(value) is str:
        return _text_as_read(value)
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
    return _text_as_read(str(value))


def _text_as_read(text):
    text = text.replace("\u200b", "").replace("\ufeff", "").strip()
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


_MAX_LENGTHS = {field.name: field.max_length for field in Well._meta.concrete_fields}


def _limited(text, field_name):
    limit = _MAX_LENGTHS[field_name]
    if limit and len(text) > limit:
        raise CellError(_("Too long: %(limit)s characters at most.") % {"limit": limit})
    return text


# Cell readers --------------------------------------------------------------
# Each takes the raw cell value and the lookups, returns the field's value or
# None for an empty cell, and raises CellError with a reason a clerk reads.


def checked_text(text, field_name):
    """Every text cell the import keeps passes the site's text check
    (:func:`wellclosure.validators.check_text`: no control characters)."""
    try:
        return check_text(text, COLUMN_BY_FIELD[field_name].header)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _lost_digits(shown):
    return CellError(
        _(
            "“%(value)s” was stored as a number, which keeps at most 15 digits and no fraction for an "
            "identifier: its digits are lost. Format the column as text (设置单元格格式 → 文本), type the "
            "identifier again and upload the file again."
        )
        % {"value": shown}
    )


def identifier_text(value, field_name, *, normalise=True):
    """An identifier as written: from a number cell only when the number
    kept every digit (a whole number of at most 15 digits); text written
    as 1.23457E+21 (a CSV saved from such a cell) has lost them too."""
    if is_number(value):
        if not (isinstance(value, int) or value.is_integer()) or abs(value) >= 10**EXACT_DIGITS:
            raise _lost_digits(f"{value:.15g}".upper() if isinstance(value, float) else str(value))
        return str(int(value))
    text = cell_text(value)
    if normalise:
        text = nfkc(text).strip()
    if _SCIENTIFIC.fullmatch(text):
        raise _lost_digits(text)
    return checked_text(text, field_name)


def _read_code(value, lookups):
    text = identifier_text(value, "code")
    if not text:
        return None
    # The code is the well's address in every URL: /api/v1/wells/<code>/.
    if "/" in text or text in {".", ".."}:
        raise CellError(_("A well code cannot contain “/” or be “.” or “..”."))
    return _limited(text, "code")


def _text_reader(field_name):
    def read(value, lookups):
        text = checked_text(cell_text(value), field_name)
        return _limited(text, field_name) if text else None

    return read


def _identifier_reader(field_name, *, normalise=True):
    def read(value, lookups):
        text = identifier_text(value, field_name, normalise=normalise)
        return _limited(text, field_name) if text else None

    return read


def _choice_reader(field_name):
    words = {}
    for code, label in LABELS[field_name].items():
        words[lookup_key(label)] = code
        words[lookup_key(code)] = code
    for word, code in SYNONYMS.get(field_name, {}).items():
        words[lookup_key(word)] = code
    choices = "、".join(LABELS[field_name].values())

    def read(value, lookups):
        text = cell_text(value)
        if not text:
            return None
        try:
            return words[lookup_key(text)]
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
    text = cell_text(value)
    if not text:
        return None
    uses = []
    for part in _USE_SEPARATORS.split(text):
        if not part:
            continue
        try:
            use = _read_one_use.words[lookup_key(part)]
        except KeyError:
            raise CellError(
                _("“%(value)s” is not a use; write one or more of: %(choices)s, separated by 、")
                % {"value": part, "choices": _read_one_use.choices}
            ) from None
        if use not in uses:
            uses.append(use)
    return uses or None


def _read_township(value, lookups):
    text = cell_text(value)
    if not text:
        return None
    township = lookups.township(text)
    if township is None:
        raise CellError(_("No township or street is called “%(value)s”.") % {"value": text})
    return township


def _read_unit(value, lookups):
    text = cell_text(value)
    if not text:
        return None
    unit = lookups.unit(text)
    if unit is AMBIGUOUS:
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
        text = re.sub(r"\s+", "", nfkc(cell_text(value))).upper()
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
                    % {"value": cell_text(value)}
                )
            minutes = Decimal(match["m"] or 0)
            seconds = Decimal(match["s"] or 0)
            if minutes >= 60 or seconds >= 60:
                raise CellError(_("Minutes and seconds must be below 60."))
            degrees = Decimal(match["d"]) + minutes / 60 + seconds / 3600
    if not degrees.is_finite() or abs(degrees) >= 1000:
        raise CellError(_("“%(value)s” is not a coordinate.") % {"value": cell_text(value)})
    return degrees.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _read_depth(value, lookups):
    if isinstance(value, int | float) and not isinstance(value, bool):
        depth = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = re.sub(r"\s+", "", nfkc(cell_text(value))).lower()
        text = re.sub(r"(米|m)$", "", text)
        if not text:
            return None
        try:
            depth = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number of metres.") % {"value": cell_text(value)}) from None
    if not depth.is_finite() or not Decimal(0) <= depth <= Decimal(3000):
        raise CellError(_("The depth must be from 0 to 3000 metres."))
    return depth.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_TEXT_DATE = re.compile(
    r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s+\d{1,2}:\d{2}(:\d{2})?)?"  # a time after the date, as Excel writes it
)


def _read_date(value, lookups):
    """An Excel date, or text written 2023-11-30, 2023/11/30, 2023.11.30,
    2023年11月30日, or the number 20231130; within the ledger's years
    (:func:`wellclosure.validators.check_date`)."""
    date = _date(value)
    try:
        return check_date(date, COLUMN_BY_FIELD["deadline"].header)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = re.sub(r"\s+", " ", nfkc(cell_text(value))).strip()
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
    text = nfkc(cell_text(value)).strip()
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
    "license_no": _identifier_reader("license_no", normalise=False),
    "meter_no": _identifier_reader("meter_no"),
    "category": _read_category,
    "responsible_unit": _read_unit,
    "responsible_person": _text_reader("responsible_person"),
    "deadline": _read_date,
    "note": _text_reader("note"),
    "version": _read_version,
}
assert set(READERS) == set(COLUMN_BY_FIELD)

AMBIGUOUS = object()


class Lookups:
    """Townships and units by every name a file may give them, read once
    for the whole file: those ``actor`` reads (``visible_to``), so that a
    neighbouring county's 城关镇 is neither found nor makes one's own
    ambiguous."""

    # A township's government is often written instead of the area.
    _SUFFIXES = ("人民政府", "办事处", "政府")

    def __init__(self, actor):
        self.townships = {}
        for township in Township.objects.visible_to(actor).select_related("government"):
            names = [township.name, township.code]
            if township.government is not None:
                names += [township.government.name, township.government.short_name]
            for name in names:
                if name:
                    self._add(self.townships, name, township)
                    self._add(self.townships, self._strip_suffix(name), township)
        self.units = {}
        for unit in Unit.objects.visible_to(actor):
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
        key = lookup_key(name)
        if table.get(key, obj) is not obj:
            table[key] = AMBIGUOUS
        else:
            table[key] = obj

    def township(self, text):
        found = self.townships.get(lookup_key(text))
        if found is None:
            found = self.townships.get(lookup_key(self._strip_suffix(nfkc(text).strip())))
        return None if found is AMBIGUOUS else found

    def unit(self, text):
        return self.units.get(lookup_key(text))
