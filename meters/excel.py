"""The grid company's monthly export (xlsx, xls, ods or csv) read through
the inventory's reader (:mod:`wells.excel.workbook`, the same checks on the
file) and its header matching (:func:`wells.excel.headers.header_key`), with
the export's own column names. Each data row becomes a reading for
:func:`meters.ingest.ingest`, which names a bad row by its sheet and row
number; a row missing a cell is named too. Nothing is dropped silently: an
empty row is skipped, every other row is stored, a duplicate, or an error."""

import datetime
import re

from django.conf import settings
from django.utils.translation import gettext as _

from meters.ingest import BatchError, ingest
from wells.excel import workbook
from wells.excel.cells import CellError, cell_text
from wells.excel.headers import header_key, nfkc

# field -> the names the export gives the column.
COLUMNS = {
    "meter_no": ("电表号", "电表编号", "表号", "电能表编号", "电能表资产编号", "表计编号", "meter_no"),
    "read_at": ("抄表时间", "抄表日期", "读数时间", "采集时间", "数据时间", "日期", "read_at"),
    "kwh": ("电量", "用电量", "本期电量", "有功电量", "表码", "示数", "本期示数", "读数", "kwh", "千瓦时"),
}
_KEYS = {header_key(name): field for field, names in COLUMNS.items() for name in names}
HEADER_SEARCH_ROWS = 10


class ExportError(Exception):
    """The file cannot be read as the grid company's export."""


def read_rows(upload):
    """[(sheet, row number, {meter_no, read_at, kwh})] of every sheet with
    the export's header; raises :class:`ExportError`."""
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    if not data:
        raise ExportError(_("The file is empty."))
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ExportError(_("The file is larger than the import's limit."))
    name = getattr(upload, "name", "") or ""
    try:
        kind = workbook.kind_of(data[:8], name)
        if kind == workbook.XLSX:
            kind = workbook.check_zip(data)
        if kind == workbook.CSV:
            sheets = workbook.read_csv(data, "CSV")
        else:
            sheets = workbook.read_workbook(data, kind, seconds=settings.IMPORT_READ_SECONDS)
    except workbook.Refused:
        raise ExportError(_("The file is not a workbook (xlsx, xls, ods) or a CSV file that can be read.")) from None
    rows = []
    found = False
    for sheet in sheets:
        layout = _layout(sheet.rows[:HEADER_SEARCH_ROWS])
        if layout is None:
            continue
        found = True
        header_row, columns = layout
        for number, values in enumerate(sheet.rows[header_row:], start=header_row + 1):
            cells = {field: values[index] if index < len(values) else None for field, index in columns.items()}
            if all(value in (None, "") for value in cells.values()):
                continue
            rows.append((sheet.title, number, _reading(cells)))
    if not found:
        raise ExportError(
            _("No sheet has the export's header row (电表号, 抄表时间 and 电量 or 表码) in its first %(rows)s rows.")
            % {"rows": HEADER_SEARCH_ROWS}
        )
    return rows


def _layout(top):
    for index, values in enumerate(top):
        columns = {}
        for position, value in enumerate(values):
            field = _KEYS.get(header_key(value))
            if field is not None and field not in columns:
                columns[field] = position
        if len(columns) == len(COLUMNS):
            return index + 1, columns
    return None


def _text(value):
    try:
        return cell_text(value)
    except CellError:
        return str(value)  # a formula: refused by the row's check, as text


def _reading(cells):
    read_at = cells["read_at"]
    if isinstance(read_at, datetime.date) and not isinstance(read_at, datetime.datetime):
        read_at = datetime.datetime.combine(read_at, datetime.time.min)
    elif not isinstance(read_at, datetime.datetime):
        text = re.sub(r"\s+", " ", nfkc(_text(read_at))).strip().replace("/", "-")
        # A day alone is its first instant.
        read_at = f"{text} 00:00" if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text) else text
    kwh = cells["kwh"]
    if not isinstance(kwh, int | float) or isinstance(kwh, bool):
        kwh = nfkc(_text(kwh)).strip().replace(",", "")
    meter = cells["meter_no"]
    meter = _text(meter).strip() if meter is not None else ""
    if meter.endswith(".0") and meter[:-2].isdigit():
        meter = meter[:-2]
    return {"meter_no": meter, "read_at": read_at, "kwh": kwh}


def import_export(upload, kind):
    """Read and store the export; returns the :class:`IngestResult`, whose
    errors name the sheet and row. Raises :class:`ExportError`."""
    rows = read_rows(upload)
    try:
        return ingest(
            [reading for _sheet, _number, reading in rows],
            kind,
            where=lambda index: {"sheet": rows[index][0], "row": rows[index][1]},
        )
    except BatchError as error:
        raise ExportError(error.message) from None
