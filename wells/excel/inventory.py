"""The inventory import (DESIGN §5, §6): an uploaded file read as a person
reads it, every sheet that carries the header imported (its rows named
``sheet · row``), every value read or named, nothing written unless every
row is good.

- :func:`read_upload` reads any format (:mod:`wells.excel.workbook`, in a
  bounded child process), finds each sheet's header
  (:mod:`wells.excel.headers`) and fills merged cells; a sheet without the
  header is skipped with a warning naming it.
- :func:`import_book` reads each row's cells (:mod:`wells.excel.cells`),
  compares them with the ledger and writes through the import's door
  (:func:`wells.changes.import_wells`): each well created or changed gets
  its version and its own history record, and a row exported before its
  well last changed (the export's 版本 column) is refused instead of
  overwriting that change.
- A preview (``dry_run``) says per row what would happen and each field's
  before and after; :func:`staged_plan` keeps what was previewed, and
  :func:`import_staged` applies exactly that, refusing any well changed
  since, without reading the file again.
"""

import datetime
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import Unit
from wellclosure import bulk
from wells import changes
from wells.choices import Status
from wells.excel import workbook
from wells.excel.cells import IDENTIFIER_FIELDS, READERS, CellError, Lookups, is_number
from wells.excel.headers import (
    COLUMN_BY_FIELD,
    COLUMNS,
    HEADER_SEARCH_ROWS,
    HEADERS,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    REQUIRED_FIELDS,
    VERSION_COLUMN,
    find_layout,
    nfkc,
)
from wells.excel.template import EXAMPLE_MARK
from wells.models import CHINA_LAT, CHINA_LNG, Township, Well

logger = logging.getLogger(__name__)

# Rows under the data that are not wells (totals, signatures).
FOOTER_PREFIXES = ("合计", "小计", "总计", "填表人", "制表人", "审核人", "填报人", "负责人:")
# Rows holding wells, at most, in all the sheets; a bigger inventory goes in
# several files.
MAX_DATA_ROWS = 50_000
# Sheets of our own workbooks that hold no wells: skipped without a word.
OWN_SHEETS = frozenset({"选项", "填写说明", "按责任单位汇总"})
# Wells fetched by code per query: below SQLite's parameter limit.
LOOKUP_CHUNK = 900
# The preview page lists this many rows at most (the counts are of all).
PREVIEW_ROWS_SHOWN = 2000


class ImportFileError(Exception):
    """The upload as a whole cannot be read (not a workbook, too big, no
    header row …). The message says why, for a person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _refusal_message(refused):
    """The message of a :class:`wells.excel.workbook.Refused`."""
    params = refused.params
    reason = refused.reason
    if reason == "password":
        return _("This workbook has a password. Open it, remove the password, save it and upload it again.")
    if reason == "not_a_workbook":
        return _(
            "This is not a workbook (.xlsx, .xlsm, .xls, .ods) or a CSV file. Save the sheet in one of these "
            "formats and upload that."
        )
    if reason == "encoding":
        return _("This CSV file is neither UTF-8 nor GB18030/GBK text. Save it again as “CSV UTF-8” and upload that.")
    if reason == "parts":
        return _("The workbook holds too many parts (%(count)s; at most %(limit)s) to be read safely.") % params
    if reason == "unpacked":
        return _("The workbook unpacks to %(size)s, more than the %(limit)s that can be read safely.") % {
            "size": filesizeformat(params["size"]),
            "limit": filesizeformat(params["limit"]),
        }
    if reason == "ratio":
        return _(
            "A part of the workbook (%(part)s) unpacks to %(ratio)s times its size: no office program writes "
            "that, and it is not read."
        ) % {"part": params["part"][:100], "ratio": params["ratio"]}
    if reason == "sheets":
        return (
            _(
                "The workbook has %(count)s sheets; an import reads at most %(limit)s. Put the inventory in "
                "fewer sheets."
            )
            % params
        )
    if reason == "rows":
        return _(
            "The sheet “%(sheet)s” reaches beyond row %(limit)s (a cell is filled far below the data, or the "
            "sheet is too big): delete the rows below the inventory, or split it into several files."
        ) % {"sheet": str(params["sheet"])[:100], "limit": params["limit"]}
    if reason == "cells":
        return (
            _(
                "The sheets' used ranges hold more than %(limit)s cells: delete the empty rows and columns around the "
                "inventory, or split it into several files."
            )
            % params
        )
    if reason == "merges":
        return (
            _(
                "The workbook has %(count)s merged ranges; an import reads at most %(limit)s. Unmerge the cells "
                "(取消合并单元格) and upload it again."
            )
            % params
        )
    if reason == "merged_cells":
        return (
            _("The merged ranges of the workbook cover more than %(limit)s cells: unmerge them and upload it again.")
            % params
        )
    if reason == "too_slow":
        return (
            _(
                "The workbook could not be read within %(seconds)s seconds and is refused. Save it again without "
                "the empty rows and columns around the inventory, or split it into several files."
            )
            % params
        )
    if reason == "too_big":
        return _(
            "Reading the workbook needs more memory than an import may take, and it is refused. Save it again "
            "without the empty rows and columns around the inventory, or split it into several files."
        )
    return _("The workbook is damaged and cannot be read.")


# Reading the file ----------------------------------------------------------------


@dataclass
class Sheet:
    """A sheet that holds the inventory, as read: ``rows`` from row 1,
    merged cells filled in, and where its header and columns are."""

    title: str
    rows: list
    header_row: int
    data_start: int
    width: int
    columns: dict  # field -> index
    names: dict  # index -> the header as written
    hidden_rows: set = field(default_factory=set)
    unsaved_formulas: set = field(default_factory=set)


@dataclass
class Book:
    """The sheets of an upload that hold the inventory, and what reading
    it found wrong (``errors``: the header's) or worth a word (``warnings``),
    each ``{"sheet", "row", "field", "message"}``."""

    sheets: list
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _issue(sheet, row, column, message):
    return {"sheet": sheet, "row": row, "field": column, "message": message}


def read_upload(upload):
    """Check the upload and read every sheet holding the inventory. Raises
    :class:`ImportFileError` for a file that cannot be read."""
    size = getattr(upload, "size", None)
    if not size:
        raise ImportFileError(_("The file is empty."))
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )
    upload.seek(0)
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    upload.seek(0)
    name = getattr(upload, "name", "") or ""
    try:
        kind = workbook.kind_of(data[:8], name)
        if kind == workbook.XLSX:
            kind = workbook.check_zip(data)
        if kind == workbook.CSV:
            title = re.sub(r"\.[^.]*$", "", name.rsplit("/", 1)[-1]) or "CSV"
            raw = workbook.read_csv(data, title[:31])
        else:
            if kind == workbook.XLS and "EncryptedPackage".encode("utf-16-le") in data:
                raise workbook.Refused("password")
            raw = workbook.read_workbook(data, kind, seconds=settings.IMPORT_READ_SECONDS)
    except workbook.Refused as refused:
        logger.info("An uploaded file was refused: %s %s", refused.reason, refused.params)
        raise ImportFileError(_refusal_message(refused)) from None
    return _book(raw)


def _book(raw_sheets):
    book = Book([])
    for raw in raw_sheets:
        rows = raw.rows
        layout = find_layout(rows[:HEADER_SEARCH_ROWS], raw.merges, raw.hidden_columns)
        if layout is None:
            if raw.title not in OWN_SHEETS and any(_filled(values) for values in rows):
                book.warnings.append(
                    _issue(
                        raw.title,
                        None,
                        None,
                        _("The sheet “%(sheet)s” has no inventory header row (%(headers)s …); it is not imported.")
                        % {"sheet": raw.title, "headers": "、".join(HEADERS[:4])},
                    )
                )
            continue
        width = max(layout.columns.values()) + 1
        rows = [tuple(values[:width]) + (None,) * (width - len(values)) for values in rows]
        while rows and not _filled(rows[-1]):
            rows.pop()
        _fill_merged_cells(rows, raw.merges, layout.data_start, width)
        if raw.hidden:
            book.warnings.append(
                _issue(
                    raw.title,
                    None,
                    None,
                    _("The sheet “%(sheet)s” is hidden; it is imported all the same.") % {"sheet": raw.title},
                )
            )
        book.errors += [_issue(raw.title, row, column, message) for row, column, message in layout.errors]
        book.warnings += [_issue(raw.title, row, column, message) for row, column, message in layout.warnings]
        unsaved = {
            (row, column)
            for row, column in raw.unsaved_formulas
            if row <= len(rows) and column < width and rows[row - 1][column] in (None, "")
        }
        book.sheets.append(
            Sheet(
                raw.title,
                rows,
                layout.header_row,
                layout.data_start,
                width,
                layout.columns,
                layout.names,
                set(raw.hidden_rows),
                unsaved,
            )
        )
    if not book.sheets:
        raise ImportFileError(
            _("No sheet has the template's header row (%(headers)s …) in its first %(rows)s rows.")
            % {"headers": "、".join(HEADERS[:4]), "rows": HEADER_SEARCH_ROWS}
        )
    return book


def _filled(values):
    return any(value is not None and value != "" for value in values)


def _fill_merged_cells(rows, merges, data_start, width):
    """A cell merged down several rows holds its value for each of them, as
    a person reads it (a 乡镇 written once beside ten wells). Merges across
    columns leave the value in the first column only. The merged area is
    bounded by the reader (MAX_MERGED_CELLS)."""
    for top, column, last_row, _right in merges:
        bottom = min(last_row, len(rows))
        if column >= width or bottom <= top or bottom < data_start:
            continue
        value = rows[top - 1][column]
        for number in range(max(top + 1, data_start), bottom + 1):
            row = rows[number - 1]
            if row[column] is None or row[column] == "":
                rows[number - 1] = row[:column] + (value,) + row[column + 1 :]


# Importing -----------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did, or would do (``dry_run``): counts, every error
    and warning as ``{"sheet", "row", "field", "message"}`` (the sheet's
    name, the row number the office program shows and the column's header),
    and one line per row (``rows``, given in a dry run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    dry_run: bool = False
    # What the confirmation of a preview applies (staged_plan).
    plan: list = field(default_factory=list)

    def as_dict(self):
        body = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "warnings": self.warnings,
        }
        if self.dry_run:
            body["rows"] = self.rows
        return body


@dataclass
class Row:
    """A data row read: where it is, its code, the values its cells give,
    and the version it must find its well at (the file's 版本, or the
    preview's), or that its well must not exist yet (``new``)."""

    sheet: str
    number: int
    code: str
    values: dict
    version: int | None = None
    # Applying a preview: the well must not exist yet (new), or be at the
    # version the preview saw (previewed).
    new: bool = False
    previewed: bool = False


def import_wells(upload, *, campaign, actor, dry_run=False):
    """Read an inventory file and create or update its wells as ``actor``
    (the importing user), all or nothing, through
    :func:`wells.changes.import_wells`. New wells join ``campaign`` and
    start ``inventoried`` — a well of category 保留 ``retained``, with its
    retain event — with their tasks. A well already in the ledger (by code)
    has the facts the file gives updated, its version bumped and the change
    recorded in its history, never its status, campaign or lifecycle
    fields; an empty cell leaves the well's value as it is. A row is refused
    for a code held by a well out of the actor's scope, for an archived
    well, and for a well changed since the row's 版本 (an export edited and
    imported again). Returns an :class:`ImportResult`; raises
    :class:`ImportFileError` for a file that cannot be read."""
    return import_book(read_upload(upload), campaign=campaign, actor=actor, dry_run=dry_run)


def import_book(book, *, campaign, actor, dry_run=False):
    """Import the sheets of a :class:`Book` (see :func:`import_wells`)."""
    result = ImportResult(dry_run=dry_run, errors=list(book.errors), warnings=list(book.warnings))
    lookups = Lookups(actor)
    parsed = _parse_rows(book, lookups, result)
    if not parsed and not result.errors:
        raise ImportFileError(_("No wells were found below the header row."))
    missing = {
        sheet.title: (sheet.header_row, [name for name in REQUIRED_COLUMNS if name not in sheet.columns])
        for sheet in book.sheets
    }
    return _run(parsed, missing, campaign, actor, result, sheet_order=[sheet.title for sheet in book.sheets])


def _run(parsed, missing, campaign, actor, result, *, sheet_order):
    try:
        with transaction.atomic():
            _plan_and_write(parsed, missing, campaign, actor, result)
    except IntegrityError:
        # Another import or a POST created one of the new codes meanwhile.
        raise ImportFileError(
            _("Some of these wells were added by someone else while the file was read. Upload it again.")
        ) from None
    order = {title: index for index, title in enumerate(sheet_order)}

    def key(issue):
        return (order.get(issue["sheet"], -1), issue["row"] or 0, _column_order(issue["field"]))

    result.errors.sort(key=key)
    result.warnings.sort(key=key)
    return result


_IMPORT_HEADERS = tuple(column.header for column in IMPORT_COLUMNS)


def _column_order(header):
    return _IMPORT_HEADERS.index(header) if header in _IMPORT_HEADERS else -1


def _parse_rows(book, lookups, result):
    """Each data row of every sheet as a :class:`Row` of the values its
    cells give, in file order; bad cells, rows without a code and repeated
    codes go to the errors (and a line of action "error"), hidden rows and
    identifiers that may have lost leading zeros to the warnings."""
    errors, warnings = result.errors, result.warnings
    seen = {}
    parsed = []
    data_rows = 0
    for sheet in book.sheets:
        readers = sorted(
            (index, COLUMN_BY_FIELD[name], _remembering(READERS[name]), name in IDENTIFIER_FIELDS)
            for name, index in sheet.columns.items()
        )
        indexes = [index for index, *_rest in readers]
        # Identifier columns held as numbers: field -> [(row, digits)].
        numeric = {}
        longest = {}
        for number in range(sheet.data_start, len(sheet.rows) + 1):
            row = sheet.rows[number - 1]
            if not any(row[index] is not None and row[index] != "" for index in indexes):
                continue  # nothing but a 序号 (or nothing at all)
            if _is_footer(row):
                continue
            data_rows += 1
            if data_rows > MAX_DATA_ROWS:
                raise ImportFileError(
                    _("The file has more than %(limit)s rows of wells; split it into several files.")
                    % {"limit": MAX_DATA_ROWS}
                )
            values, bad = {}, False
            for index, column, read, identifier in readers:
                raw = row[index]
                try:
                    if (number, index) in sheet.unsaved_formulas:
                        raise CellError(
                            _(
                                "This cell holds a formula without a saved result; formulas are not read: "
                                "type the value itself."
                            )
                        )
                    value = read(raw, lookups)
                except CellError as error:
                    errors.append(_issue(sheet.title, number, column.header, error.message))
                    bad = True
                    continue
                if value is None:
                    continue
                values[column.field] = value
                if identifier:
                    digits = len(value) if value.isdigit() else 0
                    longest[column.field] = max(longest.get(column.field, 0), digits)
                    if is_number(raw):
                        numeric.setdefault(column.field, []).append((number, digits, value))
            code = values.get("code")
            line = {"sheet": sheet.title, "row": number, "code": code, "action": "error", "changes": {}}
            if code is None:
                if not any(
                    e["row"] == number and e["sheet"] == sheet.title and e["field"] == "机井编码" for e in errors
                ):
                    errors.append(_issue(sheet.title, number, "机井编码", _("Fill in the well code.")))
                result.rows.append(line)
                continue
            if nfkc(code).startswith(EXAMPLE_MARK):
                continue
            if number in sheet.hidden_rows:
                warnings.append(
                    _issue(
                        sheet.title,
                        number,
                        None,
                        _("Row %(row)s is hidden; it is imported all the same.") % {"row": number},
                    )
                )
            if code in seen:
                other_sheet, other_row = seen[code]
                where = (
                    _("row %(row)s") % {"row": other_row}
                    if other_sheet == sheet.title
                    else _("sheet “%(sheet)s” row %(row)s") % {"sheet": other_sheet, "row": other_row}
                )
                errors.append(
                    _issue(
                        sheet.title,
                        number,
                        "机井编码",
                        _("The well code %(code)s is also in %(where)s: each well once per file.")
                        % {"code": code, "where": where},
                    )
                )
                result.rows.append(line)
                continue
            seen[code] = (sheet.title, number)
            if not _check_coordinates(values, sheet.title, number, errors) or bad:
                result.rows.append(line)
                continue
            version = values.pop("version", None)
            parsed.append(Row(sheet.title, number, code, values, version))
        for name, cells in numeric.items():
            header = COLUMN_BY_FIELD[name].header
            warnings.append(
                _issue(
                    sheet.title,
                    sheet.header_row,
                    header,
                    _(
                        "The column “%(column)s” holds numbers, not text, in %(count)s rows: a number keeps no "
                        "leading zeros (00123 is read as 123). If these identifiers have them, format the column "
                        "as text and type them again."
                    )
                    % {"column": header, "count": len(cells)},
                )
            )
            for number, digits, value in cells:
                if digits < longest[name]:
                    warnings.append(
                        _issue(
                            sheet.title,
                            number,
                            header,
                            _(
                                "%(value)s is stored as a number and is shorter than the column's other "
                                "identifiers: it may have lost leading zeros."
                            )
                            % {"value": value},
                        )
                    )
    return parsed


# Cell values whose reading is remembered for the rest of the file: those
# that repeat (a township, a kind, a use, a date …) and whose equal values
# read alike (not numbers: 1 == 1.0 == True, and -0.0 == 0.0).
_REMEMBERED_TYPES = frozenset({str, datetime.date, datetime.datetime, type(None)})


def _remembering(read):
    """``read`` (a cell reader, :data:`wells.excel.cells.READERS`), each
    value read once per sheet: a column of 10,000 rows holds a few dozen
    townships, kinds and dates. The readers depend on the value and the
    file's lookups only; a list read (the uses) is copied for each row, an
    error raised again with its message."""
    memo = {}

    def remembered(raw, lookups):
        if type(raw) not in _REMEMBERED_TYPES:
            return read(raw, lookups)
        try:
            value, message = memo[raw]
        except KeyError:
            try:
                value, message = read(raw, lookups), None
            except CellError as error:
                value, message = None, error.message
            memo[raw] = value, message
        if message is not None:
            raise CellError(message)
        return list(value) if type(value) is list else value

    return remembered


def _is_footer(row):
    for value in row:
        if value is None or value == "":
            continue
        text = re.sub(r"\s+", "", nfkc(str(value)))
        return text.startswith(FOOTER_PREFIXES)
    return False


def _check_coordinates(values, sheet, number, errors):
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
        errors.append(
            _issue(
                sheet,
                number,
                "经度",
                _(
                    "Longitude and latitude look swapped: in China the longitude (经度) is from %(lng_min)s to "
                    "%(lng_max)s and the latitude (纬度) from %(lat_min)s to %(lat_max)s."
                )
                % {
                    "lng_min": CHINA_LNG[0],
                    "lng_max": CHINA_LNG[1],
                    "lat_min": CHINA_LAT[0],
                    "lat_max": CHINA_LAT[1],
                },
            )
        )
        return False
    if not lng_ok:
        errors.append(
            _issue(
                sheet,
                number,
                "经度",
                _("The longitude %(value)s is outside China (from %(min)s to %(max)s).")
                % {"value": lng, "min": CHINA_LNG[0], "max": CHINA_LNG[1]},
            )
        )
    if not lat_ok:
        errors.append(
            _issue(
                sheet,
                number,
                "纬度",
                _("The latitude %(value)s is outside China (from %(min)s to %(max)s).")
                % {"value": lat, "min": CHINA_LAT[0], "max": CHINA_LAT[1]},
            )
        )
    return False


def _plan_and_write(parsed, missing, campaign, actor, result):
    """Compare the parsed rows with the ledger as ``actor`` reaches it (the
    wells locked unless in a dry run), collect the refusals, and write
    through the import's door when nothing is refused. Fills ``result``."""
    dry_run = result.dry_run
    existing, taken = _existing_wells([row.code for row in parsed], actor=actor, lock=not dry_run)
    to_create, to_update = [], []
    reported_missing = set()
    errors = result.errors
    township_codes = {}

    def shown(name, value, *, stored=False):
        """A field's value as the preview shows it, JSON-able: a township
        by its code, a unit by its id (as the well's JSON gives them),
        decimals as text, dates as ISO; ``stored``: as the row holds it."""
        if name == "township":
            if not stored:
                return value.code if value is not None else None
            if not township_codes:
                township_codes.update(Township.objects.values_list("pk", "code"))
            return township_codes.get(value)
        if name == "responsible_unit":
            return value if stored or value is None else value.pk
        return changes.jsonable(value)

    for row in parsed:
        line = {"sheet": row.sheet, "row": row.number, "code": row.code, "action": "error", "changes": {}}
        result.rows.append(line)
        values = dict(row.values)
        well = existing.get(row.code)
        if well is None:
            if row.code in taken:
                errors.append(
                    _issue(
                        row.sheet,
                        row.number,
                        "机井编码",
                        _("The well code %(code)s is already used by a well outside your scope.") % {"code": row.code},
                    )
                )
                continue
            header_row, missing_columns = missing.get(row.sheet, (None, []))
            if missing_columns:
                # Said once, at the header; every new well waits for that fix.
                if row.sheet not in reported_missing:
                    _report_missing_columns(missing_columns, row, header_row, errors)
                    reported_missing.add(row.sheet)
                continue
            well = _new_well(values, campaign, row, errors)
            if well is None:
                continue
            action = "create"
            if dry_run:
                line["changes"] = {name: [None, shown(name, getattr(well, name))] for name in sorted(values)}
        else:
            if row.new:
                errors.append(
                    _issue(
                        row.sheet,
                        row.number,
                        "机井编码",
                        _("The well %(code)s was added by someone else since the preview. Upload the file again.")
                        % {"code": row.code},
                    )
                )
                continue
            if not _may_update(well, row, errors):
                continue
            before = changes.snapshot(well)
            changed = _apply(well, values)
            action = "update" if changed else "unchanged"
            line["changes"] = (
                {}
                if not dry_run
                else {
                    name: [
                        shown(name, before[Well._meta.get_field(name).attname], stored=True),
                        shown(name, getattr(well, name)),
                    ]
                    for name in changed
                }
            )
        if not _check_well(well, row, errors):
            continue
        line["action"] = action
        if action == "create":
            to_create.append(well)
        elif action == "update":
            to_update.append((well, before))
        else:
            result.unchanged += 1
        result.plan.append((row, action, well.version if action != "create" else None))
    if errors:
        result.unchanged = 0
        return
    result.created, result.updated = len(to_create), len(to_update)
    if not dry_run:
        changes.import_wells(actor=actor, created=to_create, updated=to_update)


def _may_update(well, row, errors):
    """An archived well takes no import row; nor does a well changed since
    the row's version was exported (or previewed), which the row would
    overwrite."""
    if well.archived_at is not None:
        errors.append(
            _issue(
                row.sheet,
                row.number,
                "机井编码",
                _("The well %(code)s is archived: restore it before importing changes to it.") % {"code": well.code},
            )
        )
        return False
    if row.version is not None and row.version != well.version:
        if row.previewed:
            message = _(
                "The well was changed by someone else since the preview (version %(yours)s, now %(current)s). "
                "Upload the file again to see what it would change now."
            )
        else:
            message = _(
                "This row was exported at version %(yours)s; the well is now at version %(current)s (changed "
                "since). Export the ledger again and redo the change on the fresh copy."
            )
        errors.append(
            _issue(
                row.sheet, row.number, VERSION_COLUMN.header, message % {"yours": row.version, "current": well.version}
            )
        )
        return False
    return True


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


def _report_missing_columns(missing_columns, row, header_row, errors):
    for name in missing_columns:
        errors.append(
            _issue(
                row.sheet,
                header_row,
                COLUMN_BY_FIELD[name].header,
                _("The column “%(column)s” is missing; new wells (such as %(code)s in row %(row)s) need it.")
                % {"column": COLUMN_BY_FIELD[name].header, "code": row.code, "row": row.number},
            )
        )


def _new_well(values, campaign, row, errors):
    township = values.get("township")
    if "responsible_unit" not in values and township is not None and township.government_id:
        # The township's government carries out the closure unless the file
        # names another unit (DESIGN §1).
        values["responsible_unit"] = township.government
    blank = [name for name in REQUIRED_FIELDS if name not in values]
    for name in blank:
        errors.append(
            _issue(
                row.sheet,
                row.number,
                COLUMN_BY_FIELD[name].header,
                _("Fill this in: %(code)s is a new well.") % {"code": values["code"]},
            )
        )
    if blank:
        return None
    return bulk.build(Well, {**values, "campaign": campaign, "status": Status.INVENTORIED})


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


def _check_well(well, row, errors):
    """The model's own rules (both coordinates or neither, a retained well's
    reason), on the well as the file leaves it."""
    if (well.lat is None) != (well.lng is None):
        header = "纬度" if well.lat is None else "经度"
        errors.append(_issue(row.sheet, row.number, header, _("Give both longitude and latitude, or neither.")))
        return False
    try:
        well.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.append(_issue(row.sheet, row.number, _MODEL_FIELD_COLUMNS.get(name), message))
        return False
    return True


# The preview, kept for its confirmation ------------------------------------------


def staged_plan(result, *, campaign):
    """What a preview without errors would do, as JSON-able data: each row's
    place, code, values and the version its well was previewed at, so that
    :func:`import_staged` applies exactly that without reading the file."""
    rows = []
    for row, action, version in result.plan:
        if action == "unchanged":
            continue
        values = {name: _stored(name, value) for name, value in row.values.items()}
        rows.append({"sheet": row.sheet, "row": row.number, "code": row.code, "version": version, "values": values})
    return {
        "campaign": campaign.pk if campaign else None,
        "sheets": list(dict.fromkeys(row.sheet for row, _action, _version in result.plan)),
        "rows": rows,
        "unchanged": result.unchanged,
        "warnings": result.warnings,
    }


def _stored(name, value):
    if name in ("township", "responsible_unit"):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def import_staged(plan, *, campaign, actor):
    """Apply a preview's :func:`staged_plan`: its new wells, if their codes
    are still free, and its changes, to wells still at the version the
    preview saw; any other row is an error and nothing is written."""
    townships = Township.objects.select_related("government").in_bulk(
        {row["values"]["township"] for row in plan["rows"] if "township" in row["values"]}
    )
    units = Unit.objects.in_bulk(
        {row["values"]["responsible_unit"] for row in plan["rows"] if "responsible_unit" in row["values"]}
    )
    parsed = []
    result = ImportResult(warnings=list(plan.get("warnings", [])))
    for staged in plan["rows"]:
        values = {}
        for name, value in staged["values"].items():
            if name == "township":
                value = townships.get(value)
            elif name == "responsible_unit":
                value = units.get(value)
            elif name in ("lat", "lng", "depth_m"):
                value = Decimal(value)
            elif name == "deadline":
                value = datetime.date.fromisoformat(value)
            if value is None:  # a township or unit deleted since the preview
                result.errors.append(
                    _issue(
                        staged["sheet"],
                        staged["row"],
                        COLUMN_BY_FIELD[name].header,
                        _("This was deleted from the ledger since the preview. Upload the file again."),
                    )
                )
                continue
            values[name] = value
        new = staged["version"] is None
        parsed.append(Row(staged["sheet"], staged["row"], staged["code"], values, staged["version"], new, True))
    _run(parsed, {}, campaign, actor, result, sheet_order=plan.get("sheets", []))
    if not result.errors:
        result.unchanged = plan.get("unchanged", 0)
    return result
